"""The talk tournament: the cells that the literature catalogue predicts (docs/catalogue.md D1, D2, A1, A5, A12, A14)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_arena


def _results(out):
    return {(r["defender"], r["attacker"], r["setting"]): r
            for r in (json.loads(p.read_text()) for p in out.glob("matches/*/result.json"))}


def _check_talk_cells(out):
    cells = _results(out)
    s = "relu_1hidden"
    assert cells[("none", "dead_relu", s)]["outcome"] == "broken"
    held = cells[("softplus", "dead_relu", s)]
    assert held["outcome"] == "held"
    assert held["claims"][0]["verdict"] == "not_local_min"  # the saturated analogue is rejected
    assert all(c["holds"] for c in held["assumption_checks"])  # ... and it was in scope
    trap = cells[("softplus", "concavity_trap", s)]
    assert trap["outcome"] == "out_of_scope" and trap["failed_assumptions"] == ["data_linearly_separable"]
    for attacker in ("dead_relu", "all_dead", "linear_region"):  # every local-minimum attack that applies
        assert cells[("exp_neuron", attacker, s)]["outcome"] == "held", attacker
    assert cells[("exp_neuron", "concavity_trap", s)]["outcome"] == "incompatible"  # needs a convex neuron
    path = cells[("exp_neuron", "path_to_infinity", s)]
    assert path["outcome"] == "out_of_scope"
    assert path["failed_assumptions"] == ["promise_covers_paths_to_infinity"]
    a14 = cells[("relu_special_neuron", "dead_relu", s)]
    assert a14["outcome"] == "out_of_scope" and a14["failed_assumptions"] == ["special_neuron_exponential"]
    board = json.loads((out / "leaderboard.json").read_text())
    necessity = {(r["defender"], r["assumption"]): {c["attacker"] for c in r["counterexamples"]}
                 for r in board["necessity"]}
    assert "concavity_trap" in necessity[("softplus", "data_linearly_separable")]
    assert "path_to_infinity" in necessity[("exp_neuron", "promise_covers_paths_to_infinity")]
    assert "dead_relu" in necessity[("relu_special_neuron", "special_neuron_exponential")]
    assert "## Necessity matrix" in (out / "leaderboard.md").read_text()
    return cells


def test_talk_cells_on_the_main_setting(tmp_path):
    out = tmp_path / "talk"
    proc = run_arena("experiment=talk", f"out_dir={out}", "logger=none", "progress=false",
                     "tournament.attackers=[dead_relu,all_dead,concavity_trap,linear_region,path_to_infinity]",
                     "tournament.defenders=[none,softplus,exp_neuron,relu_special_neuron]",
                     "tournament.settings=[relu_1hidden]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check_talk_cells(out)


def _check_plateau_cells(cells):
    """A10: the smooth plateau breaks the undefended tanh network and is out of scope for softplus."""
    assert cells[("none", "smooth_plateau", "tanh_1hidden")]["outcome"] == "broken"
    assert cells[("none", "smooth_plateau", "relu_1hidden")]["outcome"] == "incompatible"  # σ'' = 0
    soft = cells[("softplus", "smooth_plateau", "relu_1hidden")]
    assert soft["outcome"] == "out_of_scope" and soft["failed_assumptions"] == ["data_linearly_separable"]
    assert soft["verdict"]["verdict"] == "bad_local_min" and soft["verdict"]["loss"] == pytest.approx(1.0)


def test_talk_smooth_plateau_cells(tmp_path):
    """The talk's smooth_plateau cells, played in this process with the talk's budget and referee."""
    import yaml

    from arena.game.match import MatchSpec, run_match
    from arena.game.registry import discover
    from tests.conftest import ROOT

    conf = lambda group, name: yaml.safe_load((ROOT / "conf" / group / f"{name}.yaml").read_text())  # noqa: E731
    talk = conf("experiment", "talk")
    assert "tanh_1hidden" in talk["tournament"]["settings"] and talk["tournament"]["attackers"] == "all"
    overrides = {k.split("/")[-1]: v for item in talk["defaults"] for k, v in item.items()}
    attacker = discover("attacker")["smooth_plateau"].default_config()
    for defender, setting in (("none", "tanh_1hidden"), ("none", "relu_1hidden"), ("softplus", "relu_1hidden")):
        spec = MatchSpec(attacker, conf("defender", defender), conf("setting", setting),
                         conf("budget", overrides["budget"]), conf("referee", overrides["referee"]), seed=0)
        run_match(spec, tmp_path / "matches" / spec.match_id, device="cpu")
    _check_plateau_cells(_results(tmp_path))


@pytest.mark.slow
def test_full_talk_tournament(tmp_path):
    out = tmp_path / "talk"
    proc = run_arena("experiment=talk", f"out_dir={out}", "logger=none", "progress=false", timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = _check_talk_cells(out)
    _check_plateau_cells(cells)
    assert not [k for k, r in cells.items() if r["outcome"] == "error"]
    # A2: the squared-loss point is the global minimum of its network: classification-bad, not value-bad
    assert cells[("none", "squared_loss_trap", "exp_1d")]["outcome"] == "held"
