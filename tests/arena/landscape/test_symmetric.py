"""The teacher–student loss on fixed-point spaces and its isotypic Hessian blocks, against the dense closed forms."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import torch

from arena.landscape.isotypic import check_dimensions, hessian_blocks, iso_types
from arena.landscape.symmetric import (SymmetricPoint, dense_point, indicator_entry, orbit_names, orbit_size)
from arena.landscape.teacher_student import population_grad, population_hessian, population_loss, teacher
from arena.search.symmetric_family import solve

PATTERNS = [(1, 5), (2, 4), (1, 6), (3, 4), (1, 1, 4), (2, 2, 3), (6,), (1, 8)]


def _dense(sizes, x):
    return torch.tensor(dense_point(sizes, x), dtype=torch.float64)


def _indicator(sizes, name):
    entry = indicator_entry(sizes, name)
    tags = [(b, t) for b, m in enumerate(sizes) for t in range(m)]
    return torch.tensor([[float(entry(i, j)) for j in tags] for i in tags], dtype=torch.float64)


def _spectrum(sizes, x):
    ev = []
    for b in hessian_blocks(SymmetricPoint(sizes, x)):
        ev += list(np.repeat(sl.eigh(np.array(b.C, float), np.array(b.G, float), eigvals_only=True), b.dim))
    return np.sort(ev)


@pytest.mark.parametrize("sizes", PATTERNS)
def test_reduced_loss_gradient_hessian_match_the_dense_forms(sizes):
    k = sum(sizes)
    x = list(np.random.default_rng(k + len(sizes)).normal(size=len(orbit_names(sizes))) * 0.5)
    P, W, V = SymmetricPoint(sizes, x), _dense(sizes, x), teacher(k, k)
    assert P.loss() == pytest.approx(float(population_loss(W[None], V)[0]), abs=1e-13)
    g, H = population_grad(W[None], V)[0], population_hessian(W[None], V)[0]
    ind = [_indicator(sizes, o) for o in orbit_names(sizes)]
    assert np.allclose(P.reduced_grad(), [float((e * g).sum()) for e in ind], atol=1e-12)
    dense = [[float(e.flatten() @ H @ f.flatten()) for f in ind] for e in ind]
    assert np.allclose(P.reduced_hessian(), dense, atol=1e-12)
    assert [orbit_size(sizes, o) for o in orbit_names(sizes)] == [int(e.sum()) for e in ind]


@pytest.mark.parametrize("sizes", PATTERNS + [(2, 2), (1, 2), (4,), (3,)])
def test_isotypic_dimensions_add_up_to_k_squared(sizes):
    assert check_dimensions(sizes, iso_types(sizes)) == sum(sizes) ** 2


@pytest.mark.parametrize("sizes", PATTERNS)
def test_block_spectrum_is_the_dense_spectrum_at_any_fixed_point(sizes):
    """Commutation with G holds at every fixed point, critical or not: eigenvalues as a multiset."""
    k = sum(sizes)
    x = list(np.random.default_rng(7 * k).normal(size=len(orbit_names(sizes))) * 0.5)
    H = population_hessian(_dense(sizes, x)[None], teacher(k, k))[0]
    assert np.abs(_spectrum(sizes, x) - np.linalg.eigvalsh(H.numpy())).max() < 1e-9


@pytest.mark.parametrize("family", ["s_k_minus_1", "s_2_x_s_k_minus_2", "s_k"])
@pytest.mark.parametrize("k", [6, 7, 8, 9, 10, 11, 12])
def test_block_spectrum_at_the_constructed_critical_points(family, k):
    m = solve(family, k)
    W, V = _dense(m.sizes, m.x), teacher(k, k)
    assert float(population_grad(W[None], V).norm()) < 1e-12  # a critical point of the full F
    H = population_hessian(W[None], V)[0]
    assert np.abs(_spectrum(m.sizes, m.x) - np.linalg.eigvalsh(H.numpy())).max() < 1e-9
