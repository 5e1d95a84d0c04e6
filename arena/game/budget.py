"""What one attacker may spend in one match (the ``budget/`` config group)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping


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

    def __post_init__(self) -> None:
        for key in ("restarts", "steps", "datasets", "max_claims"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"budget.{key} must be a positive integer, got {value!r}")
        if self.seconds is not None and not (isinstance(self.seconds, (int, float)) and self.seconds > 0):
            raise ValueError(f"budget.seconds must be a positive number or null, got {self.seconds!r}")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> "Budget":
        """Build from a mapping (dict or OmegaConf node); unknown keys raise ValueError."""
        if cfg is None:
            return cls()
        if isinstance(cfg, Budget):
            return cfg
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(cfg) - known - {"_target_", "name"}
        if unknown:
            raise ValueError(f"budget: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: cfg[k] for k in known if k in cfg})

    def to_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
