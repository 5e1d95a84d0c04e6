"""Increasing, strictly convex smooth neurons: Liang, Sun, Li, Srikant, "Understanding the Loss
Surface of Neural Networks for Binary Classification", ICML 2018, arXiv:1803.00909 (docs/catalogue.md D1, P1).

Replaces the hidden neuron by a configurable increasing, strictly convex smooth family. The default
``softplus_linear`` is σ(z) = softplus(z) + 0.1·z: σ' ≥ 0.1 everywhere, so unlike plain softplus it
never saturates, and no unit can sit at a point that only looks stationary (docs/catalogue.md §6.4).
Accepted families are the registered neurons declared increasing and strictly convex
(``softplus``, ``softplus_linear``, ``exponential``); their parameters (``beta``, ``c``) are passed
only to the families that take them.

Guarantee (P1, the shape of :mod:`arena.defenders.softplus`): every local minimum has ℓ'(y_i f(x_i)) = 0
for all i, hence zero training error and zero loss, when σ is increasing and strictly convex, the
network has one hidden layer or a shortcut, the loss is hinge type, C¹ and non-increasing, and
the data are linearly separable (through the origin when the network has no biases).
Known breaks when an assumption fails: A2 (squared loss), A3 (logistic), A5 (non-separable data).

Run: ``python -m arena attacker=concavity_trap defender=smooth_neuron``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, require_builtin
from arena.contract.guarantees import d1_guarantee


@dataclass(frozen=True)
class SmoothNeuron(PluginConfig):
    """Neuron defense: ``neuron`` (an increasing, strictly convex family) with ``beta`` and ``c``."""

    neuron: str = "softplus_linear"
    beta: float = 1.0
    c: float = 0.1

    name: ClassVar[str] = "smooth_neuron"
    kind: ClassVar[str] = "neuron"

    def __post_init__(self) -> None:
        try:
            built = make_neuron(self.spec())
        except (KeyError, ValueError) as exc:
            raise ValueError(f"defender smooth_neuron: bad neuron {self.neuron!r}: {exc}") from exc
        if not (built.increasing and built.strictly_convex):
            raise ValueError(f"defender smooth_neuron: neuron {self.neuron!r} is not increasing and strictly "
                             "convex (D1 needs both); use softplus, softplus_linear or exponential")

    def spec(self) -> dict[str, Any]:
        """The neuron spec: the family's own parameters only (softplus takes beta, exponential none)."""
        if not isinstance(self.neuron, str):
            raise ValueError(f"defender smooth_neuron: neuron must be a family name, got {self.neuron!r}")
        known = make_neuron(self.neuron).params  # the family's parameters with their defaults
        given = {"beta": self.beta, "c": self.c}
        return {"name": self.neuron, **{k: float(given[k]) for k in known if k in given}}

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return setting.replace(neuron=self.spec())

    def guarantee(self, setting: Setting) -> Guarantee:
        defended = self.defend(setting)
        return d1_guarantee(defended, notes=(
            f"P1 of docs/catalogue.md with σ = {self.spec()}: every local minimum has ℓ'(y_i f(x_i)) = 0 for all i, "
            "so zero training error and (hinge-type loss) zero loss. The proof uses σ' > 0 only; strict "
            "convexity is the paper's assumption and is kept. The paper asks ℓ ∈ C²; P1 needs C¹. "
            "softplus_linear has σ' >= c > 0, so no saturated unit can fake stationarity."))
