"""The adversarial corpus entries on code in claims, hostile files and paths get their expected answers."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from arena.claims import load_claim
from arena.cli import main
from arena.referee.judge import judge_safely

CORPUS = Path(__file__).resolve().parents[3] / "examples" / "adversarial"
ENTRIES = ["code_network_open", "code_network_partial_popen", "code_in_loss_spec", "path_logistic_short_range",
           "path_logistic_log_closed_form", "tensors_symlink_outside", "tensors_huge_declared_shape",
           "claim_json_deep_nesting"]


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_gets_its_expected_answer(name, tmp_path, monkeypatch, capsys):
    folder = CORPUS / name
    expected = json.loads((folder / "expected.json").read_text())
    assert expected.get("reason")
    monkeypatch.chdir(tmp_path)  # a claim that ran code would create pwned.txt here
    if "exit" in expected:
        assert main(["verify", str(folder), "--device", "cpu", "--set", "restarts=0"]) == expected["exit"]
        assert capsys.readouterr().err.count("\n") == 1
    if "verdict" in expected:
        try:
            claim = load_claim(folder)
        except Exception:  # noqa: BLE001 - a schema refusal is fine where exit 2 is expected
            assert expected.get("exit") == 2
        else:
            v = judge_safely(claim, {"restarts": 4, "restart_steps": 200}, device="cpu")
            assert v.verdict == expected["verdict"], v.reasons
    assert not os.listdir(tmp_path)
