"""Ball-arithmetic proofs of spurious teacher–student minima (arena/referee/proofs/teacher_student.py)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from arena.engine.teacher_student import classify, descend
from arena.landscape.teacher_student import (TeacherStudentSetting, population_grad, population_hessian,
                                             population_loss, teacher)
from arena.referee.proofs import teacher_student as T
from arena.referee.proofs.balls import NotCertified, precision


def symmetric_point(k: int, a: float, b: float, c: float, dl: float, e: float) -> torch.Tensor:
    """The S_{k−1}-symmetric five-parameter form of docs/catalogue.md (A7): W [k, k]."""
    W = torch.zeros(k, k, dtype=torch.float64)
    for i in range(k - 1):
        W[i, : k - 1] = b
        W[i, i] = a
        W[i, k - 1] = c
    W[k - 1, : k - 1] = dl
    W[k - 1, k - 1] = e
    return W


K6 = (0.9867038189, -0.0504134032, 0.3080109915, 0.2245158076, -0.6015119236)


def newton(W: torch.Tensor, V: torch.Tensor, steps: int = 30) -> torch.Tensor:
    for _ in range(steps):
        g = population_grad(W[None], V)[0].flatten()
        W = W - torch.linalg.solve(population_hessian(W[None], V)[0], g).reshape(W.shape)
    return W


@pytest.fixture(scope="module")
def k8_minimum() -> torch.Tensor:
    """The S_7-symmetric spurious minimum of k = n = 8 (F = 0.0215080372), as plain descent finds it."""
    torch.set_num_threads(1)
    V = teacher(8, 8)
    census = classify(descend(V, 8, 24, steps=20000, generator=torch.Generator().manual_seed(8)), V)
    assert census.minima and census.minima[0].loss == pytest.approx(0.0215080372, abs=1e-9)
    return census.minima[0].W


@pytest.fixture(scope="module")
def k8_cert(k8_minimum) -> dict:
    cert = T.certify(TeacherStudentSetting(8, 8, 8), k8_minimum)
    assert cert["proof"] is True, cert.get("reason")
    return cert


def test_enclosures_match_the_closed_forms():
    s = TeacherStudentSetting(4, 5, 6)
    W = torch.randn(5, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    V = s.teacher()
    with precision():
        Wa, Va = T._rows(W.flatten().tolist(), 5, 6), T._teacher(s)
        F, g, H = T.loss_value(Wa, Va), T.gradient(Wa, Va), T.hessian(Wa, Va)
    assert float(F.mid()) == pytest.approx(float(population_loss(W[None], V)[0]), abs=1e-14)
    assert np.allclose([float(x.mid()) for x in g], population_grad(W[None], V)[0].flatten().numpy(), atol=1e-14)
    Hm = np.array([[float(x.mid()) for x in row] for row in H.tolist()])
    assert np.allclose(Hm, population_hessian(W[None], V)[0].numpy(), atol=1e-13)


def test_k8_spurious_minimum_is_proved(k8_cert):
    lo, hi = (float(x) for x in k8_cert["minimum_loss"])
    assert lo == pytest.approx(0.0215080372, abs=1e-10) and 0 <= hi - lo < 1e-14
    assert 0.015 < float(k8_cert["mu_lower"]) <= 0.02135  # λ_min(∇²F) = 0.02135 at the minimum
    assert float(k8_cert["grad_norm_upper"]) < 1e-13
    assert k8_cert["witness"]["source"] == "exact global minimiser"
    w_lo, w_hi = (float(x) for x in k8_cert["witness"]["loss"])
    assert w_lo <= 0.0 <= w_hi < 1e-20
    ok, lines = T.check(TeacherStudentSetting(8, 8, 8), k8_cert)
    assert ok, lines


def test_k6_symmetric_minimum_is_proved():
    """The paper's threshold: the k = 6 point (F = 0.0250805810, λ_min = 0.0047) is a strict spurious minimum."""
    cert = T.certify(TeacherStudentSetting(6, 6, 6), symmetric_point(6, *K6))
    assert cert["proof"] is True, cert.get("reason")
    lo, hi = (float(x) for x in cert["minimum_loss"])
    assert lo <= 0.0250805810 + 2e-10 and hi >= 0.0250805810 - 2e-10
    assert 0.003 < float(cert["mu_lower"]) < 0.0047


def test_no_proof_at_a_saddle():
    """k = 5: the same symmetric form is a saddle (F = 0.0270, λ_min = −0.0077): no proof."""
    V = teacher(5, 5)
    W = newton(symmetric_point(5, *K6[:2], *K6[2:]), V)
    assert float(population_grad(W[None], V).norm()) < 1e-12
    assert float(torch.linalg.eigvalsh(population_hessian(W[None], V)[0])[0]) == pytest.approx(-0.0077, abs=1e-4)
    cert = T.certify(TeacherStudentSetting(5, 5, 5), W)
    assert cert["proof"] is False and "λ_min" in cert["reason"]


def test_no_proof_at_a_non_critical_point(k8_minimum, k8_cert):
    """A centre 1e-4 away from the minimum: ‖∇F(θ₀)‖ ≈ 2e-6 is far above μr/2, so the lemma fails."""
    s = TeacherStudentSetting(8, 8, 8)
    moved = (k8_minimum + 1e-4 * torch.randn(8, 8, generator=torch.Generator().manual_seed(0),
                                             dtype=torch.float64)).flatten().tolist()
    with precision():
        lem = T.derive(s, moved, float(k8_cert["radius"]))
    assert not lem.holds and "‖∇L(θ₀)‖" in lem.failure()
    forged = {**k8_cert, "centre": [float(v).hex() for v in moved]}
    ok, lines = T.check(s, forged)
    assert not ok and any(line.startswith("FAIL") and "lemma fails" in line for line in lines)


def test_no_proof_when_units_are_parallel_or_zero(k8_minimum):
    s = TeacherStudentSetting(8, 8, 8)
    W = k8_minimum.clone()
    W[1] = 2 * W[0]
    with precision(), pytest.raises(NotCertified, match="parallel"):
        T.hessian(T._rows(W.flatten().tolist(), 8, 8, 1e-9), T._teacher(s))
    W[1] = 0.0
    with precision(), pytest.raises(NotCertified, match="may be 0"):
        T.gradient(T._rows(W.flatten().tolist(), 8, 8), T._teacher(s))


def test_edited_certificates_are_rejected(k8_cert):
    s = TeacherStudentSetting(8, 8, 8)
    for key, value in (("mu_lower", "0.5"), ("grad_norm_upper", "1e-40"), ("minimum_loss", ["0.03", "0.04"]),
                       ("kind", "strict_minimum")):
        bad = copy.deepcopy(k8_cert)
        bad[key] = value
        assert T.check(s, bad)[0] is False, key
    bad = copy.deepcopy(k8_cert)
    bad["witness"]["point"] = bad["centre"]  # the minimum itself is no lower witness
    ok, lines = T.check(s, bad)
    assert not ok and any("not below" in line for line in lines)


def test_witness_value_encloses_parallel_split_units():
    """n = k + 1: the global minimiser splits a teacher unit into two parallel halves; F = 0 is enclosed."""
    s = TeacherStudentSetting(5, 6, 5)
    with precision():
        F = T.witness_loss(s, s.global_witness()["W"].flatten().tolist())
    assert F.contains(0) and float(F.rad()) < 1e-30
