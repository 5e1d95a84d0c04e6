"""The polynomial hinge loss max(0, 1 − m)^p, the C² "smooth hinge" of Liang, Sun, Li, Srikant,
"Understanding the Loss Surface of Neural Networks for Binary Classification", ICML 2018,
arXiv:1803.00909 (docs/catalogue.md §2 and D1).

Swaps the loss for ``poly_hinge`` with power ``p`` (default 3, which is C²: the paper's loss
assumption asks ℓ ∈ C², non-decreasing in z = −m, every critical point a global minimiser at
z < 0). The network is left as it is, so the guarantee is D1's in full, neuron assumptions
included: a loss swap alone keeps a ReLU network's dead units (A1, A1b), and against ReLU the
guarantee is out of scope by ``neuron_increasing`` / ``neuron_strictly_convex``. The loss is
checked at the paper's smoothness, C² (``loss_smooth(k=2)``), which p ≥ 3 meets.

Run: ``python -m arena attacker=dead_relu defender=poly_hinge``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, require_builtin
from arena.contract.guarantees import d1_guarantee


@dataclass(frozen=True)
class PolyHinge(PluginConfig):
    """Loss defense: ℓ(m) = max(0, 1 − m)^p, C^{p−1} for integer ``p``; p >= 3 meets the C² assumption
    (smaller p is allowed, as an ablation that the guarantee then scopes out by ``loss_smooth``)."""

    p: float = 3.0

    name: ClassVar[str] = "poly_hinge"
    kind: ClassVar[str] = "loss"

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not self.p >= 1:
            raise ValueError(f"defender poly_hinge: p must be a number >= 1 (3 is the paper's C² hinge), "
                             f"got {self.p!r}")

    def defend(self, setting: Setting) -> Setting:
        # the guarantee's neuron and structure checks need the built-in network
        require_builtin(setting, self.name)
        return setting.replace(loss={"name": "poly_hinge", "p": float(self.p)})

    def guarantee(self, setting: Setting) -> Guarantee:
        defended = self.defend(setting)
        return d1_guarantee(defended, loss_k=2, notes=(
            f"D1 with ℓ(m) = max(0, 1 − m)^{self.p:g}, the paper's C² hinge. Only the loss changes: the "
            "neuron must already be increasing and strictly convex (ReLU fails, so its dead-unit minima "
            "are out of scope, not breaks), the network one hidden layer or shortcut, the data linearly "
            "separable."))
