"""The proof through symmetry: Krawczyk on the reduced system, isotypic blocks, certificate re-check."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from arena.claims import Claim
from arena.landscape.symmetric import dense_point
from arena.landscape.teacher_student import TeacherStudentSetting
from arena.referee.proofs import check as check_any
from arena.referee.proofs.symmetric import certify, check
from arena.search.symmetric_family import solve, turned_away


def _claim(k, W):
    s = TeacherStudentSetting(k, k, k)
    return s, Claim(s.to_config(), torch.zeros(0, k), torch.zeros(0), {"W": torch.tensor(W)}, witness=s.global_witness())


@pytest.fixture(scope="module")
def k7():
    m = solve("s_k_minus_1", 7)
    W = np.array(dense_point(m.sizes, m.x))
    s, claim = _claim(7, W)
    return claim, certify(s, W)


def test_the_k7_member_is_proved_a_bad_strict_minimum(k7):
    claim, cert = k7
    assert cert["proof"] is True, cert.get("reason")
    assert cert["group"] == "Δ(S_1 × S_6)" and cert["sizes"] == [1, 6]
    assert [b["name"] for b in cert["blocks"]] == ["trivial", "S[1]", "A[1]", "T[1]"]
    assert float(cert["mu_lower"]) == pytest.approx(0.014059, abs=2e-6)  # λ_min of the dense Hessian
    lo, hi = map(float, cert["minimum_loss"])
    assert lo == pytest.approx(0.0232027149136, abs=1e-12) and hi - lo < 1e-15
    assert float(cert["claim_distance_upper"]) < 1e-12
    ok, lines = check(claim, cert)
    assert ok, lines
    assert check_any(claim, cert)[0]  # the general re-check dispatches by kind


@pytest.mark.parametrize("field,value", [("mu_lower_block", "0.02"), ("minimum_loss", ["0.02321", "0.02322"]),
                                         ("sizes", [2, 5]), ("claim_distance_upper", "1e-20"),
                                         ("radius", "1e-30")])
def test_a_tampered_certificate_is_rejected(k7, field, value):
    claim, cert = k7
    bad = copy.deepcopy(cert)
    if field == "mu_lower_block":
        bad["blocks"][1]["mu_lower"] = value  # S[1]'s true smallest eigenvalue is 0.01406
    else:
        bad[field] = value
    ok, lines = check(claim, bad)
    assert not ok and any(line.startswith("FAIL") for line in lines), lines


def test_a_saddle_is_not_proved():
    m = solve("s_2_x_s_k_minus_2", 6)  # index 4: negative curvature on the S[0] and S[1] blocks
    W = np.array(dense_point(m.sizes, m.x))
    cert = certify(TeacherStudentSetting(6, 6, 6), W)
    assert cert["proof"] is False and "S[0]" in cert["reason"] and "S[1]" in cert["reason"]


def test_a_point_without_the_symmetry_is_not_proved():
    W = np.eye(6) + 0.1 * np.random.default_rng(0).normal(size=(6, 6))
    cert = certify(TeacherStudentSetting(6, 6, 6), W)
    assert cert["proof"] is False and "not fixed by" in cert["reason"]


@pytest.mark.parametrize("family,k", [("s_k_minus_1", 100), ("s_2_x_s_k_minus_2", 100), ("s_2_x_s_k_minus_2", 8)])
def test_large_k_and_the_first_minimum_of_the_second_family(family, k):
    m = solve(family, k)
    W = np.array(dense_point(m.sizes, m.x))
    s, claim = _claim(k, W)
    cert = certify(s, W)
    assert cert["proof"] is True, cert.get("reason")
    assert float(cert["mu_lower"]) > 0.003
    assert check(claim, cert)[0]


def test_a_point_with_units_and_coordinates_permuted_apart_is_proved():
    """F is S_k × S_k invariant: rows and columns permuted independently, as the search returns them."""
    m = solve("s_2_x_s_k_minus_2", 8)
    rng = np.random.default_rng(3)
    W = np.array(dense_point(m.sizes, m.x))[rng.permutation(8)][:, rng.permutation(8)]
    s, claim = _claim(8, W)
    cert = certify(s, W)
    assert cert["proof"] is True and cert["sizes"] == [2, 6] and "rows" in cert
    assert float(cert["claim_distance_upper"]) < 1e-12
    assert check(claim, cert)[0]
    bad = copy.deepcopy(cert)
    bad["rows"] = bad["rows"][::-1]
    assert not check(claim, bad)[0]


def test_a_turned_away_member_permuted_apart_is_proved_and_one_moved_entry_is_not():
    """Δ(S_5 × S_15) at k = 20, rows and columns permuted independently: proved on its own blocks; the
    same point with one entry moved by 1e-5 is fixed by no diagonal group, so nothing is proved."""
    m = solve(turned_away(5), 20)
    rng = np.random.default_rng(3)
    W = np.array(dense_point(m.sizes, m.x))[rng.permutation(20)][:, rng.permutation(20)]
    s, claim = _claim(20, W)
    cert = certify(s, W)
    assert cert["proof"] is True and cert["sizes"] == [5, 15]
    assert float(cert["mu_lower"]) == pytest.approx(0.02587, abs=1e-5)
    assert check(claim, cert)[0]
    W[3, 4] += 1e-5
    moved = certify(s, W)
    assert moved["proof"] is False and "not fixed by a diagonal group" in moved["reason"]


def test_other_shapes_of_the_task_are_refused_with_a_reason():
    cert = certify(TeacherStudentSetting(6, 7, 6), np.zeros((7, 6)))
    assert cert["proof"] is False and "n = d = k" in cert["reason"]
