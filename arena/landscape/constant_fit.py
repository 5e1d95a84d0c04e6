"""The best constant output under a margin loss: c* = argmin_c n₊ ℓ(c) + n₋ ℓ(−c), and its closed forms.

When a network is constant on a set of samples (every unit dead or saturated there), its loss on
them is G(c) = n₊ ℓ(c) + n₋ ℓ(−c) for the n₊ positive and n₋ negative samples; the attacks that
build such points (docs/catalogue.md A1, A1b, A2, A3) set the constant to the minimiser c* and
report G's value and slope there. Float64 throughout.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from arena.landscape.losses import Loss


def constant_fit(loss: Loss, n_pos: int, n_neg: int) -> float:
    """argmin_c n₊ ℓ(c) + n₋ ℓ(−c): closed form for the registered families, else 1-D convex search."""
    if n_pos < 1 or n_neg < 1:
        raise ValueError(f"constant fit needs both labels, got n_pos={n_pos}, n_neg={n_neg}")
    name, p = loss.name, loss.params
    power = 2.0 if name == "quadratic_hinge" else p.get("p", 3.0) if name == "poly_hinge" else None
    if name in ("quadratic_hinge", "squared") or (power is not None and power == 2):
        return (n_pos - n_neg) / (n_pos + n_neg)
    if power is not None and power > 1:
        r = (n_neg / n_pos) ** (1.0 / (power - 1.0))  # ((1−c)/(1+c))^{p−1} = n₋/n₊
        return (1.0 - r) / (1.0 + r)
    if name == "hinge" or power == 1:
        return float(np.sign(n_pos - n_neg))
    if name == "smooth_hinge":
        return 1.0 - n_neg / n_pos if n_pos >= n_neg else -(1.0 - n_pos / n_neg)
    if name == "logistic":
        return math.log(n_pos / n_neg)
    if name == "exponential":
        return 0.5 * math.log(n_pos / n_neg)
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda c: constant_fit_value(loss, c, n_pos, n_neg), bounds=(-50.0, 50.0),
                          method="bounded", options={"xatol": 1e-12})
    return float(res.x)


def constant_fit_value(loss: Loss, c: float, n_pos: int, n_neg: int) -> float:
    """G(c) = n₊ ℓ(c) + n₋ ℓ(−c) in float64."""
    v = loss(torch.tensor([c, -c], dtype=torch.float64))
    return float(n_pos * v[0] + n_neg * v[1])


def constant_fit_slope(loss: Loss, c: float, n_pos: int, n_neg: int) -> float:
    """d/dc [n₊ ℓ(c) + n₋ ℓ(−c)] by float64 autograd (0 at the minimiser of a C¹ loss)."""
    t = torch.tensor(c, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(n_pos * loss(t) + n_neg * loss(-t), t)
    return float(g)


def one_sided_slopes(loss: Loss, c: float, n_pos: int, n_neg: int, h: float = 1e-7) -> list[float]:
    """[left, right] difference quotients of G at c: left <= 0 <= right at a minimiser (kinks too)."""
    g = functools.partial(constant_fit_value, loss, n_pos=n_pos, n_neg=n_neg)
    return [(g(c) - g(c - h)) / h, (g(c + h) - g(c)) / h]


def closed_form(loss: Loss, n_pos: int, n_neg: int) -> tuple[float, float] | None:
    """(c*, loss at the all-dead point) from docs/catalogue.md A1b's formulas, or None for other losses."""
    n = n_pos + n_neg
    p = loss.params.get("p") if loss.name == "poly_hinge" else None
    if loss.name in ("quadratic_hinge", "squared"):  # the squared loss agrees with it for c in [−1, 1]
        p = 2.0
    if p == 2.0:
        return (n_pos - n_neg) / n, 4 * n_pos * n_neg / n**2
    if p == 3.0:
        c = (math.sqrt(n_pos) - math.sqrt(n_neg)) / (math.sqrt(n_pos) + math.sqrt(n_neg))
        return c, (n_pos * (1 - c) ** 3 + n_neg * (1 + c) ** 3) / n
    if loss.name == "logistic":
        q = n_pos / n
        return math.log(n_pos / n_neg), -(q * math.log(q) + (1 - q) * math.log(1 - q))
    if loss.name == "exponential":
        return 0.5 * math.log(n_pos / n_neg), 2 * math.sqrt(n_pos * n_neg) / n
    return None
