"""The adversarial corpus: every claim gets the verdict its expected.json names."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from arena.claims import load_claim
from arena.referee.judge import judge

CORPUS = Path(__file__).resolve().parent.parent / "examples" / "adversarial"
NAMES = sorted(p.parent.name for p in CORPUS.glob("*/expected.json"))


def test_corpus_is_complete():
    assert len(NAMES) >= 7
    assert all((CORPUS / n / "claim.json").is_file() and (CORPUS / n / "claim.safetensors").is_file() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_adversarial_claim(name):
    expected = json.loads((CORPUS / name / "expected.json").read_text())
    assert expected["reason"]
    verdict = judge(load_claim(CORPUS / name), expected["referee"], device="cpu")
    assert verdict.verdict == expected["verdict"], (verdict.reasons, verdict.tolerances["seed"])
