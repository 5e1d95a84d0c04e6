"""linear_region attacker (docs/catalogue.md A6a, Yun, Sra, Jadbabaie 2019): β = (−1/9, −1/9), β₀ = −2/9,
L = 8/9, training error 1/3, zero-loss witness; plus the convex fit helper."""
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from scipy.optimize import minimize

from arena.contract import Budget
from arena.landscape.losses import make_loss
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.linear_region import LinearRegion
from arena.search.output_fit import convex_fit

CONF = Path(__file__).resolve().parents[2] / "conf" / "attacker" / "linear_region.yaml"
LEAKY = {"name": "leaky_relu", "slope": 0.1}


def _setting(neuron=LEAKY, loss="squared", **net):
    return Setting.from_config({"network": {"input_dim": 2, "hidden": [2], "neuron": neuron, **net}, "loss": loss})


@pytest.mark.parametrize("neuron", [LEAKY, "relu"])
def test_notes_instance(neuron):
    s = _setting(neuron)
    (claim,) = LinearRegion().attack(s, None, Budget(), seed=0)
    assert claim.X.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]] and claim.y.tolist() == [-1.0, -1.0, 1.0]
    info = claim.extra["construction"]
    assert info["beta"] == pytest.approx([-1 / 9, -1 / 9], abs=1e-14)
    assert info["beta0"] == pytest.approx(-2 / 9, abs=1e-14)
    assert info["fitted_values"] == pytest.approx([-1 / 3] * 3, abs=1e-14)
    # W₁ = I, b₁ = 5·1, w₂ = β, b₂ = β₀ − w₂·b₁ = 8/9
    assert torch.equal(claim.theta["layers.0.weight"], torch.eye(2, dtype=torch.float64))
    assert claim.theta["layers.0.bias"].tolist() == [5.0, 5.0]
    assert claim.theta["layers.1.weight"].flatten().tolist() == pytest.approx([-1 / 9, -1 / 9], abs=1e-14)
    assert float(claim.theta["layers.1.bias"]) == pytest.approx(8 / 9, abs=1e-14)
    assert float(s.preactivations(claim.theta, claim.X)["layers.0"].min()) == 5.0
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(8 / 9, abs=1e-14)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == pytest.approx(1 / 3)
    assert claim.extra["construction"]["linearly_separable"] is False
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) < 1e-20
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    assert verdict.evidence["gap"] == pytest.approx(8 / 9, abs=1e-12)
    assert verdict.evidence["min_abs_preactivation"] == pytest.approx(5.0)


@pytest.mark.parametrize("net,loss,value,witness_below", [
    ({"neuron": "relu", "hidden": [4]}, "quadratic_hinge", 8 / 9, 1e-20),  # the default setting relu_1hidden
    ({"neuron": "relu", "hidden": [1], "input_dim": 1}, "squared", 8 / 9, 0.67),  # width 1: a step, 2/3
    ({"neuron": "elu", "hidden": [3, 1], "input_dim": 3}, "logistic", np.log(3) - 2 / 3 * np.log(2), 1e-8),
    ({"neuron": {"name": "smooth_relu", "h": 1.0}, "hidden": [2, 3]}, {"name": "poly_hinge", "p": 3},
     0.915055335, 1e-20),
])
def test_other_settings(net, loss, value, witness_below):
    s = _setting(loss=loss, **net)
    (claim,) = LinearRegion().attack(s, None, Budget(), seed=1)
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(value, abs=1e-9)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == pytest.approx(1 / 3)
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) < witness_below
    threshold = claim.extra["construction"]["affine_piece_threshold"]  # 1 for smooth_relu(h=1), else 0
    pre = min(float(z.min()) for z in s.preactivations(claim.theta, claim.X).values())
    assert pre == pytest.approx(threshold + 5.0, abs=1e-12)
    assert judge(claim, {"restarts": 0}, device="cpu").verdict == "bad_local_min"


def test_convex_fit_matches_least_squares_and_scipy():
    rng = np.random.default_rng(0)
    F = torch.as_tensor(np.c_[rng.normal(size=(12, 3)), np.ones(12)])
    y = torch.as_tensor(np.sign(rng.normal(size=12)))
    theta, value, grad = convex_fit(make_loss("squared"), F, y)
    ref = np.linalg.lstsq(F.numpy(), y.numpy(), rcond=None)[0]
    assert theta.numpy() == pytest.approx(ref, abs=1e-12) and grad < 1e-12
    loss = make_loss({"name": "poly_hinge", "p": 3})
    theta, value, grad = convex_fit(loss, F, y)
    res = minimize(lambda t: float(loss(y * (F @ torch.as_tensor(t))).mean()), np.zeros(4), method="BFGS",
                   options={"gtol": 1e-12})
    assert grad < 1e-12 and value <= res.fun + 1e-10


@pytest.mark.parametrize("change,reason", [
    ({"neuron": "softplus"}, "neuron softplus has no affine piece"),
    ({"neuron": {"name": "leaky_relu", "slope": 1.0}}, "slope 1 is linear"),
    ({"hidden": []}, "no hidden layer"),
    ({"bias": False}, "no biases"),
    ({"exp_neuron": True, "special_neuron": "relu"}, "relu skip neuron"),
    ({"multiplicative_exp": True}, "multiplicative pair"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
    ({"loss": "hinge"}, "loss hinge is not convex and C¹"),
])
def test_applies_to_says_why_not(change, reason):
    s = _setting().replace(**change)
    ok, why = LinearRegion().applies_to(s, None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        LinearRegion().attack(s, None, Budget(), seed=0)


def test_config_file_rebuilds_the_attacker():
    from hydra.utils import instantiate

    lines = CONF.read_text().splitlines()
    assert lines[0].startswith("# python -m arena attacker=linear_region ") and lines[1].startswith("# ")
    node = yaml.safe_load(CONF.read_text())
    assert node.pop("name") == "linear_region"
    assert node == LinearRegion.default_config() and instantiate(node) == LinearRegion()
    with pytest.raises(ValueError, match="offset"):
        LinearRegion(offset=-1.0)
