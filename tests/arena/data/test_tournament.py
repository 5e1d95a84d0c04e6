"""data=breast_cancer in a tournament: fixed-data attackers get verdicts, data-choosing ones are
incompatible with the reason, and the guarantees' assumptions are checked on the real data."""
from __future__ import annotations

import json


from arena.data import load_data
from tests.conftest import run_arena

DATA = ["data=breast_cancer", "data.subsample=40"]


def test_breast_cancer_tournament(tmp_path):
    out = tmp_path / "t"
    proc = run_arena(*DATA, "budget=smoke", "referee=fast", "logger=none", "isolation=none", "progress=false",
                     "tournament.attackers=[all_dead,dead_relu]", "tournament.defenders=[none,softplus]",
                     f"out_dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("matches/*/result.json")}
    assert sorted(results) == [f"{a}__{d}__relu_1hidden__breast_cancer__s0"
                               for a in ("all_dead", "dead_relu") for d in ("none", "softplus")]
    data = load_data({"name": "breast_cancer", "source": "breast_cancer", "positive": [1], "negative": [0],
                      "subsample": 40, "standardize": True})
    for r in results.values():
        assert r["data"]["fingerprint"] == data.fingerprint and (r["data"]["n"], r["data"]["d"]) == (40, 30)
    # a fixed-data construction on the real data: verified, and its claim carries the data
    played = results["all_dead__none__relu_1hidden__breast_cancer__s0"]
    assert played["outcome"] == "broken" and played["verdict"]["verdict"] == "bad_local_min"
    assert played["defended_setting"]["network"]["input_dim"] == 30
    claim = json.loads((out / "matches" / "all_dead__none__relu_1hidden__breast_cancer__s0" / "claim.json").read_text())
    assert claim["data"]["fingerprint"] == data.fingerprint
    n_pos = int((data.y > 0).sum())
    assert abs(played["verdict"]["loss"] - 4 * n_pos * (40 - n_pos) / 40**2) < 1e-9  # the all-dead constant fit
    # an attacker that chooses its data: incompatible, with the reason
    refused = results["dead_relu__none__relu_1hidden__breast_cancer__s0"]
    assert refused["outcome"] == "incompatible" and "chooses its own data" in refused["reason"]
    # the softplus guarantee's assumptions, checked on the data themselves
    checks = {c["name"]: c for c in results["dead_relu__softplus__relu_1hidden__breast_cancer__s0"]["data_assumptions"]}
    assert checks["data_linearly_separable"]["holds"] is True and checks["data_linearly_separable"]["proved"]
    board = json.loads((out / "leaderboard.json").read_text())
    assert {c["data_fingerprint"] for c in board["cells"]} == {data.fingerprint}
    rows = {r["defender"]: r for r in board["data_assumptions"]}
    assert rows["softplus"]["applies"] == "yes" and rows["softplus"]["fingerprint"] == data.fingerprint
    assert "## Guarantees on the fixed data" in (out / "leaderboard.md").read_text()


def test_bad_data_config_is_one_line_before_any_match(tmp_path):
    proc = run_arena("data=file", "logger=none", "isolation=none", f"out_dir={tmp_path}", "tournament.attackers=[all_dead]",
                     "tournament.defenders=[none]")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: data=file needs data.path=<a .csv, .npz or .safetensors file>"
    assert not (tmp_path / "matches").exists()


def test_misspelt_data_name_lists_the_data_sets(tmp_path):
    proc = run_arena("data=breast_cancr", "logger=none", f"out_dir={tmp_path}")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: data=breast_cancr: no data named 'breast_cancr'; did you mean 'breast_cancer'?")
    assert "digits_3v8" in line and "iris" in line  # and the data sets there are
