"""The teacher–student population loss (Safran & Shamir, ICML 2018): closed forms against autograd and Monte Carlo."""
from __future__ import annotations

import math

import pytest
import torch
from torch.func import grad, hessian

from arena.landscape.setting import Setting
from arena.landscape.teacher_student import (TeacherStudentSetting, exact_global_minimiser, kernel, population_grad,
                                             population_hessian, population_loss, teacher)


def _points(K=3, n=5, k=4, d=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(K, n, d, generator=gen, dtype=torch.float64) / 2, teacher(k, d)


def test_gradient_and_hessian_match_autograd():
    W, V = _points()
    K, n, d = W.shape
    f = lambda w: population_loss(w.reshape(1, n, d), V)[0]  # noqa: E731
    g_auto = torch.stack([grad(f)(W[i].reshape(-1)) for i in range(K)])
    h_auto = torch.stack([hessian(f)(W[i].reshape(-1)) for i in range(K)])
    assert torch.allclose(population_grad(W, V).reshape(K, -1), g_auto, atol=1e-13, rtol=0)
    H = population_hessian(W, V)
    assert torch.allclose(H, h_auto, atol=1e-12, rtol=0)
    assert torch.allclose(H, H.transpose(-1, -2), atol=1e-14, rtol=0)


def test_kernel_special_values():
    u = torch.tensor([[[3.0, 4.0]]], dtype=torch.float64)
    assert float(kernel(u, u, same=True)) == pytest.approx(12.5)  # ‖u‖²/2
    assert float(kernel(u, -u)) == pytest.approx(0.0, abs=1e-15)  # opposite: never both active
    e1 = torch.tensor([[[1.0, 0.0]]], dtype=torch.float64)
    e2 = torch.tensor([[[0.0, 1.0]]], dtype=torch.float64)
    assert float(kernel(e1, e2)) == pytest.approx(1 / (2 * math.pi))  # E[relu(x1) relu(x2)] = (1/√(2π))²


def test_loss_matches_monte_carlo_within_its_standard_error():
    W, V = _points(K=1, seed=1)
    gen = torch.Generator().manual_seed(2)
    total, sq, m = 0.0, 0.0, 0
    for _ in range(10):  # 10⁶ samples in chunks
        x = torch.randn(100_000, V.shape[1], generator=gen, dtype=torch.float64)
        r = 0.5 * (torch.relu(x @ W[0].T).sum(1) - torch.relu(x @ V.T).sum(1)) ** 2
        total, sq, m = total + float(r.sum()), sq + float((r * r).sum()), m + r.numel()
    mean = total / m
    se = math.sqrt((sq / m - mean * mean) / m)
    assert abs(float(population_loss(W, V)[0]) - mean) < 4 * se


def test_global_value_is_exactly_reached():
    V = teacher(6, 6)
    for n in (6, 7, 8, 12):
        W = exact_global_minimiser(n, V)
        assert W.shape == (n, 6)
        assert abs(float(population_loss(W[None], V)[0])) < 1e-14
    with pytest.raises(ValueError, match="cannot realise"):
        exact_global_minimiser(5, V)


def test_symmetric_spurious_minimum_k6():
    """The S_{k−1}-symmetric point of the k = 6 problem: F = 0.0250805810, a strict minimum (λ_min ≈ 0.0047)."""
    k = 6
    a, b, c, dl, e = 0.9867038189, -0.0504134032, 0.3080109915, 0.2245158076, -0.6015119236
    W = torch.zeros(k, k, dtype=torch.float64)
    for i in range(k - 1):
        W[i, : k - 1] = b
        W[i, i] = a
        W[i, k - 1] = c
    W[k - 1, : k - 1] = dl
    W[k - 1, k - 1] = e
    V = teacher(k, k)
    assert float(population_loss(W[None], V)[0]) == pytest.approx(0.0250805810, abs=2e-10)
    assert float(population_grad(W[None], V).norm()) < 1e-8
    assert float(torch.linalg.eigvalsh(population_hessian(W[None], V))[0, 0]) == pytest.approx(0.00470, abs=5e-5)


def test_setting_from_config_and_interface():
    s = Setting.from_config({"name": "ts", "task": "teacher_student", "k": 4, "n": 5, "d": 4})
    assert isinstance(s, TeacherStudentSetting) and s.param_shapes == {"W": (5, 4)} and s.num_params == 20
    assert s.to_config() == {"task": "teacher_student", "k": 4, "n": 5, "d": 4}
    assert s.replace(n=8).n == 8
    p = s.init_params(7, generator=torch.Generator().manual_seed(0))
    X, y = torch.zeros(0, 4, dtype=torch.float64), torch.zeros(0, dtype=torch.float64)
    flat = s.flatten(p)
    assert flat.shape == (7, 20)
    assert torch.equal(s.empirical_loss(s.unflatten(flat), X, y), population_loss(p["W"], s.teacher()))
    assert float(s.empirical_loss(s.global_witness(), X, y)) == pytest.approx(0.0, abs=1e-14)
    for bad, msg in (({"k": 4}, "missing"), ({"k": 5, "n": 5, "d": 4}, "d >= k"), ({"k": 4, "n": 0}, "positive"),
                     ({"k": 4, "n": 4, "width": 3}, "unknown keys")):
        with pytest.raises(ValueError, match=msg):
            Setting.from_config({"task": "teacher_student", **bad})
