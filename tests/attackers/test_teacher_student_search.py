"""teacher_student_search (Safran & Shamir, ICML 2018): spurious minima found by plain descent, verified by the referee."""
from __future__ import annotations

import csv

import pytest
import torch
from omegaconf import OmegaConf

from arena.attackers.teacher_student_search import TeacherStudentSearch
from arena.claims import load_claim, save_claim
from arena.defenders.overparameterize import OverparamDouble, OverparamPlus1, OverparamPlus2
from arena.engine.teacher_student import descend, wilson
from arena.contract import Budget
from arena.game.match import MatchSpec, run_match
from arena.game.sweep import COLUMNS, run_cell, run_sweep
from arena.landscape.setting import Setting
from arena.landscape.teacher_student import teacher
from arena.referee.judge import judge
from arena.referee.proofs import check as check_certificate

K8 = {"task": "teacher_student", "k": 8, "n": 8, "d": 8}
FAST = {"probe_random": 64, "probe_descent_steps": 15}


@pytest.fixture(scope="module")
def k8_claim():
    claims = TeacherStudentSearch().attack(Setting.from_config(K8), None, Budget(restarts=64, steps=20000), seed=0)
    assert claims, "64 restarts at k = 8 should reach a spurious minimum"
    return claims[0]


def test_search_finds_the_k8_spurious_minimum(k8_claim):
    search = k8_claim.extra["search"]
    assert search["restarts"] == 64 and search["spurious"] >= 1 and search["unconverged"] == 0
    assert search["spurious"] + search["global"] + search["saddle_or_flat"] == 64
    low, high = search["ci"]
    assert low <= search["hit_rate"] <= high
    m = search["minima"][0]
    assert m["loss"] == pytest.approx(0.0215080372, abs=1e-9)  # the S_7-symmetric minimum of the k = 8 problem
    assert m["min_eig"] == pytest.approx(0.02135, abs=5e-5) and m["grad_norm"] < 1e-9
    assert k8_claim.X.shape == (0, 8) and k8_claim.y.shape == (0,)


def test_referee_verifies_it_as_a_bad_local_minimum(k8_claim, tmp_path):
    claim = load_claim(save_claim(k8_claim, tmp_path / "c"))  # no samples survive the file round trip
    v = judge(claim, FAST, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    assert v.evidence["loss"] == pytest.approx(0.0215080372, abs=1e-9)
    assert v.evidence["best_loss"] == pytest.approx(0.0, abs=1e-14) and v.evidence["gap"] > 0.02
    assert v.evidence["hessian_min_eig"] > 0.02 and v.evidence["strict"] is True
    cert = v.evidence["proof_certificate"]
    assert v.evidence["proof"] is True and cert["kind"] == "symmetric_minimum", cert  # S_7-symmetric: tried first
    ok, lines = check_certificate(claim, cert)  # what `arena verify --check-certificate` runs
    assert ok, lines


def test_the_dense_proof_agrees_with_the_proof_through_symmetry(k8_claim, tmp_path):
    """Both proof paths apply at k = 8: each proves the point, and their curvature bounds agree."""
    from arena.referee.proofs.symmetric import certify as certify_symmetric
    from arena.referee.proofs.teacher_student import certify as certify_dense

    s = Setting.from_config(K8)
    W = k8_claim.theta["W"].double()
    dense = certify_dense(s, W, claim_W=W)
    sym = certify_symmetric(s, W.numpy(), None, W.numpy())
    assert dense["proof"] is True and dense["kind"] == "teacher_student_strict_minimum", dense
    assert float(dense["claim_distance_upper"]) < 1e-9
    assert sym["proof"] is True, sym
    ok, lines = check_certificate(k8_claim, dense)
    assert ok, lines
    # the dense bound holds over a box, the symmetric one at the exact critical point: both below λ_min
    assert 0.019 < float(dense["mu_lower"]) <= 0.02136


def test_referee_rejects_a_global_point_and_empty_data_elsewhere(k8_claim):
    s = Setting.from_config(K8)
    glob = type(k8_claim)(K8, k8_claim.X, k8_claim.y, s.global_witness())
    assert judge(glob, {**FAST, "probe_radii": [1e-3]}, device="cpu").verdict in ("not_bad", "not_local_min")
    mlp = {"network": {"input_dim": 2, "hidden": [2]}, "loss": "quadratic_hinge"}
    theta = {k: torch.zeros(v) for k, v in Setting.from_config(mlp).param_shapes.items()}
    empty = type(k8_claim)(mlp, torch.zeros(0, 2), torch.zeros(0), theta)
    v = judge(empty, FAST, device="cpu")
    assert v.verdict == "invalid" and "the dataset is empty" in v.reasons


def test_descent_respects_the_budget():
    res = descend(teacher(8, 8), 8, 12, steps=40, generator=torch.Generator().manual_seed(0))
    assert res.W.shape == (12, 8, 8) and int(res.steps.max()) <= 40 and not bool(res.converged.any())


def test_overparameterised_students_hit_spurious_minima_less_often():
    base = run_cell(8, 8, 60, 20000, 0)["row"]
    wider = run_cell(8, 9, 60, 20000, 0)["row"]
    assert base["spurious"] >= 4, base  # k = 8: about 15% of restarts
    assert wider["hit_rate"] < base["hit_rate"] and wider["ci_high"] < 0.1, (base, wider)
    assert wilson(0, 60) == (0.0, pytest.approx(0.0601, abs=1e-4))


def test_defenders_widen_the_student():
    s = Setting.from_config(K8)
    assert [d.defend(s).n for d in (OverparamPlus1(), OverparamPlus2(), OverparamDouble())] == [9, 10, 16]
    assert OverparamPlus1().guarantee(s).promise is None
    mlp = Setting.from_config({"network": {"input_dim": 2, "hidden": [4]}})
    assert list(OverparamDouble().defend(mlp).mlp.hidden) == [8]
    with pytest.raises(ValueError, match="extra"):
        OverparamPlus1(extra="+3")


def test_match_other_attackers_do_not_apply_to_population_tasks(tmp_path):
    spec = MatchSpec(attacker={"_target_": "arena.attackers.dead_relu.DeadRelu", "name": "dead_relu"},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting={**K8, "name": "ts8"}, budget={"restarts": 4, "steps": 10}, seed=0)
    result = run_match(spec, tmp_path / "m", device="cpu")
    assert result["outcome"] == "incompatible" and "population task" in result["reason"]


def test_sweep_writes_the_csv(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "seed": 0,
                            "sweep": {"k": [6], "students": ["=", "x2"], "restarts": 8, "steps": 3000, "workers": 1}})
    run_sweep(cfg)
    with (tmp_path / "hit_rates.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == COLUMNS == ("k", "n", "restarts", "spurious", "hit_rate", "ci_low", "ci_high",
                                                "distinct_minima", "min_spurious_loss", "proved_minima", "family_minima")
    assert [(r["k"], r["n"], r["restarts"]) for r in rows] == [("6", "6", "8"), ("6", "12", "8")]
    for r in rows:
        assert 0.0 <= float(r["ci_low"]) <= float(r["hit_rate"]) <= float(r["ci_high"]) <= 1.0


def test_sweep_names_the_constructed_family_of_each_minimum(tmp_path):
    """k = 8, n = k: the only spurious minimum found is the ΔS_{k−1} member (F = 0.0215080); restarts per k."""
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "seed": 0,
                            "sweep": {"k": [8, 6], "students": ["="], "restarts": [20, 4], "steps": 20000,
                                      "workers": 1, "prove": False}})
    cells = {c["row"]["k"]: c for c in run_sweep(cfg)}
    row = cells[8]["row"]
    assert (row["restarts"], cells[6]["row"]["restarts"]) == (20, 4)
    assert row["spurious"] >= 1 and row["family_minima"] == f"s_k_minus_1:{row['spurious']}"
    match = cells[8]["census"]["minima"][0]["family"]
    assert match["isotropy"] == "ΔS_{k−1}" and match["loss_gap"] < 1e-12 and match["entry_gap"] < 1e-9
    assert match["loss_constructed"] == pytest.approx(0.0215080372, abs=1e-9)


def test_sweep_refuses_a_restarts_list_of_the_wrong_length(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "sweep": {"k": [6, 7], "students": ["="], "restarts": [5],
                                                                "steps": 10, "workers": 1}})
    with pytest.raises(ValueError, match="one per k"):
        run_sweep(cfg)
