"""Decreasing path to infinity against the exponential-neuron defense (docs/catalogue.md A12).

Liang, Sun, Lee, Srikant, "Adding One Neuron Can Eliminate All Bad Local Minima", NeurIPS 2018
(arXiv 1805.08671) promise no bad local minimum once a·exp(w·x + b) with (λ/2)a² is added; the
failure mode that Kawaguchi & Kaelbling (arXiv 1901.00279) and Sohl-Dickstein & Kawaguchi (arXiv
1901.03909) point out is a bad minimum *at infinity*. Construction (ours, docs/catalogue.md A12): data
X = [−1, 0, 1] (first coordinate), y = [+1, −1, +1]; every ReLU unit of the base network dead on
every sample, output bias 0; along w = t·e₁, b = 0, a = e^{−t},

    L̃(t) = [(1 − e^{−2t})² + (1 + e^{−t})²]/3 + (λ/2)e^{−2t}  ↓ 2/3,

with ‖θ(t)‖ → ∞, while the base network fits the data with zero loss (witness: the V-shape
−1 + 2|x| when the first hidden layer has two units). The claim carries the path in closed form.

Against Sohl-Dickstein & Kawaguchi's multiplicative version (D3, L̃ = L·(1 + (a e^b − 1)²) + λa²)
the path keeps θ at the all-dead bad point (best constant 1/3, L = 8/9) and moves a = e^{−t},
b = t: L̃(t) = 8/9 + λe^{−2t} ↓ 8/9 > 0 = min L̃ (docs/catalogue.md D3).

Run: ``python -m arena attacker=path_to_infinity defender=exp_neuron``
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from arena.contract import Budget
from arena.claims import Claim
from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig


@dataclass(frozen=True)
class PathToInfinity(PluginConfig):
    """``t_end``: the last t of the path (its points are 0 and 2^k up to t_end); ``dead_bias`` < 0."""

    name: ClassVar[str] = "path_to_infinity"

    t_end: float = 16.0
    dead_bias: float = -2.0

    def __post_init__(self) -> None:
        if not self.t_end >= 1:
            raise ValueError(f"path_to_infinity.t_end must be >= 1, got {self.t_end}")
        if not self.dead_bias < 0:
            raise ValueError(f"path_to_infinity.dead_bias must be < 0, got {self.dead_bias}")

    def applies_to(self, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]:
        if not setting.builtin:
            return False, "needs the built-in network (the path moves exp.a, exp.w, exp.b)"
        m = setting.mlp
        if m.multiplicative_exp:
            if m.exp_neuron or m.skip or not m.hidden or not setting.neuron.dead_region or not m.bias:
                return False, ("the multiplicative path needs a plain base network with biases and dead-region "
                               "units (no skip, no exponential neuron)")
            if not setting.loss_fn.hinge_type:
                return False, f"loss {setting.loss_fn.name} is not of hinge type: the limit 8/9 needs it"
            if any(r.name != "multiplicative_exp_l2" for r in setting.regularizers):
                return False, "regularizers other than λa² change the path's loss"
            return True, ""
        if not m.exp_neuron:
            return False, "the network has no exponential skip neuron to escape along"
        if not m.special_is_exponential:
            return False, (f"the skip neuron is {m.special_neuron}, not exponential: the closed-form path "
                           "needs e^(w x) (docs/catalogue.md A12)")
        if not m.hidden or not setting.neuron.dead_region:
            return False, f"the base network needs hidden units with a dead region (neuron {setting.neuron.name})"
        if not m.bias:
            return False, "the base network needs biases to put its units in their dead region"
        if m.skip:
            return False, "a linear skip connection would fit the data without the exponential neuron"
        if not setting.loss_fn.hinge_type:
            return False, f"loss {setting.loss_fn.name} is not of hinge type: the limit 2/3 needs it"
        if any(r.name != "exp_neuron_l2" for r in setting.regularizers):
            return False, "regularizers other than (λ/2)a² change the path's loss"
        return True, ""

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        m = setting.mlp
        if m.multiplicative_exp:
            return [self._multiplicative(setting, seed)]
        d = m.input_dim
        X = torch.zeros(3, d, dtype=torch.float64)
        X[:, 0] = torch.tensor([-1.0, 0.0, 1.0])
        y = torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
        depth = len(m.hidden)
        theta = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
        w0 = theta["layers.0.weight"]
        w0[0::2, 0] = 1.0  # units alternate between +x and −x, all pushed below zero by the bias
        w0[1::2, 0] = -1.0
        theta["layers.0.bias"].fill_(self.dead_bias)
        for i in range(1, depth):
            theta[f"layers.{i}.bias"].fill_(self.dead_bias)  # deeper units see 0 and stay dead too
        theta[f"layers.{depth}.weight"].fill_(1.0)
        theta["exp.a"] = torch.tensor(1.0, dtype=torch.float64)
        ts = [0.0] + [2.0**k for k in range(-2, int(math.log2(self.t_end)) + 1)]
        path = {"t": ts, "theta": {"exp.w": ["t"] + ["0"] * (d - 1), "exp.a": "exp(-t)", "exp.b": "0"}}
        witness = None
        if depth == 1 and m.hidden[0] >= 2:  # the V-shape −1 + 2|x₁| with zero loss, exp neuron off
            witness = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
            witness["layers.0.weight"][0, 0], witness["layers.0.weight"][1, 0] = 1.0, -1.0
            witness["layers.1.weight"][0, :2] = 2.0
            witness["layers.1.bias"][0] = -1.0
        lam = sum(r.params["weight"] for r in setting.regularizers)
        return [Claim(setting.to_config(), X, y, theta, witness=witness, attacker=self.name, seed=seed, kind="path",
                      notes=f"closed-form path w = t, a = e^-t; L(t) decreases to 2/3 (lambda = {lam:g})",
                      extra={"path": path, "construction": {"limit": 2 / 3, "lambda": lam}})]

    def _multiplicative(self, setting: Setting, seed: int) -> Claim:
        """D3: θ at the all-dead point (f ≡ 1/3 on labels +, −, +), a = e^{−t}, b = t."""
        m = setting.mlp
        X = torch.zeros(3, m.input_dim, dtype=torch.float64)
        X[:, 0] = torch.tensor([-1.0, 0.0, 1.0])
        y = torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
        depth = len(m.hidden)
        theta = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
        for i in range(depth):
            theta[f"layers.{i}.bias"].fill_(self.dead_bias)
        theta[f"layers.{depth}.bias"].fill_(1 / 3)  # the best constant for two positives, one negative
        theta["mult.a"] = torch.tensor(1.0, dtype=torch.float64)
        ts = [0.0] + [2.0**k for k in range(-2, int(math.log2(self.t_end)) + 1)]
        path = {"t": ts, "theta": {"mult.a": "exp(-t)", "mult.b": "t"}}
        witness = None
        if depth == 1 and m.hidden[0] >= 2:  # the V-shape −1 + 2|x₁| with a = 0: L̃ = 0·(1 + 1) + 0
            witness = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
            witness["layers.0.weight"][0, 0], witness["layers.0.weight"][1, 0] = 1.0, -1.0
            witness["layers.1.weight"][0, :2] = 2.0
            witness["layers.1.bias"][0] = -1.0
        lam = sum(r.params["weight"] for r in setting.regularizers)
        return Claim(setting.to_config(), X, y, theta, witness=witness, attacker=self.name, seed=seed, kind="path",
                     notes=f"D3 path: dead base network (L = 8/9), a = e^-t, b = t; L(t) = 8/9 + {lam:g} e^-2t",
                     extra={"path": path, "construction": {"limit": 8 / 9, "lambda": lam, "variant": "multiplicative"}})
