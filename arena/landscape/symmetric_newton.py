"""Damped Newton on the reduced gradient of a symmetric teacher–student point (a few unknowns).

A point fixed by Δ(S_{m₁} × … × S_{m_r}) (:mod:`arena.landscape.symmetric`) is a few numbers
whatever k is; :func:`newton` solves ∂F/∂x = 0 for them. The referee's symmetric certificates
(:mod:`arena.referee.proofs.symmetric`) start from it, and so do the families of
:mod:`arena.search.symmetric_family`.
"""
from __future__ import annotations

import numpy as np

from arena.landscape.symmetric import SymmetricPoint, orbit_names, orbit_size

GRAD_TOL = 1e-13  # ‖∇F‖ (Frobenius, full space) at which Newton stops
FLOOR = 1e-10  # accepted when no step lowers ‖∇F‖ further (rounding grows with k)


def _weights(sizes) -> np.ndarray:
    return np.array([orbit_size(sizes, o) for o in orbit_names(sizes)], dtype=float)


def grad_norm(sizes, g: np.ndarray) -> float:
    """‖∇F(W)‖_F from the reduced gradient: ∇F = Σ_o (g_o/|o|) 1_o."""
    return float(np.sqrt(np.sum(g * g / _weights(sizes))))


def reduced_state(sizes, x):
    """(the point, its reduced gradient g, ‖∇F‖_F) at unknowns ``x``."""
    P = SymmetricPoint(sizes, x)
    g = np.array(P.reduced_grad(), dtype=float)
    return P, g, grad_norm(sizes, g)


def newton(sizes, x0, *, iters: int = 100, tol: float = GRAD_TOL) -> np.ndarray:
    """Newton on the reduced gradient: the plain step while it shrinks ‖∇F‖, else a
    Levenberg–Marquardt step that does not raise F (so far from a member it descends)."""
    x, mu, w = np.array(x0, dtype=float), 1e-6, _weights(sizes)
    P, g, gn = reduced_state(sizes, x)
    for _ in range(iters):
        if gn <= tol:
            return x
        H = np.array(P.reduced_hessian(), dtype=float)
        for damping in (0.0, mu):
            step = np.linalg.lstsq(H + damping * np.diag(w), -g, rcond=None)[0]
            try:
                P1, g1, gn1 = reduced_state(sizes, x + step)
                f0, f1 = P.loss(), P1.loss()
            except (ValueError, ZeroDivisionError):
                continue
            if (damping == 0.0 and gn1 < 0.5 * gn) or (damping and f1 <= f0 + 1e-15 * max(1.0, abs(f0))):
                x, P, g, gn = x + step, P1, g1, gn1
                mu = max(mu / 4, 1e-14)
                break
        else:
            mu *= 8
            if mu > 1e6:  # no step helps: the float64 floor
                break
    if gn <= max(tol, FLOOR):
        return x
    raise ArithmeticError(f"Newton did not reach ‖∇F‖ <= {tol:g} for sizes {list(sizes)} (‖∇F‖ = {gn:.3g})")
