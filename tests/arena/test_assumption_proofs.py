"""Every assumption check reports ``holds`` and ``proved``; unproven failures never count as proven."""
from __future__ import annotations

import json

import torch

from arena.assumptions import Assumption, AssumptionResult, linear_separability, make_assumption
from arena.claims import zoo
from arena.game import necessity
from arena.game.match import MatchSpec, check_assumptions, run_match
from arena.landscape.setting import Setting
from arena.contract import Guarantee

F64 = torch.float64
XOR_X = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]], dtype=F64)
XOR_Y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
RELU = Setting.from_config({"network": {"input_dim": 2, "hidden": [4]}, "loss": "quadratic_hinge"})


def test_separability_is_proved_both_ways():
    sep = linear_separability(XOR_X[:2], torch.tensor([1.0, -1.0], dtype=F64))
    assert sep.holds is True and sep.proved
    xor = linear_separability(XOR_X, XOR_Y)
    # Farkas: the four samples with weights 1/4 cancel exactly
    assert xor.holds is False and xor.proved and xor.evidence["obstruction_residual"] <= 1e-12
    assert xor.to_dict()["proved"] is True


def test_a_search_that_found_nothing_is_not_a_proof():
    # XOR is realizable by 4 ReLUs, but one Adam step from one start finds no witness
    lazy = make_assumption("realizable", restarts=1, steps=1)(RELU, XOR_X, XOR_Y)
    assert lazy.holds is False and not lazy.proved and "not a proof" in lazy.evidence["reason"]
    dup_X = torch.tensor([[0.0, 1.0], [0.0, 1.0]], dtype=F64)
    conflict = make_assumption("realizable")(RELU, dup_X, torch.tensor([1.0, -1.0], dtype=F64))
    assert conflict.holds is False and conflict.proved  # one input, two labels: impossible


def test_class_facts_are_proved_and_opaque_networks_are_undecided():
    relu = make_assumption("neuron_increasing")(RELU, None, None)
    assert relu.holds is False and relu.proved
    assert make_assumption("inputs_distinct")(RELU, XOR_X, XOR_Y).proved
    custom = Setting.from_config({"network": {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}})
    for name in ("neuron_increasing", "single_hidden_layer_or_shortcut", "last_hidden_width_at_least_n"):
        res = make_assumption(name)(custom, XOR_X, XOR_Y)
        assert res.holds is None and not res.proved and "custom network" in res.evidence["reason"], name


def test_partial_coercivity_check_is_not_a_proof(monkeypatch):
    import arena.assumptions.architecture as arch

    l2 = RELU.replace(regularizer={"name": "l2", "weight": 0.1})
    full = make_assumption("regularizer_coercive")(l2, None, None)
    assert full.holds and full.proved
    real = arch._unit_penalties
    monkeypatch.setattr(arch, "_unit_penalties", lambda s, limit=2048: real(s, limit=4))
    part = make_assumption("regularizer_coercive")(l2, None, None)
    assert part.holds and not part.proved and part.evidence["coordinates_checked"] == 4


def _boom(setting, X, y):
    raise RuntimeError("solver exploded")


def test_a_crashed_check_is_undecided_and_unproved():
    guarantee = Guarantee("no_bad_local_min", [Assumption("explodes", "a check that crashes", _boom)])
    (check,) = check_assumptions(guarantee, RELU, zoo.a1_dead_relu())
    assert check["holds"] is None and check["proved"] is False and "solver exploded" in check["evidence"]["error"]


def test_unproven_failure_is_its_own_outcome_and_not_evidence_of_necessity(tmp_path, monkeypatch):
    from arena.defenders.none import NoDefense

    unproven = Assumption("searched", "a witness search that found nothing",
                          lambda s, X, y: AssumptionResult(False, {"reason": "no witness found"}, proved=False))
    monkeypatch.setattr(NoDefense, "guarantee", lambda self, setting: Guarantee("no_bad_local_min", [unproven]))
    spec = MatchSpec(attacker={"_target_": "arena.attackers.all_dead.AllDead", "name": "all_dead", "n": 6},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting={"name": "relu", "network": {"input_dim": 2, "hidden": [3]}, "loss": "quadratic_hinge"},
                     budget={"restarts": 4, "steps": 50, "max_claims": 1},
                     referee={"restarts": 0, "probe_random": 32, "probe_descent_steps": 5}, seed=0)
    result = run_match(spec, tmp_path / "matches" / spec.match_id, device="cpu")
    assert result["outcome"] == "out_of_scope?", result.get("reason")
    assert result["unproven_failures"] == ["searched"] and result["proven_failures"] == []
    assert result["assumption_checks"][0]["proved"] is False
    rows = necessity.build(tmp_path)
    assert rows[0]["assumption"] == "searched" and rows[0]["counterexamples"] == [] == rows[0]["with_others"]
    # the same result marked as proven is a counterexample
    path = tmp_path / "matches" / spec.match_id / "result.json"
    stored = json.loads(path.read_text())
    stored.update(outcome="out_of_scope", proven_failures=["searched"], unproven_failures=[])
    path.write_text(json.dumps(stored))
    assert [c["attacker"] for c in necessity.build(tmp_path)[0]["counterexamples"]] == ["all_dead"]
