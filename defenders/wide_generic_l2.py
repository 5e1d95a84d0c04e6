"""A wide last hidden layer plus a generic quadratic regularizer: Liang, Sun, Srikant, "Revisiting
Landscape Analysis in Deep Neural Networks: Eliminating Decreasing Paths to Infinity", 2019 / SIAM
J. Optim. 32(4) 2022, arXiv:1912.13472 (docs/catalogue.md D4).

Widens the last hidden layer to ``width`` units (default 32; theory: at least n) and adds
``generic_l2``: Σ_k λ_k θ_k² over every scalar parameter, λ_k log-uniform in [``low``, ``high``] from
``seed`` (an existing generic_l2 term is replaced, other terms kept). The paper's claim: for
over-parameterized nets and almost every choice of regularizer coefficients, the loss has no bad
local minimum and no decreasing path to infinity; in the arena the promise
``no_bad_path_to_infinity`` covers both. The regularizer makes L coercive, so sublevel sets are
bounded and no path to infinity can decrease (docs/catalogue.md D4 [D]); the no-bad-minimum half holds for
almost every λ and can only be tested statistically (several seeds).

NOT CONFIRMED (docs/catalogue.md D4 [R]): the paper's exact width condition (we assume the last hidden layer
has at least n units, as in Li, Ding, Sun) and its exact regularizer form (we assume a weighted
squared norm with generic coefficients). Treat this defense as our reading of the paper.

Run: ``python -m arena attacker=random_restarts defender=wide_generic_l2``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin, require_int
from arena.landscape.edits import swap_term, widen_last_hidden
from arena.landscape.setting import Setting

PAPER = ("Liang, Sun, Srikant. Revisiting Landscape Analysis in Deep Neural Networks: Eliminating "
         "Decreasing Paths to Infinity. SIAM J. Optim. 32(4) 2022, arXiv:1912.13472")


@dataclass(frozen=True)
class WideGenericL2(PluginConfig):
    """Combined defense: last hidden width >= ``width`` and generic_l2(``low``, ``high``, ``seed``)."""

    width: int = 32
    low: float = 1e-4
    high: float = 1e-2
    seed: int = 0

    name: ClassVar[str] = "wide_generic_l2"
    kind: ClassVar[str] = "combined"

    def __post_init__(self) -> None:
        require_int(f"defender {self.name}", "width", self.width)
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (self.low, self.high))
        if not (ok and 0 < self.low <= self.high):
            raise ValueError(f"defender wide_generic_l2: need 0 < low <= high, got low={self.low!r}, high={self.high!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"defender wide_generic_l2: seed must be an integer, got {self.seed!r}")

    def term(self) -> dict[str, Any]:
        return {"name": "generic_l2", "low": float(self.low), "high": float(self.high), "seed": int(self.seed)}

    def defend(self, setting: Setting) -> Setting:
        """Idempotent: an existing generic_l2 term is replaced by this one."""
        require_builtin(setting, self.name)
        wide = widen_last_hidden(setting, self.width, self.name)
        return wide.replace(regularizer=swap_term(wide.regularizer, "generic_l2", self.term()))

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_path_to_infinity",
            assumptions=assumptions("last_hidden_width_at_least_n", "regularizer_coercive", "loss_convex"),
            paper=PAPER,
            notes=("No bad local minimum and no decreasing path to infinity, for almost every regularizer "
                   "(a measure-zero exception set: the coefficients are drawn at random from `seed`). "
                   "'Bad' is measured on the regularized objective. The width condition (>= n in the last "
                   "hidden layer) and the regularizer form are our reading of the paper, not confirmed "
                   "(docs/catalogue.md D4 [R])."),
        )
