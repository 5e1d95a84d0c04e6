"""Numerically saturated units: loss-carrying samples where σ' underflows make flat directions no evidence."""
from __future__ import annotations

import copy
from pathlib import Path

from arena.claims.format import load_claim
from arena.referee.judge import judge

CLAIM = Path(__file__).resolve().parents[3] / "examples" / "adversarial" / "saturated_softplus_real_data"
CHEAP = {"restarts": 0}


def test_a_softplus_point_saturated_on_loss_carrying_samples_is_not_a_minimum_by_default():
    # seed 1: the probes see no descent, so the saturation rule decides (a secret seed may instead let a
    # probe see the real descent of about 1e-11: not_local_min, next test)
    v = judge(load_claim(CLAIM), CHEAP | {"seed": 1}, device="cpu")
    assert v.verdict == "inconclusive", v.reasons
    units = {u["unit"]: u["samples"] for u in v.evidence["numerically_saturated"]}
    assert units == {"layers.0[0]": 356, "layers.0[1]": 358}
    assert v.evidence["flat_directions"] == 61 and "path to infinity" in v.reasons[0]


def test_a_probe_that_sees_the_tiny_descent_says_not_a_minimum():
    v = judge(load_claim(CLAIM), CHEAP | {"seed": 7689793355808050135}, device="cpu")
    assert v.verdict == "not_local_min" and "descent" in v.reasons[0], v.reasons


def test_an_exact_dead_region_is_not_numerical_saturation():
    claim = load_claim(CLAIM)
    relu = copy.deepcopy(claim.setting)
    relu["network"]["neuron"] = "relu"  # same weights: the units are dead exactly, not nearly
    claim = type(claim)(relu, claim.X, claim.y, claim.theta)
    v = judge(claim, CHEAP, device="cpu")
    assert "numerically_saturated" not in v.evidence, v.reasons
