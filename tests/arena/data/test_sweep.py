"""experiment=real_data: the bad-basin sweep's files, its rows and the data sets' assumption table."""
from __future__ import annotations

import csv
import json

import pytest
from omegaconf import OmegaConf

from arena.data.sweep import COLUMNS, data_assumptions, data_node, run_basins
from arena.search.basins import wilson


def test_iris_assumptions_on_the_data():
    table = data_assumptions(data_node("iris"))
    checks = table["checks"]
    assert (table["n"], table["d"]) == (150, 4)
    assert checks["data_linearly_separable"] == {"holds": True, "proved": True}  # setosa against the rest
    assert checks["inputs_distinct"]["holds"] is False  # iris repeats a flower (rows 102 and 143)


def test_a_small_sweep_writes_its_files(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "basins": {
        "data": ["iris"], "neurons": ["relu", "tanh"], "widths": [1, 2], "depths": [1], "restarts": 12,
        "steps": 60, "lr": 0.05, "optimizer": "adam", "loss": "quadratic_hinge", "polish_iters": 100, "seed": 0,
        "workers": 1, "referee": {"restarts": 8, "restart_steps": 200, "probe_random": 32}}})
    run_basins(cfg)
    rows = list(csv.DictReader((tmp_path / "basins.csv").open()))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["neuron"], r["width"]) for r in rows] == [("relu", "1"), ("relu", "2"), ("tanh", "1"), ("tanh", "2")]
    assert {r["params"] for r in rows} == {"7", "13"}  # 4·w + w + w + 1
    for r in rows:
        low, high = wilson(int(r["bad"]), 12)
        assert float(r["rate"]) == pytest.approx(int(r["bad"]) / 12)
        assert (float(r["ci_low"]), float(r["ci_high"])) == pytest.approx((low, high))
        assert (r["worst_bad_loss"] == "") == (r["bad"] == "0")
    saved = json.loads((tmp_path / "basins.json").read_text())
    assert len(saved["cells"]) == 4 and saved["data"][0]["data"] == "iris"
    assert "| iris | 150 × 4 |" in (tmp_path / "assumptions.md").read_text()
    assert (tmp_path / "basins.md").read_text().startswith("# Bad basins on real data")


def test_unknown_data_set_is_one_line(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "basins": {"data": ["irsi"], "neurons": ["relu"], "widths": [1],
                                                                 "depths": [1], "restarts": 4, "steps": 5, "lr": 0.1}})
    with pytest.raises(ValueError, match="^basins.data: no data set named 'irsi'$"):
        run_basins(cfg)


def test_the_judged_point_is_saved_as_a_claim_that_verifies_alike(tmp_path):
    """The worst bad point of a cell is written as a claim; judged again from the file, same verdict."""
    from arena.claims.format import load_claim
    from arena.referee.judge import judge_safely

    cfg = OmegaConf.create({"out_dir": str(tmp_path), "device": "cpu", "basins": {
        "data": ["breast_cancer"], "neurons": ["relu"], "widths": [1], "depths": [1], "restarts": 16,
        "steps": 50, "lr": 0.02, "polish_iters": 300, "seed": 0, "workers": 1}})
    (cell,) = run_basins(cfg)
    row = cell["row"]
    assert row["bad"] > 0 and row["verdict"] is not None  # width 1 on breast_cancer: half the restarts stick
    claim_file = tmp_path / "claims" / "breast_cancer__relu__d1__w1.json"
    claim = load_claim(claim_file)
    assert claim.attacker == "real_data sweep" and tuple(claim.X.shape) == (569, 30)
    assert judge_safely(claim, device="cpu").verdict == row["verdict"]
    assert json.loads((tmp_path / "basins.json").read_text())["device"] == "cpu"


def test_a_cuda_sweep_without_cuda_is_refused(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "device": "cuda", "basins": {
        "data": ["iris"], "neurons": ["relu"], "widths": [1], "depths": [1], "restarts": 4, "steps": 5, "lr": 0.1}})
    with pytest.raises(ValueError, match="CUDA is not available"):
        run_basins(cfg)


@pytest.mark.parametrize("extra, message", [
    ({"optimizer": "sgd", "momentum": -0.5}, r"^basins: momentum must be >= 0, got -0.5$"),
    ({"momentum": 0.9}, r"^basins: momentum applies to optimizer sgd only"),
    ({"batch_size": -3}, r"^basins: batch_size must be an integer >= 0 or null, got -3$"),
    ({"optimizer": "adagrad"}, r"^basins: optimizer must be one of adam, sgd, got 'adagrad'$"),
])
def test_bad_training_knobs_are_one_line(tmp_path, extra, message):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "basins": {"data": ["iris"], "neurons": ["relu"], "widths": [1],
                                                                 "depths": [1], "restarts": 4, "steps": 5, "lr": 0.1,
                                                                 **extra}})
    with pytest.raises(ValueError, match=message):
        run_basins(cfg)


def test_a_minibatch_sgd_sweep_says_how_it_trained(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "device": "cpu", "basins": {
        "data": ["iris"], "neurons": ["relu"], "widths": [2], "depths": [1], "restarts": 6, "steps": 40, "lr": 0.05,
        "optimizer": "sgd", "momentum": 0.9, "batch_size": 16, "polish_iters": 50, "seed": 0, "workers": 1,
        "referee": {"restarts": 4, "restart_steps": 100, "probe_random": 16}}})
    (cell,) = run_basins(cfg)
    assert cell["row"]["restarts"] == 6 and 0.0 <= cell["row"]["rate"] <= 1.0
    assert "6 restarts per cell, sgd (momentum 0.9) on batches of 16 (lr 0.05, 40 steps)" in \
        (tmp_path / "basins.md").read_text()
