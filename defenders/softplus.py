"""Softplus neurons (increasing, strictly convex): Liang, Sun, Li, Srikant, "Understanding the Loss
Surface of Neural Networks for Binary Classification", ICML 2018, arXiv:1803.00909 (docs/catalogue.md D1, P1).

Replaces the hidden neuron by softplus σ(z) = log(1 + e^{βz})/β. Guarantee (P1, derived in
docs/catalogue.md §4 and stated in the paper's form): every local minimum has ℓ'(y_i f(x_i)) = 0 for all i,
hence zero training error and zero loss for hinge-type losses, when σ' > 0 (the paper also asks
strict convexity), the network is one hidden layer (or has a shortcut block), the loss is hinge
type, C¹ and non-increasing, and the data are linearly separable (through the origin when the
network has no biases). Known breaks when an assumption fails: A1/A1b (ReLU), A2 (squared loss),
A3 (logistic), A5 (non-separable data).

Run: ``python -m arena attacker=dead_relu defender=softplus``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin, require_number

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")


@dataclass(frozen=True)
class Softplus(PluginConfig):
    """Neuron defense: softplus with sharpness ``beta`` > 0."""

    beta: float = 1.0

    name: ClassVar[str] = "softplus"
    kind: ClassVar[str] = "neuron"

    def __post_init__(self) -> None:
        require_number("defender softplus", "beta", self.beta)

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return setting.replace(neuron={"name": "softplus", "beta": float(self.beta)})

    def guarantee(self, setting: Setting) -> Guarantee:
        defended = self.defend(setting)
        separable = "data_linearly_separable" if defended.mlp.bias else "data_linearly_separable_through_origin"
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=assumptions(
                "neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut",
                "loss_hinge_type", ("loss_smooth", {"k": 1}), "loss_non_increasing", separable),
            paper=PAPER,
            notes=("P1 of docs/catalogue.md: every local minimum has ℓ'(y_i f(x_i)) = 0 for all i, so zero training "
                   "error and (hinge-type loss) zero loss. The proof uses σ' > 0 only; strict convexity is "
                   "the paper's assumption and is kept. The paper asks ℓ ∈ C²; P1 needs C¹. Softplus "
                   "saturates: points with pre-activations near -35 look stationary but lie on paths to "
                   "infinity (docs/catalogue.md §6.4)."),
        )
