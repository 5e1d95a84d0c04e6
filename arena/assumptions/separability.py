"""Linear separability, decided by a max-margin LP (HiGHS) whose answer is re-checked in float64.

A positive recomputed margin proves separability; otherwise the LP's dual multipliers give a Farkas
certificate (labelled samples whose convex combination cancels), proved when its residual is
within float64 rounding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.assumptions.base import AssumptionResult, as_data
from arena.landscape.setting import Setting

# -- linear separability ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Separator:
    """Max-margin separator under the box max(|u_j|, |c|) <= 1 (``c`` = 0 through the origin).

    ``margin`` = min_i y_i (u·x_i + c) recomputed in float64 from (u, c): positive means a proof of
    separability. ``lp_margin`` is the solver's objective. ``duals``: [n] LP multipliers of the
    margin constraints, summing to 1; when the data are not separable their support is a set of
    samples whose labelled convex combinations cancel (a Farkas certificate).
    """

    u: np.ndarray
    c: float
    margin: float
    lp_margin: float
    duals: np.ndarray
    status: str


def max_margin_separator(X: Any, y: Any, *, bias: bool = True) -> Separator:
    """Solve max t s.t. y_i(u·x_i + c) >= t, -1 <= u_j, c <= 1 with HiGHS (tight tolerances)."""
    from scipy.optimize import linprog

    Xn, yn = as_data(X, y)
    n, d = Xn.shape
    # variables (u_1..u_d, c, t); the row reads -y_i(u·x_i + c) + t <= 0
    A = np.hstack([-yn[:, None] * Xn, -yn[:, None], np.ones((n, 1))])
    cost = np.zeros(d + 2)
    cost[-1] = -1.0
    bounds = [(-1.0, 1.0)] * d + [(-1.0, 1.0) if bias else (0.0, 0.0), (None, None)]
    res = linprog(cost, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")
    u, c, t = res.x[:d], float(res.x[d]), float(res.x[d + 1])
    margin = float(np.min(yn * (Xn @ u + c)))
    duals = -np.asarray(res.ineqlin.marginals, dtype=np.float64)
    total = duals.sum()
    duals = duals / total if total > 0 else duals
    return Separator(u=u, c=c, margin=margin, lp_margin=t, duals=duals, status=str(res.message))


def _rounding_tol(Xn: np.ndarray) -> float:
    # error of one float64 dot product with |u_j|, |c| <= 1
    return 16.0 * (Xn.shape[1] + 1) * np.finfo(np.float64).eps * (1.0 + float(np.abs(Xn).max()))


def linear_separability(X: Any, y: Any, *, bias: bool = True) -> AssumptionResult:
    """Strict linear separability (with bias, or through the origin); evidence has the separator."""
    Xn, yn = as_data(X, y)
    sep = max_margin_separator(Xn, yn, bias=bias)
    tol = _rounding_tol(Xn)
    holds = sep.margin > tol
    evidence: dict[str, Any] = {
        "margin": sep.margin, "lp_margin": sep.lp_margin, "u": sep.u.tolist(), "c": sep.c,
        "bias": bias, "normalisation": "max(|u_j|, |c|) <= 1", "rounding_tol": tol, "solver": sep.status,
    }
    proved = holds  # a positive margin recomputed in float64 from (u, c) is a proof
    if not holds:
        support = np.flatnonzero(sep.duals > 1e-9)
        combo = (sep.duals * yn) @ np.hstack([Xn, np.ones((len(yn), 1))] if bias else [Xn])
        evidence["obstruction"] = support[:50].tolist()
        evidence["obstruction_residual"] = float(np.abs(combo).max())
        # Farkas: multipliers λ >= 0 summing to 1 with Σ λ_i y_i (x_i, 1) = 0 rule out y_i(u·x_i + c) > 0
        proved = bool(sep.duals.min() >= 0 and abs(sep.duals.sum() - 1) < 1e-9
                      and evidence["obstruction_residual"] <= 64 * tol)
        evidence["reason"] = ("no hyperplane separates the labels"
                              + ("" if bias else " through the origin")
                              + f"; samples {support[:10].tolist()} form the obstruction")
    return AssumptionResult(holds, evidence, proved=proved)


def _check_separable(setting: Setting, X: Any, y: Any, *, bias: bool = True) -> AssumptionResult:
    return linear_separability(X, y, bias=bias)

