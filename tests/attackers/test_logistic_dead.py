"""logistic_dead attacker (docs/catalogue.md A3): labels (−, +, +) under logistic loss, c* = log 2,
L = log 3 − (2/3) log 2 ≈ 0.6365 nats, inf L = 0; the referee confirms with the witness."""
import math
from pathlib import Path

import pytest
import yaml

from arena.contract import Budget
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.logistic_dead import LogisticDead

CONF = Path(__file__).resolve().parents[2] / "conf" / "attacker" / "logistic_dead.yaml"
A3_LOSS = math.log(3) - 2 / 3 * math.log(2)


def _setting(loss="logistic", **net):
    return Setting.from_config({"network": {"input_dim": 1, "hidden": [1], **net}, "loss": loss})


def test_a3_numbers_and_referee_verdict():
    s = _setting()
    (claim,) = LogisticDead().attack(s, None, Budget(), seed=0)
    assert claim.y.tolist() == [-1.0, 1.0, 1.0]
    assert A3_LOSS == pytest.approx(0.6365, abs=1e-4)
    f = s.output(claim.theta, claim.X)
    assert f.tolist() == pytest.approx([math.log(2)] * 3, abs=1e-15)
    loss = float(s.empirical_loss(claim.theta, claim.X, claim.y))
    assert loss == pytest.approx(A3_LOSS, abs=1e-15)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == pytest.approx(1 / 3)  # the negative gets f > 0
    witness_loss = float(s.empirical_loss(claim.witness, claim.X, claim.y))
    assert witness_loss < 1e-8  # inf L = 0, approached by scaling a separating witness
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    assert verdict.evidence["loss"] == pytest.approx(A3_LOSS, abs=1e-12)
    assert verdict.evidence["gap"] == pytest.approx(A3_LOSS - witness_loss, abs=1e-12)
    assert verdict.evidence["gap"] > 0.63


def test_exponential_loss_variant():
    s = _setting("exponential")
    (claim,) = LogisticDead().attack(s, None, Budget(), seed=1)
    info = claim.extra["construction"]
    assert info["c_star"] == pytest.approx(0.5 * math.log(2), abs=1e-15)
    assert info["loss"] == pytest.approx(2 * math.sqrt(2) / 3, abs=1e-15)
    assert judge(claim, {"restarts": 0}, device="cpu").verdict == "bad_local_min"


def test_other_dimensions_and_depths_keep_the_numbers():
    s = _setting(input_dim=3, hidden=[4, 3])
    (claim,) = LogisticDead().attack(s, None, Budget(), seed=2)
    assert claim.X.shape == (3, 3) and claim.X[:, 1:].abs().max() == 0
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(A3_LOSS, abs=1e-14)
    assert float(s.preactivations(claim.theta, claim.X)["layers.0"].max()) <= -0.5
    assert float(s.preactivations(claim.theta, claim.X)["layers.1"].min()) >= 1.0
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()


@pytest.mark.parametrize("change,reason", [
    ({"loss": "quadratic_hinge"}, "loss quadratic_hinge is not logistic or exponential"),
    ({"loss": "squared"}, "loss squared is not logistic or exponential"),
    ({"neuron": "softplus"}, "neuron softplus has no dead region"),
    ({"exp_neuron": True, "special_neuron": "relu"}, "relu skip neuron"),
    ({"skip": True}, "linear skip"),
    ({"multiplicative_exp": True}, "multiplicative pair"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
])
def test_applies_to_says_why_not(change, reason):
    s = _setting().replace(**change)
    ok, why = LogisticDead().applies_to(s, None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        LogisticDead().attack(s, None, Budget(), seed=0)


def test_config_file_rebuilds_the_attacker():
    from hydra.utils import instantiate

    lines = CONF.read_text().splitlines()
    assert lines[0].startswith("# python -m arena attacker=logistic_dead ") and lines[1].startswith("# ")
    node = yaml.safe_load(CONF.read_text())
    assert node.pop("name") == "logistic_dead"
    assert node == LogisticDead.default_config() and instantiate(node) == LogisticDead()
    with pytest.raises(ValueError, match="dead_margin"):
        LogisticDead(dead_margin=0)
