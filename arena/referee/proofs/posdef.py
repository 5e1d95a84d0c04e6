"""A rigorous lower bound of λ_min over a float enclosure of a symmetric matrix, by one Cholesky.

For P in the thousands a ball-arithmetic Cholesky residual (P³ ball operations) is out of reach, so
the factorisation's own backward error does the work. If float Cholesky of A (symmetric, floats)
runs to completion, its factor R̂ satisfies R̂ᵀR̂ = A + ΔA with |ΔA| <= γ_{P+1}|R̂ᵀ||R̂| (Demmel 1989;
Higham 2002, Thm 10.3, any order of the inner products), and Cauchy–Schwarz on the columns of R̂
gives |ΔA| <= γ'·ddᵀ with d_i = √a_ii, γ' = γ/(1 − γ). Since R̂ᵀR̂ ⪰ 0, λ_min(A) >= −γ'·tr(A) (Rump,
"Verification of positive definiteness", BIT 46, 2006). We use γ_{2(P+2)} rather than γ_{P+1}: the
margin covers implementations (blocked LAPACK, OpenBLAS' triangular solves) that multiply by
reciprocal pivots.

With A = fl(H_s − sI) (each diagonal entry off by at most u|a_ii|) and ‖H − H_s‖₂ <= ρ(R) <= max row
sum of R for every symmetric H within the radius R of the symmetric centre H_s:

    λ_min(H) >= s − γ'·tr(A) − 2u·max|a_ii| − maxrowsum(R) − 2⁻⁹⁰⁰.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from flint import arb
from scipy.sparse.linalg import eigsh

from arena.referee.proofs.balls import NotCertified
from arena.referee.proofs.midrad import U, Balls, up

SHIFTS = (0.9, 0.5, 1 / 8, 1 / 64)  # fractions of the estimated λ_min(H_s) tried as the shift s


def smallest_eigenvalue(Hs: np.ndarray) -> float:
    """A float estimate of λ_min of the symmetric Hs [P, P] (it only chooses the shift)."""
    if Hs.shape[0] <= 1500:
        return float(np.linalg.eigvalsh(Hs)[0])
    start = np.random.default_rng(0).standard_normal(Hs.shape[0])  # seeded: the same matrix, the same estimate
    return float(eigsh(Hs, k=2, which="SA", tol=1e-6, v0=start, return_eigenvectors=False).min())


def min_eig_lower(H: Balls, shift: float | None = None, estimate: float | None = None) -> tuple[arb, dict]:
    """λ_min lower bound over every symmetric matrix in H [P, P] and what it rests on.

    ``shift``: the s to factor H_s − sI at (a certificate states it, so a re-check factors at the
    same s); None tries the fractions ``SHIFTS`` of ``estimate`` (of λ_min(H_s); computed here when None)."""
    P = H.mid.shape[0]
    Hs = H.mid + H.mid.T
    Hs *= 0.5
    R = H.rad + H.rad.T
    R *= 0.5
    R += U * np.abs(Hs)
    spread = float(up(R.sum(axis=1).max())) if P else 0.0
    del R
    if not np.isfinite(spread):
        raise NotCertified("the Hessian enclosure is unbounded")
    lam = shift if shift is not None else estimate if estimate is not None else smallest_eigenvalue(Hs)
    if not lam > 0:
        raise NotCertified(f"the Hessian's midpoint has λ_min ≈ {lam:.3g} <= 0: not a strict minimum in these coordinates")
    shifts = [f * lam for f in SHIFTS] if shift is None else [shift]
    k = arb(2 * (P + 2)) * U
    g = k / (1 - k)
    g = g / (1 - g)
    for s in shifts:
        A = Hs.copy()
        A[np.diag_indices(P)] -= s
        diag = A.diagonal().copy()
        try:
            scipy.linalg.cholesky(A, lower=False, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
        trace = sum((arb(float(v)) for v in diag.tolist()), arb(0))
        mu = arb(s) - g * trace - 2 * arb(U) * arb(float(np.abs(diag).max())) - arb(spread) - arb(2.0) ** -900
        return mu, {"shift": s, "estimate": lam, "spread": spread, "trace": float(diag.sum())}
    raise NotCertified(f"float Cholesky of H_mid − sI failed at s = {', '.join(f'{s:.3g}' for s in shifts)}")
