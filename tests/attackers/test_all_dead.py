"""all_dead attacker (docs/catalogue.md A1b): closed-form constants and losses, referee verdicts, refusals.

Numbers are "a construction of the type in Liang et al. 2018a" (docs/catalogue.md A1b), not the paper's own.
"""
import math
from pathlib import Path

import pytest
import torch
import yaml

from arena.contract import Budget
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.all_dead import AllDead
from arena.landscape.constant_fit import closed_form
from arena.contract.datasets import NOTES_X, NOTES_Y

CONF = Path(__file__).resolve().parents[2] / "conf" / "attacker" / "all_dead.yaml"


def _setting(loss="quadratic_hinge", **net):
    return Setting.from_config({"network": {"input_dim": 2, "hidden": [4], **net}, "loss": loss})


def _counts(claim):
    return int((claim.y > 0).sum()), int((claim.y < 0).sum())


def test_notes_data_quadratic_hinge_is_three_quarters_and_the_referee_agrees():
    s = _setting(input_dim=1, hidden=[1])
    (claim,) = AllDead(dataset="notes").attack(s, None, Budget(), seed=0)
    assert claim.X.flatten().tolist() == NOTES_X.flatten().tolist() and claim.y.tolist() == NOTES_Y.tolist()
    info = claim.extra["construction"]
    # n₊ = 3, n₋ = 1: c* = (3 − 1)/4 = 1/2, L = 4·3·1/16 = 3/4
    assert info["c_star"] == pytest.approx(0.5, abs=1e-15)
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(0.75, abs=1e-15)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == 0.25
    assert float(s.preactivations(claim.theta, claim.X)["layers.0"].max()) <= -0.5
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    assert verdict.evidence["witness_loss"] == 0.0
    assert verdict.evidence["gap"] == pytest.approx(0.75, abs=1e-12)
    assert verdict.evidence["train_error"] == 0.25 and verdict.evidence["strict"] is False


def test_notes_data_is_padded_to_the_input_dimension():
    s = _setting(input_dim=3)
    (claim,) = AllDead(dataset="notes").attack(s, None, Budget(), seed=0)
    assert claim.X.shape == (4, 3) and claim.X[:, 1:].abs().max() == 0
    assert claim.extra["construction"]["loss"] == pytest.approx(0.75, abs=1e-15)


def _cubic(P, N):
    c = (math.sqrt(P) - math.sqrt(N)) / (math.sqrt(P) + math.sqrt(N))
    return c, (P * (1 - c) ** 3 + N * (1 + c) ** 3) / (P + N)


@pytest.mark.parametrize("loss,formula", [
    ("quadratic_hinge", lambda P, N: ((P - N) / (P + N), 4 * P * N / (P + N) ** 2)),
    ("squared", lambda P, N: ((P - N) / (P + N), 4 * P * N / (P + N) ** 2)),
    ({"name": "poly_hinge", "p": 3}, lambda P, N: _cubic(P, N)),
    ("logistic", lambda P, N: (math.log(P / N), -(P * math.log(P / (P + N)) + N * math.log(N / (P + N))) / (P + N))),
    ("exponential", lambda P, N: (0.5 * math.log(P / N), 2 * math.sqrt(P * N) / (P + N))),
])
def test_random_data_reach_the_closed_form_loss(loss, formula):
    s = _setting(loss)
    for claim in AllDead().attack(s, None, Budget(datasets=2, max_claims=2), seed=5):
        P, N = _counts(claim)
        c_star, value = formula(P, N)
        f = s.output(claim.theta, claim.X)
        assert torch.allclose(f, torch.full_like(f, c_star), atol=1e-12, rtol=0)  # one constant, the best one
        assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(value, rel=1e-12)
        assert closed_form(s.loss_fn, P, N) == pytest.approx((c_star, value), rel=1e-12)
        assert claim.extra["construction"]["linearly_separable"] is True
        assert float(s.train_error(claim.witness, claim.X, claim.y)) == 0.0
        assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) < value


def test_closed_forms_of_the_notes():
    assert closed_form(_setting().loss_fn, 2, 1) == pytest.approx((1 / 3, 8 / 9))
    c, v = closed_form(_setting({"name": "poly_hinge", "p": 3}).loss_fn, 2, 1)
    assert c == pytest.approx(3 - 2 * math.sqrt(2)) and v == pytest.approx(0.915055335, abs=1e-9)
    c, v = closed_form(_setting("logistic").loss_fn, 2, 1)
    assert c == pytest.approx(math.log(2)) and v == pytest.approx(math.log(3) - 2 / 3 * math.log(2))


@pytest.mark.parametrize("net,loss", [
    ({"hidden": [4, 4]}, "quadratic_hinge"),
    ({"hidden": [3, 2], "input_dim": 3}, "squared"),
    ({"hidden": [3], "neuron": "smooth_relu"}, {"name": "poly_hinge", "p": 3}),
    ({"hidden": [3], "neuron": {"name": "relu_power", "power": 2}}, "logistic"),
])
def test_referee_confirms_deep_and_other_dead_neurons(net, loss):
    s = _setting(loss, **net)
    (claim,) = AllDead().attack(s, None, Budget(), seed=2)
    assert claim.setting == s.to_config()
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    info = claim.extra["construction"]
    assert verdict.evidence["loss"] == pytest.approx(info["closed_form_loss"], rel=1e-9)
    assert verdict.evidence["gap"] == pytest.approx(info["loss"] - info["witness_loss"], rel=1e-9)


@pytest.mark.parametrize("change,reason", [
    ({"neuron": "softplus"}, "neuron softplus has no dead region"),
    ({"neuron": {"name": "leaky_relu", "slope": 0.1}}, "neuron leaky_relu has no dead region"),
    ({"hidden": []}, "no hidden layer"),
    ({"skip": True}, "linear skip"),
    ({"exp_neuron": True, "special_neuron": "relu"}, "relu skip neuron"),
    ({"bias": False}, "no biases"),
    ({"multiplicative_exp": True}, "multiplicative pair"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
    ({"loss": "hinge"}, "loss hinge is not C¹"),
])
def test_applies_to_says_why_not(change, reason):
    s = _setting().replace(**change)
    ok, why = AllDead().applies_to(s, None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        AllDead().attack(s, None, Budget(), seed=0)


def test_custom_network_is_refused():
    custom = Setting.from_config({"network": {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}})
    ok, why = AllDead().applies_to(custom, None)
    assert not ok and "custom network" in why


def test_seeded_and_config_file_rebuilds_the_attacker():
    from hydra.utils import instantiate

    s = _setting()
    a, b = (AllDead().attack(s, None, Budget(), seed=9)[0] for _ in range(2))
    assert torch.equal(a.X, b.X) and all(torch.equal(a.theta[k], b.theta[k]) for k in a.theta)
    assert a.attacker == "all_dead" and a.seed == 9 and "A1b" in a.notes
    lines = CONF.read_text().splitlines()
    assert lines[0].startswith("# python -m arena attacker=all_dead ") and lines[1].startswith("# ")
    node = yaml.safe_load(CONF.read_text())
    assert node.pop("name") == "all_dead"
    assert node == AllDead.default_config()
    assert instantiate(node) == AllDead()
    with pytest.raises(ValueError, match="dataset"):
        AllDead(dataset="moons")
