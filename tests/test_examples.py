"""The shipped example claims are readable and get the verdicts their builders promise."""
from __future__ import annotations

from pathlib import Path

import pytest

from arena.claims import load_claim
from arena.referee.judge import judge

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED = {
    "a1_dead_relu": "bad_local_min", "all_dead_relu": "bad_local_min", "float32_dead_relu": "bad_local_min",
    "tanh_saddle": "not_local_min", "relu_on_kink": "not_local_min", "a1_global_min": "not_bad",
    "random_point": "not_local_min",
}


def test_every_example_is_listed():
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/claim.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_verdict(name):
    claim = load_claim(EXAMPLES / name / "claim.json")
    verdict = judge(claim, {"restarts": 16, "restart_steps": 600}, device="cpu")
    assert verdict.verdict == EXPECTED[name], verdict.reasons
