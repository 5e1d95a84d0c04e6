"""Spending limits the engine enforces on whoever calls it (the arena's budget, seen from the engine).

While a match runs an attacker, the arena makes a :class:`Limits` *active* (:func:`active`); every
training or polishing call of the engine (:func:`~arena.engine.population.train_population`,
:func:`~arena.engine.population.polish_lbfgs`, :func:`~arena.engine.lightning.fit_population`)
consults it, whoever called it and whatever it asked for:

* ``restarts``: a population of more members is cut to its first ``restarts`` rows;
* ``steps``: one call takes at most ``steps`` optimiser steps (L-BFGS: iterations);
* ``deadline`` (seconds on :func:`arena.clock.now`): a call past it stops at the next step and returns
  the point reached, so an attack winds down instead of running on.

Every clip is counted in :attr:`Limits.spent` (reported in ``result.json``). Outside an active
context nothing is limited, so the referee and direct users of the engine run as asked.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from arena import clock

_ACTIVE: contextvars.ContextVar["Limits | None"] = contextvars.ContextVar("arena_engine_limits", default=None)


@dataclass
class Limits:
    """Caps for engine calls; ``None`` leaves a cap off. ``deadline`` is on :func:`arena.clock.now`."""

    restarts: int | None = None
    steps: int | None = None
    deadline: float | None = None
    spent: dict[str, int] = field(default_factory=lambda: {"calls": 0, "network_steps": 0, "clipped_restarts": 0,
                                                           "clipped_steps": 0, "stopped_at_deadline": 0})

    def remaining(self) -> float | None:
        """Seconds left before the deadline (may be negative), or None without a deadline."""
        return None if self.deadline is None else self.deadline - clock.now()

    def expired(self) -> bool:
        return self.deadline is not None and clock.now() >= self.deadline

    def clip_restarts(self, k: int) -> int:
        if self.restarts is not None and k > self.restarts:
            self.spent["clipped_restarts"] += 1
            return self.restarts
        return k

    def clip_steps(self, steps: int) -> int:
        if self.steps is not None and steps > self.steps:
            self.spent["clipped_steps"] += 1
            return self.steps
        return steps

    def record(self, k: int, steps: int, stopped: bool) -> None:
        self.spent["calls"] += 1
        self.spent["network_steps"] += int(k) * int(steps)
        self.spent["stopped_at_deadline"] += int(stopped)


def current() -> Limits | None:
    """The limits in force for engine calls made now (None: unlimited)."""
    return _ACTIVE.get()


@contextmanager
def active(limits: Limits | None) -> Iterator[Limits | None]:
    """Make ``limits`` the ones engine calls obey inside the block (None lifts them)."""
    token = _ACTIVE.set(limits)
    try:
        yield limits
    finally:
        _ACTIVE.reset(token)


def expired() -> bool:
    """True when the active limits' deadline has passed (for loops of plugins that want to be polite)."""
    limits = current()
    return limits is not None and limits.expired()
