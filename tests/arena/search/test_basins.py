"""Bad-basin rate: the cheap float64 test on restart end points, Wilson intervals, pooling, the
leaderboard column and its sort."""
import json

import pytest
import torch

from arena.attackers.all_dead import AllDead
from arena.game import leaderboard
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.search import basins


def test_wilson_interval_numbers():
    assert basins.wilson(0, 10) == pytest.approx((0.0, 0.2775327998628892), abs=1e-12)
    assert basins.wilson(5, 10) == pytest.approx((0.2365930905, 0.7634069095), abs=1e-9)
    assert basins.wilson(0, 0) == (0.0, 1.0)


def _population():
    """Bad all-dead point, the same point with hidden units permuted, and its zero-loss witness twice."""
    s = Setting.from_config({"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"})
    (claim,) = AllDead().attack(s, None, Budget(), seed=0)
    perm = [2, 0, 3, 1]
    permuted = dict(claim.theta, **{"layers.0.weight": claim.theta["layers.0.weight"][perm],
                                    "layers.0.bias": claim.theta["layers.0.bias"][perm],
                                    "layers.1.weight": claim.theta["layers.1.weight"][:, perm]})
    points = [claim.theta, permuted, claim.witness, claim.witness]
    params = {k: torch.stack([p[k] for p in points]) for k in s.param_shapes}
    return s, claim, params


def test_judge_population_counts_bad_and_deduplicates_permutations():
    s, claim, params = _population()
    out = basins.judge_population(basins.Population(s, claim.X, claim.y, params, "test"))
    bad_loss = float(s.empirical_loss(claim.theta, claim.X, claim.y))
    assert out["restarts"] == 4 and out["converged"] == 4 and out["bad"] == 2 and out["distinct"] == 1
    assert out["best_loss"] == 0.0 and out["bad_losses"] == [pytest.approx(bad_loss, abs=1e-9)]
    assert out["loss_quantiles"]["1.0"] == pytest.approx(bad_loss) and out["loss_quantiles"]["0.0"] == 0.0


def test_recording_collects_reports_and_summarizes():
    s, claim, params = _population()
    basins.report(s, claim.X, claim.y, params)  # no recording: nothing happens
    with basins.recording() as rec:
        basins.report(s, claim.X, claim.y, params, label="a")
        basins.report(s, claim.X, claim.y, params, label="b", comparable=False)
    assert [p.label for p in rec.populations] == ["a", "b"]
    summary = basins.summarize(rec.populations)
    assert summary["restarts"] == 8 and summary["bad"] == 4 and summary["rate"] == 0.5
    assert summary["ci"] == pytest.approx(list(basins.wilson(4, 8)))
    assert summary["comparable"]["restarts"] == 4 and summary["comparable"]["bad"] == 2
    assert basins.summarize([]) is None


def test_pooling_uses_comparable_populations_and_renders_percent():
    a = {"comparable": {"rate": 0.1, "restarts": 10, "bad": 1, "distinct": 1}}
    b = {"comparable": {"rate": 0.2, "restarts": 30, "bad": 6, "distinct": 2}}
    pooled = basins.pooled([a, b, None, {"comparable": None}])
    assert pooled["restarts"] == 40 and pooled["bad"] == 7 and pooled["distinct"] == 3 and pooled["matches"] == 2
    assert pooled["ci"] == pytest.approx(list(basins.wilson(7, 40)))
    assert basins.rate_text(pooled) == "18% [9, 32]"
    assert basins.rate_text(None) == "-"


def _write_result(out, attacker, defender, bad, restarts):
    d = out / "matches" / f"{attacker}__{defender}__s__s0"
    d.mkdir(parents=True)
    entry = {"rate": bad / restarts, "ci": list(basins.wilson(bad, restarts)), "restarts": restarts, "bad": bad,
             "distinct": bad, "comparable": {"rate": bad / restarts, "restarts": restarts, "bad": bad, "distinct": bad}}
    (d / "result.json").write_text(json.dumps({"attacker": attacker, "defender": defender, "setting": "s", "seed": 0,
                                               "outcome": "held", "bad_basin": entry}))


def test_leaderboard_column_cell_and_sort(tmp_path):
    _write_result(tmp_path, "random_restarts", "d1", 1, 20)
    _write_result(tmp_path, "random_restarts", "d2", 8, 20)
    _write_result(tmp_path, "data_search", "d2", 2, 20)
    board = leaderboard.write(tmp_path, sort="bad-basin")
    assert [r["defender"] for r in board["ranking"]] == ["d1", "d2"]
    cell = next(c for c in board["cells"] if c["defender"] == "d2" and c["attacker"] == "random_restarts")
    assert cell["bad_basin"]["rate"] == 0.4 and cell["bad_basin"]["ci"] == pytest.approx(list(basins.wilson(8, 20)))
    d2 = board["ranking"][1]["bad_basin"]
    assert d2["bad"] == 10 and d2["restarts"] == 40
    rows = leaderboard.grid(board)
    assert rows[0][-1] == "bad-basin rate" and rows[2][-1] == "25% [14, 40]"
    assert "bad-basin rate" in (tmp_path / "leaderboard.md").read_text()
    with pytest.raises(ValueError, match="unknown sort"):
        leaderboard.build(tmp_path, sort="nope")


def test_cli_sorts_by_bad_basin(tmp_path, capsys):
    from arena.cli import main

    _write_result(tmp_path, "random_restarts", "high", 9, 10)
    _write_result(tmp_path, "random_restarts", "low", 0, 10)
    assert main(["leaderboard", str(tmp_path), "--sort", "bad-basin"]) == 0
    lines = [ln.lstrip("| ") for ln in capsys.readouterr().out.splitlines() if ln.lstrip("| ").startswith(("high ", "low "))]
    assert [ln.split()[0] for ln in lines] == ["low", "high"]
    assert "0% [0, 28]" in lines[0] and "90% [60, 98]" in lines[1]


def test_a_broken_population_is_reported_not_raised():
    s, claim, params = _population()
    bad = basins.Population(s, claim.X, claim.y, {"layers.0.weight": params["layers.0.weight"]}, "broken")
    out = basins.summarize([bad])
    assert out["restarts"] == 0 and out["rate"] is None and "broken" == out["failed"][0]["label"]
    both = basins.summarize([bad, basins.Population(s, claim.X, claim.y, params, "ok")])
    assert both["restarts"] == 4 and both["bad"] == 2 and len(both["failed"]) == 1
