"""Losses of the margin m = y·f(x) (docs/design.md, glossary); small is good, large margins are cheap.

| name | ℓ(m) | attains its minimum | non-increasing in m |
| quadratic_hinge | max(0, 1−m)² | yes (0 for m ≥ 1) | yes |
| poly_hinge (p) | max(0, 1−m)^p | yes | yes |
| smooth_hinge | Rennie–Srebro: 1/2−m (m ≤ 0), (1−m)²/2 (0<m<1), 0 (m ≥ 1) | yes | yes |
| hinge | max(0, 1−m) | yes | yes |
| logistic | log(1+e^{−m}) | no (inf 0) | yes |
| exponential | e^{−m} | no (inf 0) | yes |
| squared | (1−m)² | yes (at m = 1) | no |

docs/catalogue.md writes the same losses in z = −m; ``smoothness`` is k with ℓ ∈ C^k.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

from arena.landscape.neurons import Spec, split_spec


@dataclass(frozen=True)
class Loss:
    """A margin loss ℓ(m), m: [...] → [...] elementwise."""

    name: str
    params: dict[str, float]
    fn: Callable[[torch.Tensor], torch.Tensor]
    smoothness: int
    convex: bool
    monotone: bool  # non-increasing in the margin
    attains_minimum: bool
    minimum: float  # inf over m of ℓ(m)
    hinge_type: bool  # ℓ' = 0 exactly on a half-line m >= m0 > 0 and ℓ' < 0 before it

    def __call__(self, margin: torch.Tensor) -> torch.Tensor:
        return self.fn(margin)

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


def _poly_hinge(p: float) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda m: torch.clamp(1 - m, min=0) ** p


def _smooth_hinge(m: torch.Tensor) -> torch.Tensor:
    return torch.where(m <= 0, 0.5 - m, torch.where(m < 1, 0.5 * (1 - m) ** 2, torch.zeros_like(m)))


def make_loss(spec: Spec) -> Loss:
    """Build a margin loss from ``"name"`` or ``{"name": ..., **params}``."""
    name, p = split_spec(spec, "loss")
    if name == "quadratic_hinge":
        return Loss(name, p, _poly_hinge(2), 1, True, True, True, 0.0, True)
    if name == "poly_hinge":
        power = float(p.setdefault("p", 3.0))
        if power < 1:
            raise ValueError(f"loss poly_hinge: p must be >= 1, got {power}")
        smooth = int(power) - 1 if power == int(power) else int(power)
        return Loss(name, p, _poly_hinge(power), smooth, True, True, True, 0.0, True)
    if name == "smooth_hinge":
        return Loss(name, p, _smooth_hinge, 1, True, True, True, 0.0, True)
    if name == "hinge":
        return Loss(name, p, _poly_hinge(1), 0, True, True, True, 0.0, True)
    if name == "logistic":
        return Loss(name, p, lambda m: F.softplus(-m, threshold=40.0), 99, True, True, False, 0.0, False)
    if name == "exponential":
        return Loss(name, p, lambda m: torch.exp(-m), 99, True, True, False, 0.0, False)
    if name == "squared":
        return Loss(name, p, lambda m: (1 - m) ** 2, 99, True, False, True, 0.0, False)
    raise KeyError(f"unknown loss {name!r}; known: {', '.join(LOSS_NAMES)}")


LOSS_NAMES = ("quadratic_hinge", "poly_hinge", "smooth_hinge", "hinge", "logistic", "exponential", "squared")
