"""symmetric_family (Arjevani & Field): constructed symmetric minima, judged and proved by the referee."""
from __future__ import annotations

import pytest

from arena.attackers.symmetric_family import SymmetricFamily
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.referee.judge import judge
from arena.referee.proofs import check

FAST = {"probe_random": 64, "probe_descent_steps": 15}


def _task(k, n=None):
    return Setting.from_config({"task": "teacher_student", "k": k, "n": n or k, "d": k})


def test_knobs_and_applicability():
    with pytest.raises(ValueError, match="attacker symmetric_family: families"):
        SymmetricFamily(families=["s_1"])
    ok, why = SymmetricFamily().applies_to(_task(7, 8), None)
    assert not ok and "n = d = k" in why
    assert SymmetricFamily().applies_to(_task(7), None)[0]
    assert not SymmetricFamily().applies_to(Setting.from_config({"network": {"input_dim": 2, "hidden": [2]}}), None)[0]


def test_only_minima_are_submitted():
    """At k = 7 the Δ(S_2 × S_5) member is a saddle (index 4): one claim; at k = 8 both families are minima."""
    at7 = SymmetricFamily().attack(_task(7), None, Budget(max_claims=4), seed=0)
    assert [c.extra["symmetric"]["family"] for c in at7] == ["s_k_minus_1"]
    at8 = SymmetricFamily().attack(_task(8), None, Budget(max_claims=4), seed=0)
    assert [round(c.extra["symmetric"]["loss"], 10) for c in at8] == [0.0215080372, 0.0397932341]
    assert all(c.extra["symmetric"]["min_eig"] > 0.003 for c in at8)


def test_referee_judges_and_proves_the_k7_claim():
    (claim,) = SymmetricFamily().attack(_task(7), None, Budget(), seed=0)
    v = judge(claim, FAST, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    assert v.evidence["loss"] == pytest.approx(0.0232027149, abs=1e-9)
    assert v.evidence["proof"] is True
    cert = v.evidence["proof_certificate"]
    assert cert["kind"] == "symmetric_minimum" and cert["group"] == "Δ(S_1 × S_6)"
    # the float referee and the proof agree on the smallest Hessian eigenvalue
    assert float(cert["mu_lower"]) == pytest.approx(v.evidence["hessian_min_eig"], rel=1e-5)
    assert check(claim, cert)[0]


def test_claims_name_the_defended_setting():
    """A tournament judges a population claim only when its setting is the defended one (as data)."""
    from arena.game.match import same_setting

    (claim,) = SymmetricFamily(families=["s_k_minus_1"]).attack(_task(7), None, Budget(), seed=0)
    assert same_setting(claim.setting, _task(7))
    assert not same_setting({**claim.setting, "k": 8, "n": 8, "d": 8}, _task(7))
    assert not same_setting({**claim.setting, "network": {"_target_": "os.system"}}, _task(7))


def test_turned_away_families_are_submitted_and_proved_through_symmetry():
    """Δ(S_5 × S_15) at k = 20 (a minimum the search ends at): claimed, judged bad, proved by the
    symmetric path; the family is skipped at a k too small to build it (k <= 2m)."""
    attacker = SymmetricFamily(families=["s_5_x_s_k_minus_5"])
    assert attacker.attack(_task(10), None, Budget(), seed=0) == []
    (claim,) = attacker.attack(_task(20), None, Budget(), seed=0)
    assert claim.extra["symmetric"]["isotropy"] == "Δ(S_5 × S_{k−5})"
    assert claim.extra["symmetric"]["loss"] == pytest.approx(0.0515559482585, abs=1e-12)
    verdict = judge(claim, {"seed": 1})
    assert verdict.verdict == "bad_local_min" and verdict.evidence["proof"]
    assert verdict.evidence["proof_certificate"]["group"] == "Δ(S_5 × S_15)"
