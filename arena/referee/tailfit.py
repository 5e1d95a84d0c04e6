"""The limit of a decreasing tail: fit L(t) ≈ L∞ + c·t^(−α) and L∞ + c·e^(−βt), with an error bar.

For a fixed rate (α or β) the model is linear in (L∞, c), so each rate on a log grid is one least-
squares solve (``c >= 0``: the tail descends towards L∞). The model with the smaller residual is
chosen and named. The error bar is a profile interval: every rate of either model whose residual
sum of squares is within ``4σ²`` of the best one (σ² the best fit's residual variance, at least the
float64 resolution of the losses) gives a limit, and the bar covers all of them plus two standard
errors of L∞ at the best rate. A tail the data cannot pin down therefore gets a wide bar.

``t``: [m] float64, increasing and positive; ``L``: [m] float64.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np

RATES = 240  # grid points per model


@dataclass
class TailFit:
    """The chosen model, its limit ``limit`` ± ``error``, and the alternative's limit and residual."""

    model: str  # "power" (L∞ + c·t^-rate) or "exponential" (L∞ + c·e^(-rate·t))
    limit: float
    error: float
    rate: float
    coefficient: float
    rss: float
    points: int
    t_range: tuple[float, float]
    alternative: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _solve(L: np.ndarray, basis: np.ndarray, sigma2: float | None = None) -> tuple[float, float, float, float]:
    """Least squares L ≈ a + c·basis with c >= 0: (a, c, rss, variance factor of a)."""
    A = np.stack([np.ones_like(basis), basis], axis=1)
    sol, *_ = np.linalg.lstsq(A, L, rcond=None)
    a, c = float(sol[0]), float(sol[1])
    if not c > 0:  # a rising or flat fit: the best descending one is the constant
        a, c = float(L.mean()), 0.0
        return a, c, float(((L - a) ** 2).sum()), 1.0 / len(L)
    rss = float(((L - a - c * basis) ** 2).sum())
    try:
        var_a = float(np.linalg.inv(A.T @ A)[0, 0])
    except np.linalg.LinAlgError:
        var_a = float("inf")
    return a, c, rss, var_a


def _profile(t: np.ndarray, L: np.ndarray, basis: Callable[[np.ndarray, float], np.ndarray],
             rates: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    out = []
    for r in rates:
        b = basis(t, float(r))
        if not np.isfinite(b).all() or float(b.max() - b.min()) == 0.0:
            continue
        b = b / b.max()  # conditioning; c is rescaled back below
        a, c, rss, var_a = _solve(L, b)
        out.append((float(r), a, c * float(basis(t, float(r)).max()), rss, var_a))
    return out


def _refine(t: np.ndarray, L: np.ndarray, basis: Callable[[np.ndarray, float], np.ndarray],
            rows: list[tuple[float, float, float, float, float]]) -> tuple[float, float, float, float, float]:
    """The best grid rate, refined between its grid neighbours (bounded scalar search on log rate)."""
    from scipy.optimize import minimize_scalar

    i = min(range(len(rows)), key=lambda j: rows[j][3])
    lo, hi = rows[max(i - 1, 0)][0], rows[min(i + 1, len(rows) - 1)][0]
    if not hi > lo:
        return rows[i]
    one = lambda r: _profile(t, L, basis, np.array([r]))  # noqa: E731
    res = minimize_scalar(lambda x: (one(float(np.exp(x))) or [(0, 0, 0, np.inf, 0)])[0][3],
                          bounds=(np.log(lo), np.log(hi)), method="bounded", options={"xatol": 1e-12})
    refined = one(float(np.exp(res.x)))
    return refined[0] if refined and refined[0][3] < rows[i][3] else rows[i]


def fit_tail(t: np.ndarray, L: np.ndarray) -> TailFit:
    """Fit both tail models to (t, L) and return the better one with an error bar.

    The bar adds to the profile interval the shift of the limit when only the later half of the
    tail is fitted: a tail that is a mixture of rates (not one model) moves its limit as the early
    points are dropped, and that systematic error is what the residuals alone would hide.
    """
    full = _fit(t, L)
    half = len(t) // 2
    if len(t) - half >= 4:
        late = _fit(t[half:], L[half:])
        shift = abs(late.limit - full.limit)
        full.error += 2.0 * shift
        full.alternative["late_half_limit"] = late.limit
    return full


def _fit(t: np.ndarray, L: np.ndarray) -> TailFit:
    t = np.asarray(t, dtype=np.float64)
    L = np.asarray(L, dtype=np.float64)
    m = len(t)
    if m < 4:
        raise ValueError(f"a tail fit needs at least 4 points, got {m}")
    lo, hi = float(t[0]), float(t[-1])
    ref = float(L[-1])
    Lc = L - ref  # fit the offsets from the last value: the constant part costs no precision
    floor = float(1e3 * np.finfo(np.float64).eps * max(1.0, float(np.abs(L).max())))
    BASES = {"power": lambda s, a: s ** (-a), "exponential": lambda s, b: np.exp(-b * (s - lo))}
    models = {
        "power": _profile(t, Lc, BASES["power"], np.geomspace(1e-3, 20.0, RATES)),
        "exponential": _profile(t, Lc, BASES["exponential"], np.geomspace(1e-2 / hi, 60.0 / max(hi - lo, 1e-300), RATES)),
    }
    best = {name: _refine(t, Lc, BASES[name], rows) for name, rows in models.items() if rows}
    if not best:  # every basis degenerate (a single repeated t): the tail is its mean
        return TailFit("constant", float(L.mean()), float(np.abs(L - L.mean()).max()) + floor, 0.0, 0.0,
                       float(((L - L.mean()) ** 2).sum()), m, (lo, hi), {})
    name = min(best, key=lambda k: best[k][3])
    rate, a, c, rss, var_a = best[name]
    sigma2 = max(rss / max(m - 3, 1), floor**2)
    accept = rss + 4.0 * sigma2
    limits = [row[1] for rows in models.values() for row in rows if row[3] <= accept]
    # a minimiser of the residual locates the rate only to ~sqrt(eps): count that uncertainty too
    limits += [row[1] for row in _profile(t, Lc, BASES[name], np.array([rate * (1 - 1e-7), rate * (1 + 1e-7)]))]
    spread = max(abs(v - a) for v in limits) if limits else 0.0
    error = spread + 2.0 * float(np.sqrt(sigma2 * var_a)) + floor
    other = next((k for k in best if k != name), None)
    alternative = ({"model": other, "limit": best[other][1] + ref, "rate": best[other][0], "rss": best[other][3]}
                   if other else {})
    return TailFit(name, a + ref, error, rate, c, rss, m, (lo, hi), alternative)
