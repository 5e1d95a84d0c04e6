"""The built-in network's loss in arbitrary precision (mpmath), for changes far below float64's
resolution.

At the origin of a deep linear network the loss drops like −r^D (D = hidden layers + 1) along
directions that move every layer together: at r = 0.1 and D = 9 that is 1e-9 of a relative
change of 1e-18, which float64 rounds away. :func:`mp_delta` evaluates L(θ + δ) − L(θ) with
``dps`` decimal digits from the float64 numbers of θ, δ and the data (each converted exactly), so
such a drop is seen with its sign.

Covered: the multi-layer network with or without biases (no skip, exponential or multiplicative
units), the neurons and margin losses below, and the ``l2`` regularizer; anything else raises
:class:`Unsupported`.
"""
from __future__ import annotations

from typing import Callable

import mpmath
import torch

from arena.landscape.setting import Setting


class Unsupported(ValueError):
    """The setting has a part this module does not evaluate in high precision."""


def _neuron(name: str, p: dict) -> Callable:
    mp = mpmath.mp
    if name == "linear":
        return lambda z: z
    if name == "relu":
        return lambda z: z if z > 0 else mp.zero
    if name == "leaky_relu":
        s = mp.mpf(p.get("slope", 0.01))
        return lambda z: z if z >= 0 else s * z
    if name == "tanh":
        return mpmath.tanh
    if name == "sigmoid":
        return lambda z: 1 / (1 + mpmath.exp(-z))
    if name == "softplus":
        beta = mp.mpf(p.get("beta", 1.0))
        return lambda z: mpmath.log1p(mpmath.exp(beta * z)) / beta
    if name == "quadratic":
        return lambda z: z * z
    if name in ("exponential", "exp"):
        return mpmath.exp
    raise Unsupported(f"neuron {name!r} has no high-precision form")


def _loss(name: str, p: dict) -> Callable:
    mp = mpmath.mp
    if name in ("quadratic_hinge", "poly_hinge", "hinge"):
        power = {"quadratic_hinge": 2, "hinge": 1}.get(name, p.get("p", 3.0))
        power = mp.mpf(power)
        return lambda m: (1 - m) ** power if m < 1 else mp.zero
    if name == "smooth_hinge":
        return lambda m: mp.mpf(0.5) - m if m <= 0 else ((1 - m) ** 2 / 2 if m < 1 else mp.zero)
    if name == "logistic":
        return lambda m: mpmath.log1p(mpmath.exp(-m))
    if name == "exponential":
        return lambda m: mpmath.exp(-m)
    if name == "squared":
        return lambda m: (1 - m) ** 2
    raise Unsupported(f"loss {name!r} has no high-precision form")


def _plan(setting: Setting):
    if not setting.builtin:
        raise Unsupported("a custom network has no high-precision form")
    m = setting.mlp
    if m.skip or m.exp_neuron or m.multiplicative_exp:
        raise Unsupported("skip, exponential and multiplicative units have no high-precision form")
    neuron = _neuron(setting.neuron.name, dict(setting.neuron.params))
    loss = _loss(setting.loss_fn.name, dict(setting.loss_fn.params))
    l2 = []
    for r in setting.regularizers:
        if r.name != "l2":
            raise Unsupported(f"regularizer {r.name!r} has no high-precision form")
        l2.append((mpmath.mpf(r.params.get("weight", 1e-3)), bool(r.params.get("include_bias", True))))
    return m, neuron, loss, l2


def _rows(t: torch.Tensor) -> list:
    return [[mpmath.mpf(float(v)) for v in row] for row in t.detach().cpu().double().reshape(t.shape[0], -1).tolist()]


def _mp_loss(setting: Setting, plan, params: dict[str, list], X: list, y: list):
    m, neuron, loss, l2 = plan
    depth = len(m.hidden) + 1
    total = mpmath.mpf(0)
    for x, label in zip(X, y):
        h = x
        for i in range(depth):
            W = params[f"layers.{i}.weight"]
            z = [mpmath.fsum(w * a for w, a in zip(row, h)) for row in W]
            if m.bias:
                z = [zz + b for zz, b in zip(z, params[f"layers.{i}.bias"][0])]
            h = [neuron(zz) for zz in z] if i < depth - 1 else z
        total += loss(label * h[0])
    value = total / len(X) if X else mpmath.mpf(0)
    for weight, with_bias in l2:
        sq = mpmath.fsum(v * v for k, rows in params.items() if with_bias or not k.endswith(".bias")
                         for row in rows for v in row)
        value += weight * sq / 2
    return value


def mp_delta(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor, deltas: list[torch.Tensor],
             dps: int) -> list[mpmath.mpf]:
    """L(v + δ) − L(v) for each δ [P] in ``deltas``, with ``dps`` decimal digits (v, δ: float64 [P]).

    v + δ is formed in high precision, not in float64, so a δ far below v's resolution still counts."""
    plan = _plan(setting)
    with mpmath.workdps(dps):
        Xm, ym = _rows(X), [mpmath.mpf(float(t)) for t in y.tolist()]
        base_vals = setting.unflatten(v)
        base = {k: _rows(t.reshape(1, -1) if t.dim() < 2 else t) for k, t in base_vals.items()}
        L0 = _mp_loss(setting, plan, base, Xm, ym)
        out = []
        for d in deltas:
            step = {k: _rows(t.reshape(1, -1) if t.dim() < 2 else t) for k, t in setting.unflatten(d).items()}
            moved = {k: [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(base[k], step[k])] for k in base}
            out.append(_mp_loss(setting, plan, moved, Xm, ym) - L0)
        return out
