"""Gradients and Hessian spectra of a setting's empirical loss at one point, in float64.

The point is a flat vector ``v: [P]`` in ``Setting.param_shapes`` order. The exact Hessian is
used up to ``exact_max_params`` parameters; above that, the extreme eigenvalues come from Lanczos
iterations (scipy ``eigsh``) on Hessian-vector products, so no ``[P, P]`` matrix is formed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch.func import grad, hessian, jvp

from arena.landscape.setting import Setting
from arena.landscape.teacher_student import TeacherStudentSetting, population_grad
from scipy.sparse.linalg import LinearOperator, eigsh


def loss_of_flat(setting: Setting, X: torch.Tensor, y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """v [*B, P] -> L [*B] (the empirical loss, regularizer included)."""
    return lambda v: setting.empirical_loss(setting.unflatten(v), X, y)


def batched_gradient(setting: Setting, X: torch.Tensor,
                     y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """v [m, P] -> ∇L [m, P], one gradient per row.

    The teacher–student loss uses its closed-form gradient (:func:`population_grad`): the same
    derivative as autograd's wherever F is differentiable, at a fraction of the cost (one pass over
    the k² × k Gram products instead of a backward pass through arccos); other settings use autograd.
    """
    if isinstance(setting, TeacherStudentSetting):
        V = setting.teacher()

        def closed(v: torch.Tensor) -> torch.Tensor:
            W = setting.unflatten(v)["W"]
            return population_grad(W, V.to(W)).reshape(v.shape)
        return closed
    f = loss_of_flat(setting, X, y)

    def auto(v: torch.Tensor) -> torch.Tensor:
        v = v.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(v).sum(), v)
        return g
    return auto


def gradient(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """∇L(v): [P] (autograd; at a ReLU kink this is the one-sided derivative with σ'(0) = 0).

    Where autograd returns a non-finite value at a point where the loss is still differentiable
    (the teacher–student loss at parallel student units: arccos' slope at cos = 1 times 0), the
    gradient is its closed form (teacher–student) or the limit, the mean of the gradients at v ± ε·u
    (ε = 1e-7·max(1, ‖v‖))."""
    g_of = grad(loss_of_flat(setting, X, y))
    g = g_of(v)
    if bool(torch.isfinite(g).all()):
        return g
    if isinstance(setting, TeacherStudentSetting):  # the closed form is exact at parallel units (sin θ = 0)
        W = setting.unflatten(v)["W"]
        return population_grad(W.unsqueeze(0), setting.teacher(W.dtype, W.device))[0].reshape(-1)
    gen = torch.Generator().manual_seed(0)
    eps = 1e-7 * max(1.0, float(v.norm()))
    near = []
    for _ in range(2):
        u = torch.randn(v.numel(), generator=gen, dtype=v.dtype).to(v)
        u = eps * u / u.norm()
        near += [g_of(v + u), g_of(v - u)]
    return torch.stack(near).mean(0)


@dataclass
class Spectrum:
    """Extreme Hessian eigenpairs. ``vectors``: [P, m] unit columns matching ``values`` [m]."""

    values: np.ndarray
    vectors: np.ndarray
    method: str  # "exact" or "lanczos"
    all_values: np.ndarray | None = None  # the full spectrum when exact

    @property
    def min_eig(self) -> float:
        return float(self.values.min())

    @property
    def max_eig(self) -> float:
        return float(self.values.max())

    def min_vector(self) -> np.ndarray:
        return self.vectors[:, int(np.argmin(self.values))]


def hessian_spectrum(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor, *,
                     exact_max_params: int = 2000, lanczos_k: int = 6, lanczos_maxiter: int = 2000,
                     lanczos_tol: float = 1e-10) -> Spectrum:
    """Eigenvalues of ∇²L(v); exact when P <= ``exact_max_params``, else Lanczos (smallest + largest)."""
    f = loss_of_flat(setting, X, y)
    P = v.numel()
    if P <= exact_max_params:
        H = hessian(f)(v)
        H = 0.5 * (H + H.T)
        vals, vecs = torch.linalg.eigh(H)
        vals_np, vecs_np = vals.cpu().numpy(), vecs.cpu().numpy()
        return Spectrum(vals_np, vecs_np, "exact", vals_np)
    g = _flat_gradient(setting, X, y)

    def hvp(u: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.ascontiguousarray(u).reshape(-1), dtype=v.dtype, device=v.device)
        return jvp(g, (v,), (t,))[1].detach().cpu().numpy()

    op = LinearOperator((P, P), matvec=hvp, dtype=np.float64)
    k = min(lanczos_k, P - 1)
    lo_vals, lo_vecs = eigsh(op, k=k, which="SA", maxiter=lanczos_maxiter, tol=lanczos_tol)
    hi_vals, hi_vecs = eigsh(op, k=1, which="LA", maxiter=lanczos_maxiter, tol=lanczos_tol)
    return Spectrum(np.concatenate([lo_vals, hi_vals]), np.concatenate([lo_vecs, hi_vecs], axis=1), "lanczos")


def _flat_gradient(setting: Setting, X: torch.Tensor, y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """v [P] -> ∇L(v) [P], differentiable in forward mode: for the teacher–student loss the closed
    form (a Hessian-vector product is then one forward-mode pass through it, not a forward pass
    through a backward pass), else autograd's grad."""
    if isinstance(setting, TeacherStudentSetting):
        V = setting.teacher()
        return lambda v: population_grad(setting.unflatten(v)["W"].unsqueeze(0), V.to(v))[0].reshape(-1)
    return grad(loss_of_flat(setting, X, y))


def hessian_matrix(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The exact Hessian [P, P] (symmetrised)."""
    H = hessian(loss_of_flat(setting, X, y))(v)
    return 0.5 * (H + H.T)
