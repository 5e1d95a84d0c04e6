"""Path claims: a bad path needs an estimated limit above the best loss by more than its error bar."""
from __future__ import annotations

import pytest
import torch

from arena.claims import Claim, zoo
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.referee.judge import judge_safely
from arena.referee.paths import path_points
from arena.referee.tailfit import fit_tail
from arena.attackers.path_to_infinity import PathToInfinity
from arena.defenders.multiplicative_exp import MultiplicativeExp

F64 = torch.float64
# separable: w0 = (1, 0) gives margins 1, 2, 1, 2
X = torch.tensor([[1.0, 0.5], [2.0, -1.0], [-1.0, -0.3], [-2.0, 0.4]], dtype=F64)
Y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
LINEAR = {"network": {"input_dim": 2, "hidden": [], "neuron": "linear"}, "loss": "logistic"}
ZERO_BIAS = {"layers.0.bias": torch.zeros(1, dtype=F64)}
FAR = {"layers.0.weight": torch.tensor([[40.0, 0.0]], dtype=F64), **ZERO_BIAS}  # loss e^-40: a witness


def _closed(expr: str, ts: list[float], witness=FAR) -> Claim:
    path = {"t": ts, "theta": {"layers.0.weight": [[expr, "0"]]}}
    return Claim(LINEAR, X, Y, dict(ZERO_BIAS), witness=witness, kind="path", extra={"path": path})


def _sampled(ts: torch.Tensor, witness=FAR) -> Claim:
    w = torch.stack([ts, torch.zeros_like(ts)], -1).reshape(len(ts), 1, 2)
    return Claim(LINEAR, X, Y, dict(ZERO_BIAS), witness=witness, kind="path",
                 extra_tensors={"path.layers.0.weight": w, "path_t": ts})


@pytest.mark.parametrize("claim", [
    _sampled(torch.linspace(1.0, 3.0, 9, dtype=F64)),  # the finding: a short range looked "settled"
    _closed("t", [1.0, 2.0, 3.0]),
    _closed("1 + log(1 + t)", [1.0, 2.0, 3.0]),
    _closed("1 + log(1 + t)", [1.0, 2.0, 3.0], witness=None),
], ids=["sampled_1_3", "closed_t", "closed_log", "closed_log_no_witness"])
def test_descent_to_the_global_infimum_is_not_a_bad_path(claim):
    """Logistic loss on separable data tends to 0 = inf L along w = s(t)·w0: never a bad path."""
    v = judge_safely(claim, {"restarts": 4, "restart_steps": 300}, device="cpu")
    assert v.verdict in ("not_bad", "inconclusive"), v.reasons
    if claim.extra.get("path") and v.evidence.get("limit") is not None:  # closed forms run decades further
        assert v.evidence["limit"] - v.evidence["limit_error"] <= 1e-6


def test_short_range_is_inconclusive_and_says_why():
    v = judge_safely(_sampled(torch.linspace(1.0, 3.0, 9, dtype=F64)), {"restarts": 0}, device="cpu")
    assert v.verdict == "inconclusive" and "decades" in v.reasons[-1]
    assert v.evidence["t_decades"] == pytest.approx(0.477, abs=1e-3)
    # a tiny first t buys decades but not a settled tail: the loss is still falling at t = 3
    ts = torch.cat([torch.tensor([1e-6], dtype=F64), torch.linspace(1.0, 3.0, 9, dtype=F64)])
    v = judge_safely(_sampled(ts), {"restarts": 0}, device="cpu")
    assert v.verdict == "inconclusive" and v.evidence["t_decades"] > 6, v.reasons


def test_a12_paths_are_bad_with_the_closed_form_limit_inside_the_error_bar():
    closed = zoo.a12_path()
    v = judge_safely(closed, {"restarts": 0}, device="cpu")
    assert v.verdict == "bad_path_to_infinity", v.reasons
    assert abs(v.evidence["limit"] - 2 / 3) <= v.evidence["limit_error"] < 1e-9
    assert v.evidence["settled"] and v.evidence["t_decades"] > 3  # e^(t x) overflows past t ≈ 709
    longer = zoo.a12_path(t_end=64.0)  # samples must span 2 decades of t themselves: 0.25 .. 64
    s = Setting.from_config(longer.setting)
    t, pts, _ = path_points(longer, s)
    sampled = zoo.a12_path()
    sampled.extra = {}
    sampled.extra_tensors = {f"path.{k}": p for k, p in pts.items() if k.startswith("exp.")}
    sampled.extra_tensors["path_t"] = t
    v = judge_safely(sampled, {"restarts": 0}, device="cpu")
    assert v.verdict == "bad_path_to_infinity", v.reasons
    assert abs(v.evidence["limit"] - 2 / 3) <= v.evidence["limit_error"] < 1e-3  # t only up to 64


def test_d3_path_limit_is_eight_ninths():
    base = Setting.from_config({"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"})
    claim = PathToInfinity().attack(MultiplicativeExp().defend(base), None, Budget(), seed=0)[0]
    v = judge_safely(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "bad_path_to_infinity", v.reasons
    assert abs(v.evidence["limit"] - 8 / 9) <= v.evidence["limit_error"] < 1e-9


def test_norm_that_levels_off_is_not_a_path_to_infinity():
    v = judge_safely(_closed("3 - 2 / (1 + t)", [0.0, 1.0, 10.0, 100.0]), {"restarts": 0}, device="cpu")
    assert v.verdict == "not_a_descending_path" and "levels off" in v.reasons[0]


def test_tail_still_descending_is_not_settled():
    """A12 with a = 1/(1+t): the loss creeps down like 1/t, still moving at the end of the range."""
    claim = zoo.a12_path()
    claim.extra["path"]["theta"]["exp.a"] = "1 / (1 + t)"
    claim.extra["path"]["theta"]["exp.w"] = ["log(1 + t)"]
    v = judge_safely(claim, {"restarts": 0, "path_extend_decades": 1.0}, device="cpu")
    assert v.verdict in ("inconclusive", "not_a_descending_path"), v.reasons
    if v.verdict == "inconclusive":
        assert v.evidence["settled"] is False and "still descends" in v.reasons[-1]


def test_tail_fit_names_its_model_and_covers_the_limit():
    t = torch.logspace(1, 2, 40, dtype=F64).numpy()
    power = fit_tail(t, 0.3 + 0.5 * t**-0.7)
    assert power.model == "power" and abs(power.limit - 0.3) <= power.error
    expo = fit_tail(t, 0.3 + 2.0 * torch.exp(torch.as_tensor(-t / 20)).numpy())
    assert expo.model == "exponential" and abs(expo.limit - 0.3) <= expo.error < 1e-6


@pytest.mark.parametrize("change, needle", [
    (lambda c: c.extra["path"].update(t=[float(i) for i in range(20_001)]), "max_path_points"),
    (lambda c: c.extra["path"].update(t=[0.0, 2.0, 1.0]), "strictly increasing"),
    (lambda c: c.extra["path"]["theta"].update({"exp.a": "log(0 - t)"}), "non-finite"),
    (lambda c: setattr(c, "X", torch.zeros(3, 2, dtype=F64)), "input_dim"),
    (lambda c: setattr(c, "y", torch.tensor([1.0, 0.0, 1.0], dtype=F64)), "labels"),
    (lambda c: c.theta.update({"exp.b": torch.tensor(float("nan"), dtype=F64)}), "non-finite"),
    (lambda c: c.extra["path"]["theta"].update({"exp.a": "1" + "0" * 400}), "float"),
], ids=["too_many_t", "t_order", "nan_path", "input_dim", "labels", "nan_theta", "huge_constant"])
def test_path_claims_are_validated_like_local_minima(change, needle):
    claim = zoo.a12_path()
    change(claim)
    v = judge_safely(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "invalid" and needle in " ".join(v.reasons), v.reasons


def test_densified_cost_is_bounded():
    v = judge_safely(zoo.a12_path(), {"restarts": 0, "max_path_evaluations": 100}, device="cpu")
    assert v.verdict == "invalid" and "max_path_evaluations" in v.reasons[0]
