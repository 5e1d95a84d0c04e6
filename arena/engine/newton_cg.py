"""Matrix-free curvature for the teacher–student engine at large k (n·d above ``DENSE_MAX``).

At k = n = 100 the Hessian is 10⁴ × 10⁴ (800 MB); the dense finish of
:mod:`arena.engine.teacher_student` would factor it about 60 times per restart. Here every
curvature question goes through Hessian-vector products instead, one forward-mode pass through the
closed-form gradient (:func:`hvp`, [m, n, d] at once):

* :func:`smallest_eigenvalue`: λ_min(∇²F) at one point, dense up to ``DENSE_MAX`` parameters and by
  Lanczos (scipy ``eigsh``) above;
* :func:`newton_cg`: (∇²F + μI)⁻¹∇F for a batch of rows by conjugate gradients, with the rows on
  which CG meets non-positive curvature (pᵀ(H + μI)p ≤ 0) or does not converge marked as refused.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh
from torch.func import jvp

from arena.landscape.teacher_student import population_grad, population_hessian

DENSE_MAX = 1024  # n·d up to this (k = n = 32: an 8 MB Hessian): dense Hessians and Cholesky factors (faster there)
CG_ITERS = 500  # conjugate-gradient iterations per Newton step at most
CG_RTOL = 1e-10  # relative residual at which a CG solve is done (the tightest forcing term)
LANCZOS_TOL = 1e-12


def hvp(W: torch.Tensor, V: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """∇²F(W)·T for each row: W, T [m, n, d] -> [m, n, d]."""
    return jvp(lambda X: population_grad(X, V), (W,), (T,))[1]


def smallest_eigenvalue(W: torch.Tensor, V: torch.Tensor) -> float:
    """λ_min(∇²F(W)) at one point W [n, d]: eigvalsh up to ``DENSE_MAX`` parameters, else Lanczos."""
    n, d = W.shape
    W = W.to(V)
    if n * d <= DENSE_MAX:
        return float(torch.linalg.eigvalsh(population_hessian(W.unsqueeze(0), V))[0, 0])
    Wb = W.unsqueeze(0)

    def matvec(u: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.ascontiguousarray(u).reshape(1, n, d), dtype=W.dtype, device=W.device)
        return hvp(Wb, V, t).reshape(-1).cpu().numpy()

    op = LinearOperator((n * d, n * d), matvec=matvec, dtype=np.float64)
    start = np.random.default_rng(0).standard_normal(n * d)
    value = eigsh(op, k=1, which="SA", tol=LANCZOS_TOL, maxiter=20 * n * d, v0=start, return_eigenvectors=False)
    return float(value[0])


def newton_cg(W: torch.Tensor, V: torch.Tensor, g: torch.Tensor, mu: torch.Tensor, *, iters: int = CG_ITERS,
              rtol: float | torch.Tensor = CG_RTOL) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve (∇²F(W) + μI)·s = g row by row by conjugate gradients; W, g [m, n, d], μ [m].

    Stops a row at ‖r‖ ≤ rtol·‖g‖ (``rtol``: a number or [m]) or after ``iters`` iterations: a
    truncated solve is still a descent direction (Steihaug). Returns (s [m, n, d], ok [m] bool): ok is
    False where CG met pᵀ(H + μI)p ≤ 0, i.e. H + μI is not positive definite there."""
    m = W.shape[0]
    s, r = torch.zeros_like(g), g.clone()
    p = r.clone()
    rr = (r * r).flatten(1).sum(1)
    goal = torch.as_tensor(rtol, dtype=rr.dtype, device=rr.device) ** 2 * rr
    ok = torch.ones(m, dtype=torch.bool, device=W.device)
    live = rr > goal
    for _ in range(iters):
        idx = live.nonzero().flatten()
        if not idx.numel():
            break
        Ap = hvp(W[idx], V, p[idx]) + mu[idx].view(-1, 1, 1) * p[idx]
        pAp = (p[idx] * Ap).flatten(1).sum(1)
        bad = pAp <= 0
        ok[idx[bad]] = False
        live[idx[bad]] = False
        keep = ~bad
        idx, Ap, pAp = idx[keep], Ap[keep], pAp[keep]
        alpha = (rr[idx] / pAp).view(-1, 1, 1)
        s[idx] += alpha * p[idx]
        r[idx] -= alpha * Ap
        new = (r[idx] * r[idx]).flatten(1).sum(1)
        p[idx] = r[idx] + (new / rr[idx]).view(-1, 1, 1) * p[idx]
        rr[idx] = new
        live[idx] = new > goal[idx]
    return s, ok


def damped_newton_cg(W: torch.Tensor, V: torch.Tensor, gn: torch.Tensor, grad_tol: float, global_tol: float,
                     floor_tol: float, room: int, any_curvature: torch.Tensor, max_iter: int = 32,
                     max_step: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The damped Newton finish of :func:`arena.engine.teacher_student._damped_newton`, matrix-free.

    The same rules (μ, accepted steps, all or nothing near strict minima), with the positive
    definiteness of H + μI read off the CG solve instead of a Cholesky factor: a strict-minimum row
    whose solve meets non-positive curvature is refused, as one whose Cholesky fails is in the dense
    finish. CG sees only the Krylov space of ∇F, so that test is weaker than a factorisation; the
    census classifies every end point by its smallest eigenvalue anyway (:func:`smallest_eigenvalue`).
    Returns (W, ‖∇F‖, steps taken) [m].
    """
    from arena.landscape.teacher_student import population_loss

    start, start_gn, W, gn = W, gn, W.clone(), gn.clone()
    took = torch.zeros(W.shape[0], dtype=torch.long, device=W.device)
    mu = torch.where(any_curvature, gn, torch.full_like(gn, 1e-8))
    F = population_loss(W, V)
    live = torch.ones_like(any_curvature)
    for _ in range(min(max_iter, room)):
        idx = (live & (gn > grad_tol) & (F > global_tol)).nonzero().flatten()
        if not idx.numel():
            break
        g = population_grad(W[idx], V)
        # inexact Newton (Eisenstat–Walker): solve to ‖r‖ ≤ min(0.1, ‖∇F‖^½)·‖∇F‖, superlinear near the minimum
        step, ok = newton_cg(W[idx], V, g, mu[idx], rtol=gn[idx].sqrt().clamp(CG_RTOL, 0.1))
        cand = W[idx] - step
        cand_F = population_loss(cand, V)
        cand_gn = population_grad(cand, V).flatten(1).norm(dim=1)
        slack = 1e-15 * F[idx].abs().clamp_min(1.0)
        lower = (cand_F < F[idx] - slack) | ((cand_F <= F[idx] + slack) & (cand_gn < gn[idx]))
        ok &= lower & (step.flatten(1).norm(dim=1) <= max_step)
        acc = idx[ok]
        W[acc], F[acc], gn[acc] = cand[ok], cand_F[ok], cand_gn[ok]
        took[acc] += 1
        mu[acc] = torch.minimum(mu[acc] / 8, gn[acc]).clamp_min(1e-12)
        mu[idx[~ok]] *= 16
        live &= mu < 1.0
    undo = ~any_curvature & (gn > floor_tol) & (F > global_tol)
    W[undo], gn[undo], took[undo] = start[undo], start_gn[undo], 0
    return W, gn, took
