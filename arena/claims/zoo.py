"""Small reference claims with known answers: the referee's test cases and the shipped examples.

Each builder returns a :class:`~arena.claims.format.Claim` whose correct verdict is known by construction
(the docstring says why). ``examples/build.py`` writes them to ``examples/``.
"""
from __future__ import annotations

import functools
import math
import operator

import torch

from arena.claims import Claim

f64 = torch.float64


def _t(values, dtype=f64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


def separable_2d(n_pos: int = 5, n_neg: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in [-1, 1]², labelled by the sign of x₁ + 0.5 x₂ with a margin of 0.2 (X [n, 2], y [n])."""
    gen = torch.Generator().manual_seed(seed)
    pos: list[torch.Tensor] = []
    neg: list[torch.Tensor] = []
    while len(pos) < n_pos or len(neg) < n_neg:
        x = 2 * torch.rand(2, generator=gen, dtype=f64) - 1
        s = float(x[0] + 0.5 * x[1])
        if s > 0.2 and len(pos) < n_pos:
            pos.append(x)
        elif s < -0.2 and len(neg) < n_neg:
            neg.append(x)
    X = torch.stack(pos + neg)
    y = torch.cat([torch.ones(n_pos, dtype=f64), -torch.ones(n_neg, dtype=f64)])
    return X, y


def all_dead_relu(n_pos: int = 5, n_neg: int = 3, hidden: int = 4) -> Claim:
    """Every hidden ReLU unit dead on every sample, the output bias at the best constant.

    Quadratic hinge: c* = (n₊ − n₋)/n and L = 4 n₊ n₋ / n² (docs/catalogue.md A1b). The data are linearly
    separable, so the same network reaches zero loss: a bad local minimum with flat directions.
    """
    X, y = separable_2d(n_pos, n_neg)
    n = n_pos + n_neg
    theta = {
        "layers.0.weight": torch.zeros(hidden, 2, dtype=f64) + _t([1.0, -0.5]),
        "layers.0.bias": torch.full((hidden,), -5.0, dtype=f64),  # z <= 1.5 - 5 < 0 on [-1, 1]²
        "layers.1.weight": torch.linspace(-1.0, 1.0, hidden, dtype=f64).reshape(1, hidden),
        "layers.1.bias": _t([(n_pos - n_neg) / n]),
    }
    setting = {"network": {"input_dim": 2, "hidden": [hidden], "neuron": "relu"}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="zoo.all_dead_relu", seed=0,
                 notes=f"all hidden units dead; expected loss 4 n+ n- / n^2 = {4 * n_pos * n_neg / n**2}")


def tanh_saddle() -> Claim:
    """The all-zero point of a 1-2-1 tanh net with balanced labels correlated with x.

    The gradient vanishes (tanh(0) = 0, the output bias 0 is the best constant), but the Hessian
    block in (a_j, w_j) is [[0, c], [c, 0]] with c = mean(ℓ'(0) y x) ≠ 0: indefinite, a saddle.
    """
    X = _t([[-2.0], [-1.0], [1.0], [2.0]])
    y = _t([-1.0, -1.0, 1.0, 1.0])
    theta = {"layers.0.weight": torch.zeros(2, 1, dtype=f64), "layers.0.bias": torch.zeros(2, dtype=f64),
             "layers.1.weight": torch.zeros(1, 2, dtype=f64), "layers.1.bias": torch.zeros(1, dtype=f64)}
    setting = {"network": {"input_dim": 1, "hidden": [2], "neuron": "tanh"}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="zoo.tanh_saddle", seed=0, notes="saddle at the origin")


def relu_on_kink() -> Claim:
    """A ReLU unit exactly on its kink at x = 0, where a one-sided move lowers the loss.

    X = [-1, 0, 1], y = [-1, +1, +1]; unit relu(x), output weight 2, output bias 0. The x = 0 sample
    (label +1, margin 0) would gain 2ε of margin if the unit's bias rose by ε, but autograd takes
    relu'(0) = 0, so every gradient component is exactly 0 and the Hessian is PSD.
    """
    X = _t([[-1.0], [0.0], [1.0]])
    y = _t([-1.0, 1.0, 1.0])
    theta = {"layers.0.weight": _t([[1.0]]), "layers.0.bias": _t([0.0]),
             "layers.1.weight": _t([[2.0]]), "layers.1.bias": _t([0.0])}
    setting = {"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="zoo.relu_on_kink", seed=0, notes="unit on its kink")


def a1_global_min() -> Claim:
    """docs/catalogue.md A1's zero-loss point: f = 2 relu(x + 2) − 3 = 2x + 1 on X = [-1, 0, 0.5, 2]."""
    X = _t([[-1.0], [0.0], [0.5], [2.0]])
    y = _t([-1.0, 1.0, 1.0, 1.0])
    theta = {"layers.0.weight": _t([[1.0]]), "layers.0.bias": _t([2.0]),
             "layers.1.weight": _t([[2.0]]), "layers.1.bias": _t([-3.0])}
    setting = {"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="zoo.a1_global_min", seed=0, notes="zero loss: a global minimum")


def a1_dead_relu(p: int = 2) -> Claim:
    """docs/catalogue.md A1 (Liang et al. 2018a type): w = 1, b = −1, a = 2, a₀ = a₀*; L = 2/3 for p = 2.

    The witness is the zero-loss point of :func:`a1_global_min`.
    """
    a0 = 1 / 3 if p == 2 else 3 - 2 * 2**0.5
    g = a1_global_min()
    theta = {"layers.0.weight": _t([[1.0]]), "layers.0.bias": _t([-1.0]),
             "layers.1.weight": _t([[2.0]]), "layers.1.bias": _t([a0])}
    loss = "quadratic_hinge" if p == 2 else {"name": "poly_hinge", "p": p}
    setting = {"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": loss}
    return Claim(setting, g.X, g.y, theta, witness=g.theta, attacker="zoo.a1_dead_relu", seed=0,
                 notes="dead-ReLU blind spot on separable data (docs/catalogue.md A1)")


def random_point(seed: int = 0) -> Claim:
    """A random point of a 2-[4]-1 softplus net on separable data: not a minimum."""
    X, y = separable_2d()
    gen = torch.Generator().manual_seed(seed)
    shapes = {"layers.0.weight": (4, 2), "layers.0.bias": (4,), "layers.1.weight": (1, 4), "layers.1.bias": (1,)}
    theta = {k: torch.randn(s, generator=gen, dtype=f64) for k, s in shapes.items()}
    setting = {"network": {"input_dim": 2, "hidden": [4], "neuron": "softplus"}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="zoo.random_point", seed=seed, notes="random parameters")


def float32_dead_relu(grad_target: float = 1e-5, seed: int = 0) -> Claim:
    """:func:`all_dead_relu` as float32 gradient descent finds it: stopped at ‖∇L‖ ≈ grad_target.

    Starts from dead units and a random output bias and runs float32 gradient descent on every
    parameter until the gradient norm drops below ``grad_target``; stored as float32 tensors.
    """
    from arena.landscape.setting import Setting

    base = all_dead_relu()
    setting = Setting.from_config(base.setting)
    gen = torch.Generator().manual_seed(seed)
    params = {k: v.to(torch.float32).clone() for k, v in base.theta.items()}
    params["layers.1.bias"] = torch.rand(1, generator=gen) * 2 - 1
    X32, y32 = base.X.float(), base.y.float()
    for _ in range(100_000):
        for t in params.values():
            t.requires_grad_(True)
        loss = setting.empirical_loss(params, X32, y32)
        grads = torch.autograd.grad(loss, list(params.values()))
        norm = float(torch.sqrt(functools.reduce(operator.add, [(g * g).sum() for g in grads])))
        if norm < grad_target:
            break
        with torch.no_grad():
            params = {k: (t - 0.01 * g).detach() for (k, t), g in zip(params.items(), grads)}
    params = {k: t.detach() for k, t in params.items()}
    return Claim(base.setting, X32, y32, params, attacker="zoo.float32_dead_relu", seed=seed,
                 notes=f"found by float32 gradient descent, gradient norm {norm:.2g}")


def a12_path(t_end: float = 16.0) -> Claim:
    """docs/catalogue.md A12: a decreasing path to infinity against the exponential-neuron defense.

    Dead-ReLU base f(x) = a₀ + Σ v_j relu(u_j x + c_j) with u = (1, −1), c = (−2, −2), a₀ = 0, plus
    a·exp(w x + b) with (λ/2)a², λ = 0.1, quadratic hinge, X = [−1, 0, 1], y = [+1, −1, +1]. Along
    w = t, b = 0, a = e^{−t}: L̃(t) = [(1 − e^{−2t})² + (1 + e^{−t})²]/3 + (λ/2)e^{−2t} ↓ 2/3, while
    the witness (a₀ = −1, v = (2, 2), u = (1, −1), c = 0, a = 0) has loss 0.
    """
    X = _t([[-1.0], [0.0], [1.0]])
    y = _t([1.0, -1.0, 1.0])
    theta = {"layers.0.weight": _t([[1.0], [-1.0]]), "layers.0.bias": _t([-2.0, -2.0]),
             "layers.1.weight": _t([[1.0, 1.0]]), "layers.1.bias": _t([0.0]),
             "exp.a": _t(1.0), "exp.w": _t([0.0]), "exp.b": _t(0.0)}
    witness = {"layers.0.weight": _t([[1.0], [-1.0]]), "layers.0.bias": _t([0.0, 0.0]),
               "layers.1.weight": _t([[2.0, 2.0]]), "layers.1.bias": _t([-1.0]),
               "exp.a": _t(0.0), "exp.w": _t([0.0]), "exp.b": _t(0.0)}
    setting = {"network": {"input_dim": 1, "hidden": [2], "neuron": "relu", "exp_neuron": True},
               "loss": "quadratic_hinge", "regularizer": {"name": "exp_neuron_l2", "weight": 0.1}}
    ts = [0.0] + [2.0**k for k in range(-2, int(math.log2(t_end)) + 1)]
    path = {"t": ts, "theta": {"exp.w": ["t"], "exp.a": "exp(-t)", "exp.b": "0"}}
    return Claim(setting, X, y, theta, witness=witness, attacker="zoo.a12_path", seed=0, kind="path",
                 notes="dead ReLUs + exponential neuron escaping to infinity (docs/catalogue.md A12)", extra={"path": path})
