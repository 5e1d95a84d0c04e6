"""Smooth plateau: a bad non-strict local minimum for smooth neurons of any width, in the spirit of
Ding, Li, Sun, "Sub-Optimal Local Minima Exist for Neural Networks with Almost All Non-Linear
Activations", arXiv:1911.01413 (the construction and its numbers here are ours).

One hidden layer f(x) = Σ_j v_j σ(w_j·x + b_j) + c. Every unit gets w_j = 0 and b_j = t₀ with
σ''(t₀)·v_j > 0, and c puts f at the best constant C*. The data are class-centred
(Σ_{y=+1} x = Σ_{y=−1} x = 0), which makes both Σ r_i x_i and Σ ℓ''_i x_i vanish
(r_i = y_i ℓ'(y_i C*), the slope of the loss in f at the constant fit), while
M = Σ r_i x_i x_iᵀ is positive definite because the negatives lie farther out than the positives
and ℓ'(C*) < 0. Expanding in w: L = g(C) + ½ Σ_j v_j σ''(b_j) w_jᵀ M w_j / n + (Gram term ≥ 0) + o,
with g(C) ≥ g(C*) — no first-order term in w survives, the w-block of the Hessian is positive
definite, and (v, b, c) only move C, so the point is a non-strict local minimum for every width.
Gradient descent from random starts fits the data (the loss of the plateau is the constant fit's).
Data: along each input axis e_k the points −2e_k, −e_k, e_k, 2e_k with labels −1, +1, +1, −1, so
they are never linearly separable. Conditions per loss and neuron: docs/search.md.

Run: ``python -m arena attacker=smooth_plateau defender=none setting=tanh_1hidden``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import linear_separability
from arena.claims import Claim
from arena.landscape.constant_fit import constant_fit
from arena.engine.population import polish_lbfgs, train_population
from arena.contract import Budget
from arena.landscape.setting import Params, Setting
from arena.contract import Guarantee, PluginConfig, ensure_applies, require_int, require_number
from arena.search import basins

PAPER = ("Ding, Li, Sun. Sub-Optimal Local Minima Exist for Neural Networks with Almost All Non-Linear "
         "Activations. arXiv:1911.01413")
CURVATURE_FLOOR = 1e-3  # |σ''(t₀)| below this is too weak for the referee's float64 tests


def plateau_data(d: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """X [4d, d], y [4d]: per axis e_k the points (−2, −1, 1, 2)·scale·e_k with labels (−1, 1, 1, −1)."""
    X = np.zeros((4 * d, d))
    y = np.tile([-1.0, 1.0, 1.0, -1.0], d)
    for k in range(d):
        X[4 * k: 4 * k + 4, k] = np.array([-2.0, -1.0, 1.0, 2.0]) * scale
    return X, y


def second_derivative(setting: Setting, t: torch.Tensor) -> torch.Tensor:
    """σ''(t) by float64 double autograd, t: [m] -> [m]."""
    t = t.detach().to(torch.float64).requires_grad_(True)
    (d1,) = torch.autograd.grad(setting.neuron(t).sum(), t, create_graph=True)
    if not d1.requires_grad:  # σ' is piecewise constant: σ'' = 0 almost everywhere
        return torch.zeros_like(t)
    (d2,) = torch.autograd.grad(d1.sum(), t, allow_unused=True)
    return torch.zeros_like(t) if d2 is None else d2.detach()


def choose_t0(setting: Setting, preferred: float) -> float | None:
    """``preferred`` if σ'' is clearly non-zero there (and on a small neighbourhood), else the grid
    point in [−4, 4] of largest |σ''| with the same sign around it; None when σ'' ≈ 0 everywhere."""
    def steady(t: torch.Tensor) -> torch.Tensor:
        around = torch.stack([second_derivative(setting, t + h) for h in (-0.05, 0.0, 0.05)])
        same_sign = (torch.sign(around) == torch.sign(around[1])).all(0)
        return torch.where(same_sign, around.abs().min(0).values, torch.zeros_like(t))

    first = steady(torch.tensor([preferred], dtype=torch.float64))
    if float(first) >= CURVATURE_FLOOR:
        return float(preferred)
    grid = torch.linspace(-4.0, 4.0, 161, dtype=torch.float64)
    strength = steady(grid)
    best = int(torch.argmax(strength))
    return float(grid[best]) if float(strength[best]) >= CURVATURE_FLOOR else None


def _why_not(setting: Setting) -> str:
    if not setting.builtin:
        return f"custom network {setting.network.get('_target_')!r}: the attack sets the built-in MLP's weights"
    m = setting.mlp
    if len(m.hidden) != 1:
        return f"hidden widths {list(m.hidden)}: the plateau is built for one hidden layer"
    if not m.bias:
        return "network has no biases: b_j = t₀ and the output bias at the best constant are needed"
    if m.multiplicative_exp:
        return "network has the multiplicative pair (mult.a, mult.b), which this construction does not place"
    if m.exp_neuron and not m.special_is_exponential:
        return f"network has a {m.special_neuron} skip neuron, which this construction does not place"
    others = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if others:
        return f"regularizer {others} moves the stationary point away from w = 0"
    loss = setting.loss_fn
    if not (loss.convex and loss.smoothness >= 1 or loss.name == "hinge"):
        return f"loss {loss.name} is not a convex loss differentiable at the constant fit"
    if choose_t0(setting, -1.0) is None:
        return (f"neuron {setting.neuron.name} has σ'' = 0 wherever it is smooth: the curvature term "
                "σ''(t₀)·wᵀMw that makes the plateau a minimum vanishes")
    return ""


@dataclass(frozen=True)
class SmoothPlateau(PluginConfig):
    """A10-type plateau. ``t0``: preferred bias of every unit (another point of non-zero σ'' is used
    when σ''(t0) ≈ 0); ``output_weight``: |v_j|; ``scale``: the data's unit length; ``witness_steps``:
    Adam steps of the restarts that find a lower point (at most ``budget.steps``)."""

    t0: float = -1.0
    output_weight: float = 1.0
    scale: float = 1.0
    witness_steps: int = 600

    name: ClassVar[str] = "smooth_plateau"

    def __post_init__(self) -> None:
        require_number("attacker smooth_plateau", "output_weight", self.output_weight)
        require_number("attacker smooth_plateau", "scale", self.scale)
        require_int("attacker smooth_plateau", "witness_steps", self.witness_steps, at_least=0)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = _why_not(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        ensure_applies(self, setting, guarantee)
        Xn, yn = plateau_data(setting.mlp.input_dim, self.scale)
        X, y = torch.tensor(Xn), torch.tensor(yn)
        theta, info = plateau_point(setting, X, y, self.t0, self.output_weight)
        witness = self._witness(setting, X, y, budget, seed, device)
        info["data_linearly_separable"] = bool(linear_separability(X, y).holds)
        return [Claim(setting.to_config(), X, y, theta, witness=witness, attacker=self.name, seed=seed,
                      notes=(f"smooth plateau: w_j = 0, b_j = t0 = {info['t0']:g}, v_j = {info['v'][0]:g}, "
                             f"f = C* = {info['c_star']:g}; loss {info['loss']:.6g}"),
                      extra={"construction": info, "config": self.config(), "paper": PAPER})]

    def _witness(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, budget: Budget, seed: int,
                 device: str) -> Params | None:
        steps = min(self.witness_steps, budget.steps)
        if steps == 0:
            return None
        gen = torch.Generator().manual_seed(seed)
        init = setting.init_params(min(budget.restarts, 8), generator=gen, scale=2.0)
        trained = train_population(setting, X, y, init, lr=0.05, steps=steps, device="cpu")
        polished = polish_lbfgs(setting, X, y, trained.params, max_iter=200, device="cpu")
        best = polished.best()
        basins.report(setting, X, y, polished.params, label="smooth_plateau witness search")
        return {k: v[best].clone() for k, v in polished.params.items()}


def plateau_point(setting: Setting, X: torch.Tensor, y: torch.Tensor, t0: float, output_weight: float
                  ) -> tuple[Params, dict[str, Any]]:
    """θ with w = 0, b = t₀, sign(v_j) = sign(σ''(t₀)·λ(M)), f ≡ C*, and the numbers that certify it."""
    loss = setting.loss_fn
    n_pos, n_neg = int((y > 0).sum()), int((y < 0).sum())
    c_star = constant_fit(loss, n_pos, n_neg)
    t = choose_t0(setting, t0)
    if t is None:
        raise ValueError(f"neuron {setting.neuron.name} has σ'' ≈ 0 everywhere: no plateau to place")
    curvature = float(second_derivative(setting, torch.tensor([t]))[0])
    m = torch.tensor(c_star, dtype=torch.float64, requires_grad=True)
    r = torch.stack([torch.autograd.grad(loss(yi * m), m)[0] for yi in y]).detach()  # r_i = ∂ℓ(y_i f)/∂f
    M = (r[:, None, None] * X[:, :, None] * X[:, None, :]).sum(0)
    eig = torch.linalg.eigvalsh(M)
    sign_M = 1.0 if float(eig.min()) > 0 else -1.0
    v = float(np.sign(curvature)) * sign_M * output_weight
    h = setting.mlp.hidden[0]
    theta = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    theta["layers.0.bias"].fill_(t)
    theta["layers.1.weight"].fill_(v)
    sigma_t0 = float(setting.neuron(torch.tensor(t, dtype=torch.float64)))
    theta["layers.1.bias"].fill_(c_star - h * v * sigma_t0)
    info = {"t0": t, "sigma_second_derivative": curvature, "v": [v] * h, "c_star": c_star,
            "r": r.tolist(), "sum_x": X.sum(0).tolist(), "sum_r_x": (r[:, None] * X).sum(0).tolist(),
            "M_eigenvalues": eig.tolist(), "M_definite": bool(eig.min() > 0 or eig.max() < 0),
            "loss": float(setting.empirical_loss(theta, X, y))}
    return theta, info
