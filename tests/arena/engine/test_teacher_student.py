"""Teacher–student engine: the damped Newton finish reaches the points plain gradient descent reaches."""
from __future__ import annotations

import math

import pytest
import torch

from arena.engine.teacher_student import (GLOBAL_TOL, _damped_newton, _gradient_steps, classify, default_step,
                                          descend_from)
from arena.landscape.teacher_student import population_grad, population_loss, teacher


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def starts(k: int, n: int, restarts: int, seed: int) -> torch.Tensor:
    """The paper's initialisation wᵢ ~ N(0, I/k): [restarts, n, k]."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(restarts, n, k, generator=g, dtype=torch.float64) / math.sqrt(k)


def test_finish_ends_where_plain_descent_ends():
    """k = n = 8: with and without the finish, every restart ends at the same point (spurious or global)."""
    V, W0 = teacher(8, 8), starts(8, 8, 40, seed=3)
    plain = descend_from(W0, V, steps=20000, lr=default_step(8, 8), newton_from=0.0, handoff_loss=0.0)
    fast = descend_from(W0, V, steps=20000, lr=default_step(8, 8))
    assert bool(plain.converged.all()) and bool(fast.converged.all()) and not bool(plain.newton.any())
    spurious = plain.loss > GLOBAL_TOL
    assert int(spurious.sum()) >= 3  # the S_7-symmetric minimum, F = 0.0215080
    assert torch.equal(spurious, fast.loss > GLOBAL_TOL)
    assert (plain.W[spurious] - fast.W[spurious]).abs().max() < 1e-6
    assert int(fast.steps[spurious].sum()) < int(plain.steps[spurious].sum()) / 2  # the finish saves the slow tail
    census = classify(fast, V)
    assert census.spurious == int(spurious.sum()) and census.minima[0].loss == pytest.approx(0.0215080372, abs=1e-9)


def test_wide_students_reach_the_degenerate_global_value():
    """n = 2k: gradient descent approaches the split-unit global minima sublinearly; the handoff below
    F = 1e-3 reaches F <= 1e-10 in a few hundred steps more, where descent alone is still far above."""
    k, n = 6, 12
    V, W0 = teacher(k, k), starts(k, n, 12, seed=1)
    fast = descend_from(W0, V, steps=20000, lr=default_step(k, n))
    assert bool(fast.converged.all()) and float(fast.loss.max()) <= GLOBAL_TOL
    budget = int(fast.steps.max())
    plain = W0.clone()
    _gradient_steps(plain, V, default_step(k, n), budget)
    assert float(population_loss(plain, V).min()) > 100 * GLOBAL_TOL  # still on its way (monotone, sublinear)


def test_gradient_steps_in_blocks_equal_one_batch():
    V, W = teacher(5, 5), starts(5, 7, 300, seed=0)  # 300 rows: more than one cache block
    blocked = W.clone()
    _gradient_steps(blocked, V, 0.5, 3)
    for _ in range(3):
        W = W - 0.5 * population_grad(W, V)
    assert torch.allclose(blocked, W, rtol=0, atol=1e-14)


def test_a_finish_that_stalls_near_a_strict_minimum_is_undone():
    """All or nothing: one Newton step cannot reach the float64 floor, so the row goes back untouched;
    a row below the handoff loss keeps its progress."""
    V = teacher(8, 8)
    res = descend_from(starts(8, 8, 40, seed=3), V, steps=20000, lr=default_step(8, 8), newton_from=0.0,
                       handoff_loss=0.0)
    row = int(torch.nonzero(res.loss > GLOBAL_TOL)[0])
    W = res.W[row:row + 1] + 1e-2 * torch.randn(1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    gn = population_grad(W, V).flatten(1).norm(dim=1)
    strict, anything = torch.tensor([False]), torch.tensor([True])
    out, out_gn, took = _damped_newton(W, V, gn, 1e-12, GLOBAL_TOL, 1e-9, room=3, any_curvature=strict)
    assert int(took) == 0 and torch.equal(out, W) and torch.equal(out_gn, gn)  # 3 steps: ‖∇F‖ ≈ 2e-5 > 1e-9
    kept, kept_gn, took = _damped_newton(W, V, gn, 1e-12, GLOBAL_TOL, 1e-9, room=3, any_curvature=anything)
    assert int(took) == 3 and 1e-9 < float(kept_gn) < 1e-3 * float(gn)
    out, out_gn, took = _damped_newton(W, V, gn, 1e-12, GLOBAL_TOL, 1e-9, room=32, any_curvature=strict)
    assert 4 <= int(took) <= 8 and float(out_gn) <= 1e-9  # Newton: quadratic once close
    assert (out - res.W[row:row + 1]).abs().max() < 1e-6
