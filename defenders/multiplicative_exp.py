"""The multiplicative exponential trick: Sohl-Dickstein & Kawaguchi, "Eliminating all bad Local
Minima from Loss Landscapes without even adding an Extra Unit", 2019, arXiv:1901.03909 (docs/catalogue.md D3).

Adds two scalars (a, b) that do not enter f (``multiplicative_exp: true``) and turns the objective
into L̃(θ, a, b) = L(θ)·(1 + (a·e^b − 1)²) + λa² (regularizer ``multiplicative_exp_l2``, λ =
``weight``; other regularizers stay inside L). For L ≥ 0 with min_θ L = 0 and λ > 0, the gradient in
(a, b) vanishes at finite b only where L(θ) = 0 and a = 0: every local minimum at finite parameters
is global. The catch, which the paper states: each bad local minimum θ_bad of L becomes a minimum
at b = ∞, reached along the decreasing path a = e^{−t}, b = t with L̃ → L(θ_bad). The promise
therefore covers local minima only; such paths (attack A12) are out of its scope.

Run: ``python -m arena attacker=path_to_infinity defender=multiplicative_exp``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from arena.assumptions import regularizer_specs
from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin, require_int, require_number

PAPER = ("Sohl-Dickstein, Kawaguchi. Eliminating all bad Local Minima from Loss Landscapes without even "
         "adding an Extra Unit. 2019, arXiv:1901.03909")


def _name(spec: Any) -> str:
    return spec if isinstance(spec, str) else spec.get("name")


@dataclass(frozen=True)
class MultiplicativeExp(PluginConfig):
    """Regularizer defense: L·(1 + (a·e^b − 1)²) + λa² with λ = ``weight`` > 0."""

    weight: float = 0.1
    realizable_restarts: int = 8
    realizable_steps: int = 1500

    name: ClassVar[str] = "multiplicative_exp"
    kind: ClassVar[str] = "regularizer"

    def __post_init__(self) -> None:
        require_number("defender multiplicative_exp", "weight (λ)", self.weight)
        for key in ("realizable_restarts", "realizable_steps"):
            require_int("defender multiplicative_exp", key, getattr(self, key))

    def defend(self, setting: Setting) -> Setting:
        """Idempotent: an existing multiplicative_exp_l2 term gets this λ instead of a second copy."""
        require_builtin(setting, self.name)
        regs = [r for r in regularizer_specs(setting.regularizer) if _name(r) != "multiplicative_exp_l2"]
        regs = regs + [{"name": "multiplicative_exp_l2", "weight": float(self.weight)}]
        return setting.replace(multiplicative_exp=True, regularizer=regs[0] if len(regs) == 1 else regs)

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=assumptions(
                ("objective_min_zero", {"restarts": self.realizable_restarts, "steps": self.realizable_steps}),
                "multiplicative_exp_regularized"),
            paper=PAPER,
            notes=("At finite parameters every local minimum of L̃ has L(θ) = 0 and a = 0, given L ≥ 0 with "
                   "min L = 0 (checked by a witness with zero data loss and zero inner penalty) and λ > 0. "
                   "Bad local minima of L move to b = ∞: decreasing paths to infinity remain and are outside "
                   "the promise (docs/catalogue.md D3, A12)."),
        )
