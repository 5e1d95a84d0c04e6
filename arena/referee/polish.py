"""Short local refinement of one point, kept inside a ball: the referee's "polish" step.

Levenberg–Marquardt-damped Newton on the exact Hessian (small parameter counts), which reaches
gradient norms near float64 noise in a few steps at strict minima and moves only as far as the
damping allows along flat directions. Every accepted step lowers the loss and stays inside
``B(v0, radius)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from arena.referee.curvature import gradient, hessian_matrix, loss_of_flat
from arena.landscape.setting import Setting


@dataclass
class PolishResult:
    v: torch.Tensor  # [P] the refined point
    loss: float
    start_loss: float
    grad_norm: float
    distance: float  # ‖v − v0‖
    iterations: int
    method: str
    hit_radius: bool  # the refinement was stopped by the ball's boundary


def _project(v: torch.Tensor, v0: torch.Tensor, radius: float) -> tuple[torch.Tensor, bool]:
    step = v - v0
    norm = float(step.norm())
    if norm <= radius:
        return v, False
    return v0 + step * (radius / norm), True


def polish_newton(setting: Setting, X: torch.Tensor, y: torch.Tensor, v0: torch.Tensor, *, radius: float,
                  max_iter: int = 50, grad_tol: float = 1e-13) -> PolishResult:
    """Damped Newton from v0 [P] (float64) inside B(v0, radius)."""
    f = loss_of_flat(setting, X, y)
    v = v0.clone()
    loss = float(f(v))
    start = loss
    mu = 1e-6
    hit = False
    it = 0
    g = gradient(setting, X, y, v)
    for it in range(1, max_iter + 1):
        if float(g.norm()) <= grad_tol:
            break
        H = hessian_matrix(setting, X, y, v)
        if not bool(torch.isfinite(H).all()):
            break  # not twice differentiable here (parallel teacher–student units): the probes judge
        try:
            vals, vecs = torch.linalg.eigh(H)
        except RuntimeError:  # torch.linalg.LinAlgError
            break
        coef = vecs.T @ g
        accepted = False
        for _ in range(30):
            # |λ| + μ: saddle-free damping, so negative curvature is followed downhill too
            shift = vals.abs() + mu
            cand, at_edge = _project(v - vecs @ (coef / shift), v0, radius)
            cand_loss = float(f(cand))
            if cand_loss < loss:
                v, loss, hit = cand, cand_loss, at_edge
                mu = max(mu / 4, 1e-12)
                accepted = True
                break
            mu *= 8
        if not accepted:
            break
        g = gradient(setting, X, y, v)
    return PolishResult(v, loss, start, float(g.norm()), float((v - v0).norm()), it, "damped_newton", hit)


def polish(setting: Setting, X: torch.Tensor, y: torch.Tensor, v0: torch.Tensor, *, radius: float,
           max_iter: int = 50, exact_max_params: int = 2000) -> PolishResult:
    """Refine v0 [P]: damped Newton when P is small, batched L-BFGS (K = 1) otherwise."""
    if v0.numel() <= exact_max_params:
        return polish_newton(setting, X, y, v0, radius=radius, max_iter=max_iter)
    from arena.engine.population import polish_lbfgs

    start = float(loss_of_flat(setting, X, y)(v0))
    res = polish_lbfgs(setting, X, y, setting.unflatten(v0.unsqueeze(0)), max_iter=max_iter * 10,
                       max_radius=radius, device=v0.device)
    v = setting.flatten({k: t.to(v0.device) for k, t in res.params.items()})[0]
    g = gradient(setting, X, y, v)
    dist = float((v - v0).norm())
    return PolishResult(v, float(loss_of_flat(setting, X, y)(v)), start, float(g.norm()), dist,
                        max_iter * 10, "lbfgs", dist >= radius * (1 - 1e-9))
