"""Squared loss with one exponential neuron on separable data (docs/catalogue.md §5, A2).

Breaks the loss assumption of Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (the paper
names the quadratic loss as a counterexample; its own instance was not retrieved, this one is ours,
docs/catalogue.md A2). Setting: f(x) = a₀ + a·exp(w x + b) (one hidden exponential unit, increasing and
strictly convex, so D1's neuron and structure assumptions hold), squared loss (1 − y f)², data
``X = [−1.9, −0.9, −0.8, 0.5, 2.7]``, ``y = [−1, −1, +1, +1, +1]`` (linearly separable at −0.85).

With c = a·e^b, the point a₀ = 1.22830965223, c = −0.63842488012, w = −0.677288619322 (here
refined by Newton in float64, stored as a = c, b = 0) is a strict minimum in (a₀, c, w) with
Hessian eigenvalues ≈ {0.09999, 1.5172, 16.998} and L = 0.38807835237138; the sample x = −0.9 gets
f = +0.0538, so the training error is 1/5.

**It is classification-bad, not value-bad.** The witness a₀ = −1, w = 5, c = e^{4.25} (stored as
a = 1, b = 4.25) has zero training error but a far HIGHER squared loss, because the squared loss
punishes large correct margins; 30 random restarts found nothing below L, so this
point is numerically the global minimum of the squared loss. The referee, which measures badness
by loss, must therefore answer ``not_bad``: the claim documents that the squared loss lets a
global minimum misclassify separable data, not a bad local minimum in value. Each claim records
``value_bad: false``, ``classification_bad: true`` and the best value of its own multistart check.

Run: ``python -m arena attacker=squared_loss_trap defender=none setting=exp_1d``
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import linear_separability
from arena.contract import Budget
from arena.claims import Claim
from arena.landscape.setting import Params, Setting
from arena.contract import ensure_applies, require_int
from arena.contract import Guarantee, PluginConfig

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")
DATA_X = np.array([-1.9, -0.9, -0.8, 0.5, 2.7])
DATA_Y = np.array([-1.0, -1.0, 1.0, 1.0, 1.0])
START = (1.22830965223, -0.63842488012, -0.677288619322)  # (a₀, c, w), docs/catalogue.md A2
WITNESS = (-1.0, 1.0, 5.0, 4.25)  # (a₀, a, w, b): c = a·e^b = e^{4.25}


def reduced_loss(t: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L(a₀, c, w) = mean (1 − y (a₀ + c e^{w x}))²; t: [..., 3], X, y: [n] -> [...]."""
    f = t[..., :1] + t[..., 1:2] * torch.exp(t[..., 2:3] * X)
    return ((1 - y * f) ** 2).mean(-1)


def newton_refine(t0: torch.Tensor, X: torch.Tensor, y: torch.Tensor, *, iters: int = 20) -> tuple[torch.Tensor, float]:
    """Newton's method on the reduced loss from t0 [3] in float64; returns (t, gradient norm)."""
    t = t0.clone().to(torch.float64)
    loss = lambda v: reduced_loss(v, X, y)  # noqa: E731
    for _ in range(iters):
        g = torch.autograd.functional.jacobian(loss, t)
        if float(g.norm()) < 1e-15:
            break
        H = torch.autograd.functional.hessian(loss, t)
        t = t - torch.linalg.solve(H, g)
    g = torch.autograd.functional.jacobian(loss, t)
    return t, float(g.norm())


def multistart_best(X: torch.Tensor, y: torch.Tensor, restarts: int, seed: int) -> float:
    """Lowest reduced loss found by BFGS from ``restarts`` random starts (a check, not a proof)."""
    from scipy.optimize import minimize

    Xn, yn = X.numpy(), y.numpy()

    def fun(t: np.ndarray) -> tuple[float, np.ndarray]:
        e = np.exp(np.clip(t[2] * Xn, -700, 700))
        r = 1 - yn * (t[0] + t[1] * e)
        grad_f = -2 * r * yn / len(yn)
        return float(np.mean(r**2)), np.array([grad_f.sum(), (grad_f * e).sum(), (grad_f * t[1] * e * Xn).sum()])

    rng = np.random.default_rng(seed)
    best = math.inf
    for _ in range(restarts):
        with np.errstate(over="ignore", invalid="ignore"):  # far-out starts overflow; they just lose
            res = minimize(fun, rng.normal(size=3) * 1.5, jac=True, method="BFGS",
                           options={"gtol": 1e-12, "maxiter": 5000})
        if np.isfinite(res.fun):
            best = min(best, float(res.fun))
    return best


def _params(a0: float, a: float, w: float, b: float) -> Params:
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    return {"layers.0.weight": t([[w]]), "layers.0.bias": t([b]), "layers.1.weight": t([[a]]), "layers.1.bias": t([a0])}


def _why_not(setting: Setting) -> str:
    if not setting.builtin:
        return f"custom network {setting.network.get('_target_')!r}: the attack sets the built-in MLP's weights"
    m = setting.mlp
    if setting.neuron.name != "exponential":
        return f"neuron {setting.neuron.name} is not exponential: the point is computed for f = a₀ + a·exp(w x + b)"
    if m.input_dim != 1:
        return f"input_dim is {m.input_dim}: the construction is 1-D (docs/catalogue.md A2)"
    if list(m.hidden) != [1]:
        return (f"hidden widths {list(m.hidden)}: the construction needs exactly one exponential unit (a second "
                "unit with a zero output weight would be a split-neuron saddle, not this minimum)")
    if setting.loss_fn.name != "squared":
        return f"loss {setting.loss_fn.name} is not squared: the trap comes from penalising large correct margins"
    if not m.bias:
        return "network has no biases: the output offset a₀ is part of the construction"
    if m.skip:
        return "network has a linear skip connection, whose gradient does not vanish at this point"
    if m.exp_neuron:
        return "network has an exponential skip neuron, a second exponential unit that lowers the loss here"
    if m.multiplicative_exp:
        return ("network has the multiplicative pair (mult.a, mult.b) of Sohl-Dickstein & Kawaguchi, which this "
                "construction does not place; with its λa² term bad minima move to b = ∞ (docs/catalogue.md D3)")
    if setting.regularizers:
        return f"regularizer {[r.name for r in setting.regularizers]} moves the minimum"
    return ""


@dataclass(frozen=True)
class SquaredLossTrap(PluginConfig):
    """A2: a classification-bad (value-global) minimum; ``restarts``: BFGS starts of the recorded
    multistart check (0 skips it)."""

    restarts: int = 30

    name: ClassVar[str] = "squared_loss_trap"

    def __post_init__(self) -> None:
        require_int("attacker squared_loss_trap", "restarts", self.restarts, at_least=0)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = _why_not(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        """Newton-refined notes point (float64, CPU; ``device`` is not needed)."""
        ensure_applies(self, setting, guarantee)
        X1, y = torch.as_tensor(DATA_X), torch.as_tensor(DATA_Y)
        t, grad_norm = newton_refine(torch.tensor(START, dtype=torch.float64), X1, y)
        H = torch.autograd.functional.hessian(lambda v: reduced_loss(v, X1, y), t)
        a0, c, w = (float(v) for v in t)
        theta = _params(a0, c, w, 0.0)
        witness = _params(*WITNESS)
        X = X1.unsqueeze(-1)
        info: dict[str, Any] = {
            "a0": a0, "c": c, "w": w, "reduced_grad_norm": grad_norm,
            "reduced_hessian_eigenvalues": torch.linalg.eigvalsh(H).tolist(),
            "outputs": setting.output(theta, X).tolist(),
            "loss": float(setting.empirical_loss(theta, X, y)), "train_error": float(setting.train_error(theta, X, y)),
            "witness_loss": float(setting.empirical_loss(witness, X, y)),
            "witness_train_error": float(setting.train_error(witness, X, y)),
            "linearly_separable": linear_separability(X, y).holds,
            "value_bad": False, "classification_bad": True,
        }
        if self.restarts:
            info["multistart_best_loss"] = multistart_best(X1, y, self.restarts, int(seed))
            info["multistart_restarts"] = self.restarts
        notes = (f"A2 squared-loss trap (docs/catalogue.md §5): exponential unit, loss {info['loss']:.14g}, training error "
                 f"{info['train_error']:.3g} on separable data; the zero-error witness has HIGHER loss "
                 f"{info['witness_loss']:.4g}: classification-bad, not value-bad (expect verdict not_bad)")
        return [Claim(setting=setting.to_config(), X=X, y=y, theta=theta, witness=witness, attacker=self.name,
                      seed=int(seed), notes=notes,
                      extra={"construction": info, "attacker_config": self.config(), "paper": PAPER})]
