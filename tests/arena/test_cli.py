"""``arena verify``: verdicts with evidence, JSON output, exit codes."""
from __future__ import annotations

import json

from arena.claims import zoo
from arena.claims import save_claim
from arena.cli import main


def test_verify_json_prints_the_verdict_and_evidence(tmp_path, capsys):
    path = save_claim(zoo.a1_dead_relu(), tmp_path / "a1")
    assert main(["verify", str(path), "--json", "--device", "cpu", "--set", "restarts=0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "bad_local_min"
    for key in ("loss", "best_loss", "train_error", "grad_norm", "hessian_min_eig", "tolerances", "reasons"):
        assert key in out
    assert abs(out["loss"] - 2 / 3) < 1e-12 and out["tolerances"]["restarts"] == 0


def test_verify_human_output(tmp_path, capsys):
    path = save_claim(zoo.relu_on_kink(), tmp_path / "kink")
    assert main(["verify", str(path), "--device", "cpu", "--set", "restarts=0"]) == 0
    out = capsys.readouterr().out
    assert "verdict: not_local_min" in out and "descent found" in out


def test_invalid_claim_still_exits_zero(tmp_path, capsys):
    claim = zoo.a1_dead_relu()
    claim.y = (claim.y + 1) / 2
    path = save_claim(claim, tmp_path / "bad")
    assert main(["verify", str(path), "--json", "--set", "restarts=0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "invalid" and "labels" in out["reasons"][0]


def test_unreadable_file_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / "claim.json").write_text("{oops")
    assert main(["verify", str(tmp_path / "claim.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena verify:") and "not valid JSON" in err and "\n" not in err


def test_bad_override_exits_2(tmp_path, capsys):
    path = save_claim(zoo.a1_dead_relu(), tmp_path / "a1")
    assert main(["verify", str(path), "--set", "nonsense=1"]) == 2
    assert "unknown settings" in capsys.readouterr().err
