"""A shortcut added to any network: the structural part of Liang, Sun, Li, Srikant, "Understanding
the Loss Surface of Neural Networks for Binary Classification", ICML 2018, arXiv:1803.00909
(docs/catalogue.md D1, P1 "shortcut version").

D1's shortcut is f(x) = f_D(x) + a_0 + Σ_j a_j σ(w_j·x + b_j): a single-layer block ADDED to an
arbitrary deep network f_D. The built-in family offers a linear skip, f(x) = f_D(x) + s·x + b_out,
and this defense turns it on (``skip: true``), keeping the base network (any depth, any neuron).
The linear skip is that block with σ = identity: σ' = 1 > 0 is all the proof of P1 uses, so
stationarity in (s, b_out) alone gives Σ_i ℓ'(m_i) y_i (x_i, 1) = 0, and the inner product with a
separating (u, c) forces every ℓ'(m_i) = 0 (strict convexity of σ, the paper's extra assumption,
is not needed by P1 and a linear σ does not have it). f_D may be anything, even non-differentiable
(ReLU): only the coordinates (s, b_out), in which L is C¹, enter the argument.

Guarantee: no bad local minimum when the shortcut is present, the loss is hinge type, C¹ and
non-increasing, and the data are linearly separable (through the origin without biases, since then
the block has no a_0). The deep part's neuron is unconstrained.

Run: ``python -m arena attacker=linear_region defender=shortcut``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin
from arena.contract.guarantees import LIANG_ICML_2018, separability_assumption


@dataclass(frozen=True)
class Shortcut(PluginConfig):
    """Architecture defense: the linear skip s·x added to the base network's output."""

    name: ClassVar[str] = "shortcut"
    kind: ClassVar[str] = "architecture"

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return setting.replace(skip=True)

    def guarantee(self, setting: Setting) -> Guarantee:
        defended = self.defend(setting)
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=assumptions(
                "has_linear_shortcut", "loss_hinge_type", ("loss_smooth", {"k": 1}), "loss_non_increasing",
                separability_assumption(defended)),
            paper=LIANG_ICML_2018,
            notes=("P1 of docs/catalogue.md with the shortcut block σ = identity (σ' = 1 > 0): stationarity in the skip "
                   "weights and the output bias alone forces ℓ'(y_i f(x_i)) = 0 for all i at every local "
                   "minimum, whatever the deep part is. The paper's block uses an increasing strictly convex "
                   "σ; P1 needs only σ' > 0, which the linear skip has."),
        )
