"""The concavity trap: data that are not linearly separable (docs/catalogue.md §5, A5).

Breaks the data assumption of Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (linear
separability), with every other assumption of their theorem kept: one hidden layer
f(x) = a₀ + Σ_j a_j σ(w_j·x + b_j) of increasing, strictly convex neurons (softplus, exponential,
softplus_linear), M ≥ 1 units, polynomial hinge loss (p = 2 or 3). The construction and its numbers
are ours (docs/catalogue.md A5, "derived + verified").

Data ``X = [−1, 0, 1]``, ``y = [+1, −1, +1]``: the negative sits between the positives, so no line
separates them. Weights: all w_j = 0, any b_j, every output weight a_j < 0, and a₀ chosen so that
f ≡ c* (the best constant: 1/3 for p = 2, 3 − 2√2 for p = 3). Then L* = 8/9 (p = 2) or 0.915055335
(p = 3), training error 1/3 (x = 0 gets f = c* > 0).

Certificate (why it is a local minimum): near θ every a_j < 0 and σ is convex, so f is concave in x
and the outputs F = (f(−1), f(0), f(1)) satisfy D2 = F₋ + F₊ − 2F₀ ≤ 0. The loss Φ(F) is convex and
at F* = (c*, c*, c*) the optimality of c* gives ∇Φ = −μ∇D2 with μ = −ℓ'(c*)/3 ≥ 0: the KKT conditions
of min Φ subject to D2 ≤ 0, so no nearby θ does better. Only convexity of σ and a convex,
non-increasing-at-c* C¹ loss are used, so the attack also accepts smooth hinge, logistic,
exponential and squared losses (ℓ'(c*) is checked). The trap is escaped only by flipping the sign
of some a_j. Witness: the V-shape α(σ(s x) + σ(−s x)) − β with positive output weights (s = 6)
reaches zero loss for M ≥ 2; with M = 1 a step σ(2s x − s) reaches about 2/3, still lower.

Run: ``python -m arena attacker=concavity_trap defender=none setting=softplus_1d_m2``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import linear_separability
from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, ensure_applies, require_number
from arena.contract.datasets import pad
from arena.landscape.constant_fit import closed_form, constant_fit, constant_fit_slope, constant_fit_value
from arena.landscape.edits import unplaced_parts
from arena.landscape.setting import Params, Setting
from arena.search.output_fit import fit_output_layer

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")
DATA_X = np.array([[-1.0], [0.0], [1.0]])
DATA_Y = np.array([1.0, -1.0, 1.0])
N_POS, N_NEG = 2, 1


def loss_slope(setting: Setting, m: float) -> float:
    """ℓ'(m) by float64 autograd."""
    t = torch.tensor(m, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(setting.loss_fn(t), t)
    return float(g)


def _why_not(setting: Setting) -> str:
    if not setting.builtin:
        return f"custom network {setting.network.get('_target_')!r}: the attack sets the built-in MLP's weights"
    m = setting.mlp
    if len(m.hidden) != 1:
        return (f"hidden widths {list(m.hidden)}: the certificate needs one hidden layer (f concave in x when "
                "every output weight is negative)")
    neuron = setting.neuron
    if not neuron.strictly_convex:
        return (f"neuron {neuron.name} is not strictly convex: the trap targets D1's increasing, strictly "
                "convex neurons (softplus, exponential, softplus_linear)")
    if not m.bias:
        return "network has no biases: the output offset a₀ is needed to put f at the best constant"
    if why := unplaced_parts(setting):
        return why
    others = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if others:
        # (λ/2)a² on a switched-off exponential neuron (a = 0) leaves the point stationary
        return f"regularizer {others} moves the stationary point"
    loss = setting.loss_fn
    if not (loss.convex and loss.smoothness >= 1):
        return f"loss {loss.name} is not convex and C¹: the KKT certificate needs both"
    c_star = constant_fit(loss, N_POS, N_NEG)
    if not loss_slope(setting, c_star) < 0:
        return (f"loss {loss.name} has ℓ'(c*) = {loss_slope(setting, c_star):.3g} >= 0 at the best constant "
                f"c* = {c_star:.4g}: no concavity multiplier, or nothing to gain")
    return ""


@dataclass(frozen=True)
class ConcavityTrap(PluginConfig):
    """A5 generator. ``steepness``: s of the witness V-shape σ(s x) + σ(−s x); b_j are drawn in
    [−bias_range, bias_range] and the output weights in [−2, −0.5] from the seed."""

    steepness: float = 6.0
    bias_range: float = 1.0

    name: ClassVar[str] = "concavity_trap"

    def __post_init__(self) -> None:
        require_number("attacker concavity_trap", "steepness", self.steepness)
        require_number("attacker concavity_trap", "bias_range", self.bias_range, at_least=0)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = _why_not(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        """Closed-form construction (float64, CPU; ``device`` is not needed)."""
        ensure_applies(self, setting, guarantee)
        rng = np.random.default_rng(int(seed))
        X = torch.as_tensor(pad(DATA_X, setting.mlp.input_dim))
        y = torch.as_tensor(DATA_Y)
        params, info = trap_point(setting, X, y, rng, bias_range=self.bias_range)
        best = v_witness(setting, X, y, self.steepness)
        info["witness_loss"] = float(setting.empirical_loss(best, X, y))
        info["witness_train_error"] = float(setting.train_error(best, X, y))
        info["witness_output_weights"] = best["layers.1.weight"].flatten().tolist()
        witness = best if info["witness_loss"] < info["loss"] else None
        sep = linear_separability(X, y)
        info["linearly_separable"] = sep.holds  # False: the point of this attack
        info["separability_evidence"] = sep.evidence
        notes = (f"A5 concavity trap (docs/catalogue.md §5): {setting.neuron.name} units with w = 0 and negative output "
                 f"weights, f = c* = {info['c_star']:.6g} on X = [-1, 0, 1] with labels (+, -, +), which are NOT "
                 f"linearly separable; loss {info['loss']:.9g}, training error {info['train_error']:.4g}")
        return [Claim(setting=setting.to_config(), X=X, y=y, theta=params, witness=witness, attacker=self.name,
                      seed=int(seed), notes=notes,
                      extra={"construction": info, "attacker_config": self.config(), "paper": PAPER,
                             "data_linearly_separable": sep.holds})]


def trap_point(setting: Setting, X: torch.Tensor, y: torch.Tensor, rng: np.random.Generator, *,
               bias_range: float = 1.0) -> tuple[Params, dict[str, Any]]:
    """w_j = 0, b_j ~ U[−bias_range, bias_range], a_j ~ −U[0.5, 2], a₀ = c* − Σ a_j σ(b_j).

    X: [3, d] (the 1-D points padded), y: [3]. Returns the parameters and the bookkeeping.
    """
    why = _why_not(setting)
    if why:
        raise ValueError(why)
    width = setting.mlp.hidden[0]
    loss = setting.loss_fn
    c_star = constant_fit(loss, N_POS, N_NEG)
    b = torch.as_tensor(rng.uniform(-bias_range, bias_range, size=width))
    a = -torch.as_tensor(rng.uniform(0.5, 2.0, size=width))
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    params["layers.0.bias"] = b
    params["layers.1.weight"] = a.reshape(1, -1).clone()
    params["layers.1.bias"] = torch.tensor([c_star - float(a @ setting.neuron(b))], dtype=torch.float64)
    f = setting.output(params, X)
    slope = loss_slope(setting, c_star)
    info: dict[str, Any] = {
        "c_star": c_star, "constant_fit_slope": constant_fit_slope(loss, c_star, N_POS, N_NEG),
        "predicted_loss": constant_fit_value(loss, c_star, N_POS, N_NEG) / (N_POS + N_NEG),
        "loss": float(setting.empirical_loss(params, X, y)), "train_error": float(setting.train_error(params, X, y)),
        "outputs": f.tolist(), "output_weights": a.tolist(), "hidden_biases": b.tolist(),
        "loss_slope_at_c_star": slope, "kkt_multiplier": -slope / 3,
        "second_difference": float(f[0] + f[2] - 2 * f[1]),
        "neuron_increasing": setting.neuron.increasing, "neuron_strictly_convex": setting.neuron.strictly_convex,
    }
    exact = closed_form(loss, N_POS, N_NEG)
    if exact is not None:
        info["closed_form_c_star"], info["closed_form_loss"] = exact
    return params, info


def v_witness(setting: Setting, X: torch.Tensor, y: torch.Tensor, steepness: float) -> Params:
    """M >= 2: σ(s x₁), σ(−s x₁) with positive output weights (a V); M = 1: the step σ(2s x₁ − s).

    The last layer is fit to the features (:func:`arena.search.output_fit.fit_output_layer`).
    """
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    if setting.mlp.hidden[0] >= 2:
        params["layers.0.weight"][0, 0] = steepness
        params["layers.0.weight"][1, 0] = -steepness
    else:
        params["layers.0.weight"][0, 0] = 2 * steepness
        params["layers.0.bias"][0] = -steepness
    return fit_output_layer(setting, params, X, y)
