"""A12 and D3's decreasing paths to infinity: the catalogue's closed forms and the referee's path verdicts."""
from __future__ import annotations

import math

import pytest
import torch

from arena.claims import zoo
from arena.contract import Budget
from arena.claims import load_claim, save_claim
from arena.referee.paths import eval_expr, path_points
from arena.referee.judge import judge_safely
from arena.landscape.setting import Setting
from arena.attackers.path_to_infinity import PathToInfinity
from arena.defenders.exp_neuron import ExpNeuron
from arena.defenders.multiplicative_exp import MultiplicativeExp

BASE = Setting.from_config({"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"})


def test_a12_path_follows_the_closed_form_and_is_a_bad_path(tmp_path):
    setting = ExpNeuron().defend(BASE)
    claim = PathToInfinity().attack(setting, None, Budget(), seed=0)[0]
    claim = load_claim(save_claim(claim, tmp_path))  # the closed form travels in claim.json
    s = Setting.from_config(claim.setting)
    t, pts, closed = path_points(claim, s)
    losses = s.empirical_loss(pts, claim.X, claim.y)
    e = torch.exp(-t)
    expected = ((1 - e**2) ** 2 + (1 + e) ** 2) / 3 + 0.05 * e**2  # docs/catalogue.md A12, λ = 0.1
    assert closed and torch.allclose(losses, expected, atol=1e-14)
    v = judge_safely(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "bad_path_to_infinity", v.reasons
    assert v.evidence["loss"] == pytest.approx(2 / 3, abs=1e-12)  # the limit, reached at t = 512
    assert v.evidence["best_loss"] == 0.0 and v.evidence["gap"] == pytest.approx(2 / 3, abs=1e-12)
    assert v.evidence["norm_ratio"] > 10


def test_d3_multiplicative_path_settles_at_the_dead_loss():
    setting = MultiplicativeExp().defend(BASE)
    claim = PathToInfinity().attack(setting, None, Budget(), seed=0)[0]
    s = Setting.from_config(claim.setting)
    t, pts, _ = path_points(claim, s)
    losses = s.empirical_loss(pts, claim.X, claim.y)
    assert torch.allclose(losses, 8 / 9 + 0.1 * torch.exp(-2 * t), atol=1e-14)  # L(θ_bad) + λe^{-2t}
    v = judge_safely(claim, {"restarts": 16, "restart_steps": 600}, device="cpu")
    assert v.verdict == "bad_path_to_infinity", v.reasons
    assert v.evidence["witness_loss"] == 0.0  # the V-shape fit with the pair switched off (a = 0)
    assert v.evidence["gap"] == pytest.approx(8 / 9, abs=1e-12)


def test_sampled_paths_and_bad_ones():
    claim = zoo.a12_path(t_end=64.0)  # a sampled path must itself span 2 decades of t (0.25 .. 64)
    s = Setting.from_config(claim.setting)
    t, pts, _ = path_points(claim, s)
    sampled = zoo.a12_path()
    sampled.extra = {}
    sampled.extra_tensors = {f"path.{k}": v for k, v in pts.items() if k.startswith("exp.")}
    sampled.extra_tensors["path_t"] = t
    assert judge_safely(sampled, {"restarts": 0}, device="cpu").verdict == "bad_path_to_infinity"
    rising = zoo.a12_path()
    rising.extra["path"]["theta"]["exp.a"] = "1 + t"  # a grows: the x = 0 sample (label -1) pays
    v = judge_safely(rising, {"restarts": 0}, device="cpu")
    assert v.verdict == "not_a_descending_path" and "rises" in v.reasons[0]
    bounded = zoo.a12_path()
    bounded.extra["path"]["theta"] = {"exp.a": "exp(-t)", "exp.w": ["0"], "exp.b": "0"}
    v = judge_safely(bounded, {"restarts": 0}, device="cpu")
    assert v.verdict == "not_a_descending_path" and "does not keep growing" in " ".join(v.reasons)


@pytest.mark.parametrize("expr, needle", [
    ("__import__('os')", "not allowed"), ("t.real", "not allowed"), ("exp(", "does not parse"),
])
def test_path_expressions_are_parsed_not_executed(expr, needle):
    with pytest.raises(ValueError, match=needle):
        eval_expr(expr, torch.zeros(3, dtype=torch.float64))
    claim = zoo.a12_path()
    claim.extra["path"]["theta"]["exp.a"] = expr
    v = judge_safely(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "invalid"


def test_eval_expr_values():
    t = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    assert torch.allclose(eval_expr("2*exp(-t) + t**2 - log(1+t)", t),
                          2 * torch.exp(-t) + t**2 - torch.log(1 + t))
    assert math.isclose(float(eval_expr("sqrt(4)", t)[0]), 2.0)


def test_refusals_name_the_problem():
    assert PathToInfinity().applies_to(BASE, None) == (False, "the network has no exponential skip neuron to escape along")
    logistic = ExpNeuron().defend(BASE.replace(loss="logistic"))
    ok, why = PathToInfinity().applies_to(logistic, None)
    assert not ok and "not of hinge type" in why
