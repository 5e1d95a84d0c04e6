"""What one attacker may spend in one match (the ``budget/`` config group).

The arena enforces it (:mod:`arena.game.enforce`): during ``attack`` the engine clips populations
to ``restarts`` and calls to ``steps`` and stops at the ``seconds`` deadline; an attack still
running after it is interrupted and keeps the claims it already handed over, by ``yield`` or by
:meth:`Budget.submit`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from arena import clock


@dataclass(frozen=True)
class Budget:
    """Limits an attacker must respect; ``None`` means unlimited.

    ``restarts``: random restarts per search (batched as one population); ``steps``: optimiser steps
    per restart; ``datasets``: datasets an attacker may generate; ``seconds``: wall-clock limit of
    one ``attack`` call; ``max_claims``: claims returned by one ``attack`` call.
    """

    restarts: int = 16
    steps: int = 2000
    datasets: int = 1
    seconds: float | None = None
    max_claims: int = 1
    # what the match sees while the attack runs: state, not config (no init, repr, comparison)
    _submitted: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)
    _deadline: float | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in ("restarts", "steps", "datasets", "max_claims"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"budget.{key} must be a positive integer, got {value!r}")
        if self.seconds is not None and (isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float))
                                         or not self.seconds > 0):
            raise ValueError(f"budget.seconds must be a positive number or null, got {self.seconds!r}")

    # -- what the match sees while the attack runs (not part of the config) --------------------
    def submit(self, claim: Any) -> None:
        """Hand a claim to the arena now: it is judged even if the attack is stopped later."""
        if not any(claim is c for c in self._submitted):
            self._submitted.append(claim)

    @property
    def submitted(self) -> list[Any]:
        """Claims handed over so far (by :meth:`submit` or ``yield``), in order."""
        return list(self._submitted)

    def start_clock(self, now: float | None = None) -> None:
        """Start the ``seconds`` clock (:func:`arena.clock.now`); the arena does this before ``attack``."""
        now = clock.now() if now is None else now
        object.__setattr__(self, "_deadline", None if self.seconds is None else now + float(self.seconds))

    @property
    def deadline(self) -> float | None:
        """:func:`arena.clock.now` value at which the attack's time is up (None: no clock running)."""
        return self._deadline

    def remaining(self) -> float | None:
        """Seconds left (may be negative), or None when unlimited or not started."""
        return None if self._deadline is None else self._deadline - clock.now()

    def expired(self) -> bool:
        """True once the wall-clock budget is spent: a polite attacker returns what it has."""
        return self._deadline is not None and clock.now() >= self._deadline

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> "Budget":
        """Build from a mapping (dict or OmegaConf node); unknown keys raise ValueError."""
        if cfg is None:
            return cls()
        if isinstance(cfg, Budget):
            return cfg
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = set(cfg) - known - {"_target_", "name"}
        if unknown:
            raise ValueError(f"budget: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: cfg[k] for k in known if k in cfg})

    def to_config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
