"""The arena's side of the budget: run ``attack`` under the engine's limits and a wall-clock alarm.

:func:`run_attack` starts the budget's clock, makes the engine limits active
(:mod:`arena.engine.limits`: populations cut to ``restarts`` members, calls to ``steps`` steps,
training stopped at the deadline) and collects claims as the attack hands them over:

* an attacker that returns a list keeps working as before;
* an attacker may ``yield`` claims one by one, or call ``budget.submit(claim)``: what it handed over
  before the deadline is kept when it is stopped;
* if the attack is still running ``grace`` seconds after the deadline (a loop that never calls the
  engine), a ``SIGALRM`` raises :class:`BudgetExhausted` inside it (main thread only; elsewhere the
  worker's hard time limit in :mod:`arena.game.isolation` is the backstop). The alarm waits while
  an import runs (a module interrupted half-way stays broken), and a worker whose attack was
  interrupted is replaced after the match.

:class:`BudgetExhausted` derives from ``BaseException`` so that a plugin's ``except Exception`` does
not swallow it.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from arena import clock
from arena.engine import limits as engine_limits
from arena.contract.budget import Budget


class BudgetExhausted(BaseException):
    """The attack ran past its wall-clock budget (raised inside it by the arena's alarm)."""


def grace_seconds(seconds: float | None) -> float:
    """How long past ``budget.seconds`` an attack may take to return before it is interrupted."""
    return 0.0 if seconds is None else max(1.0, 0.05 * float(seconds))


@dataclass
class AttackRun:
    """What :func:`run_attack` collected: the claims, whether the attack was stopped, what it spent."""

    claims: list[Any]
    stopped: str | None = None  # None, "deadline" (engine stopped, attack returned) or "interrupted"
    seconds: float = 0.0
    spent: dict[str, int] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {"stopped": self.stopped, "seconds": round(self.seconds, 3), "claims": len(self.claims), **self.spent}


def run_attack(attacker: Any, setting: Any, guarantee: Any, budget: Budget, seed: int, device: str,
               data: Any = None) -> AttackRun:
    """Call ``attacker.attack`` within ``budget``; exceptions other than the deadline propagate.

    ``data``: a fixed :class:`arena.data.Dataset`, passed as ``attack(..., data=data)`` (only then)."""
    budget.start_clock()
    limits = engine_limits.Limits(restarts=budget.restarts, steps=budget.steps, deadline=budget.deadline)
    start = clock.now()
    stopped = None
    with engine_limits.active(limits), _alarm(budget):
        try:
            extra = {} if data is None else {"data": data}
            for claim in attacker.attack(setting, guarantee, budget, seed, device, **extra) or []:
                budget.submit(claim)
                if budget.expired():
                    stopped = "deadline"
                    break
        except BudgetExhausted:
            stopped = "interrupted"
    if stopped is None and limits.spent["stopped_at_deadline"]:
        stopped = "deadline"
    return AttackRun(budget.submitted, stopped, clock.now() - start, dict(limits.spent))


@contextmanager
def _alarm(budget: Budget) -> Iterator[None]:
    """Raise BudgetExhausted in the main thread ``grace`` seconds after the deadline."""
    remaining = budget.remaining()  # read on arena.clock; the timer itself runs in real seconds
    usable = remaining is not None and threading.current_thread() is threading.main_thread() \
        and hasattr(signal, "setitimer")
    if not usable:
        yield
        return
    state = {"armed": True}

    def on_alarm(signum: int, frame: Any) -> None:
        if not state["armed"]:
            return
        if _importing(frame):  # an import cut in half stays broken for the process: try again soon
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            return
        state["armed"] = False
        raise BudgetExhausted(f"the attack ran past budget.seconds={budget.seconds}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.0) + grace_seconds(budget.seconds))
    try:
        yield
    finally:
        state["armed"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _importing(frame: Any) -> bool:
    """True when ``frame`` or a caller is inside the import machinery."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False
