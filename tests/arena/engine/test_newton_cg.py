"""Matrix-free curvature of the teacher–student engine: the same answers as the dense Hessian."""
from __future__ import annotations

import math

import pytest
import torch

import arena.engine.newton_cg as newton_cg_module
import arena.engine.teacher_student as ts
from arena.engine.newton_cg import hvp, newton_cg, smallest_eigenvalue
from arena.engine.teacher_student import classify, default_step, descend_from
from arena.landscape.teacher_student import population_grad, population_hessian, teacher


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def starts(k: int, n: int, restarts: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(restarts, n, k, generator=g, dtype=torch.float64) / math.sqrt(k)


def test_hvp_is_the_dense_hessian_times_the_vector():
    V, W, T = teacher(5, 5), starts(5, 6, 3, seed=0), starts(5, 6, 3, seed=1)
    H = population_hessian(W, V)
    dense = (H @ T.reshape(3, -1, 1)).reshape(T.shape)
    assert (hvp(W, V, T) - dense).abs().max() < 1e-12 * float(dense.abs().max())


def test_cg_solves_positive_definite_systems_and_refuses_indefinite_ones():
    V, W = teacher(5, 5), starts(5, 5, 4, seed=2)
    H = population_hessian(W, V)
    lam = torch.linalg.eigvalsh(H)[:, 0]
    assert bool((lam < 0).any())  # random starts have negative curvature somewhere
    mu = (1.0 - lam).clamp_min(1e-3)  # H + μI ≻ 0 with λ_min(H + μI) ≥ 1
    g = population_grad(W, V)
    s, ok = newton_cg(W, V, g, mu, rtol=1e-12)
    dense = torch.linalg.solve(H + mu.view(-1, 1, 1) * torch.eye(25, dtype=H.dtype), g.reshape(4, 25, 1))
    assert bool(ok.all()) and (s.reshape(4, 25, 1) - dense).abs().max() < 1e-9
    vecs = torch.linalg.eigh(H)[1][:, :, 0].reshape(4, 5, 5)  # the most negative direction as right-hand side
    neg = lam < 0
    _, ok = newton_cg(W[neg], V, vecs[neg], torch.zeros(int(neg.sum()), dtype=W.dtype))
    assert not bool(ok.any())


def test_lanczos_smallest_eigenvalue_agrees_with_the_dense_one(monkeypatch):
    V, W = teacher(7, 7), starts(7, 7, 2, seed=4)
    dense = [float(torch.linalg.eigvalsh(population_hessian(w.unsqueeze(0), V))[0, 0]) for w in W]
    monkeypatch.setattr(newton_cg_module, "DENSE_MAX", 0)
    assert [smallest_eigenvalue(w, V) for w in W] == pytest.approx(dense, abs=1e-9)


def test_matrix_free_finish_reaches_the_dense_finish_points(monkeypatch):
    """k = n = 12 from 16 starts: the census (losses, counts, λ_min) is the same with either finish."""
    V, W0 = teacher(12, 12), starts(12, 12, 16, seed=5)
    dense = descend_from(W0, V, steps=20000, lr=default_step(12, 12))
    monkeypatch.setattr(ts, "DENSE_MAX", 0)
    monkeypatch.setattr(newton_cg_module, "DENSE_MAX", 0)
    free = descend_from(W0, V, steps=20000, lr=default_step(12, 12))
    assert bool(dense.converged.all()) and bool(free.converged.all()) and bool(free.newton.any())
    spurious = free.loss > ts.GLOBAL_TOL
    assert float(free.grad_norm[spurious].max()) <= 1e-9  # the others stop at F <= GLOBAL_TOL
    assert torch.equal(spurious, dense.loss > ts.GLOBAL_TOL)
    assert (dense.W[spurious] - free.W[spurious]).abs().max() < 1e-6  # global rows stop anywhere F <= 1e-10
    a, b = classify(dense, V), classify(free, V)
    assert (a.global_, a.spurious, a.saddle_or_flat) == (b.global_, b.spurious, b.saddle_or_flat)
    assert a.spurious >= 1
    assert [m.min_eig for m in a.minima] == pytest.approx([m.min_eig for m in b.minima], abs=1e-9)
