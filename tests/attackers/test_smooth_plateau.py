"""smooth_plateau attacker (A10-type plateau): tanh, squared loss, x = {-2, -1, 1, 2}, y = {-1, 1, 1, -1},
t0 = -1, v = (1, 1): mean loss 1.0, a verified bad local minimum, and training from random starts reaches ~0."""
import math

import pytest
import torch

from arena.attackers.smooth_plateau import SmoothPlateau, choose_t0, plateau_point
from arena.engine.population import train_population
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.referee.judge import judge


def _setting(neuron="tanh", loss="squared", hidden=(2,), d=1, **net):
    return Setting.from_config({"network": {"input_dim": d, "hidden": list(hidden), "neuron": neuron, **net},
                                "loss": loss})


def test_pinned_tanh_squared_example_is_a_verified_bad_minimum():
    s = _setting()
    (claim,) = SmoothPlateau().attack(s, None, Budget(restarts=8, steps=600), seed=0)
    assert claim.X.flatten().tolist() == [-2.0, -1.0, 1.0, 2.0] and claim.y.tolist() == [-1.0, 1.0, 1.0, -1.0]
    assert claim.theta["layers.0.weight"].abs().max() == 0 and claim.theta["layers.0.bias"].tolist() == [-1.0, -1.0]
    assert claim.theta["layers.1.weight"].tolist() == [[1.0, 1.0]]
    assert float(claim.theta["layers.1.bias"]) == pytest.approx(-2 * math.tanh(-1.0), abs=1e-15)  # f = C* = 0
    info = claim.extra["construction"]
    # σ''(t) = -2 tanh(t) sech²(t); r_i = -2 y_i at the constant fit; M = Σ r_i x_i² = 12
    assert info["sigma_second_derivative"] == pytest.approx(2 * math.tanh(1) / math.cosh(1) ** 2, abs=1e-12)
    assert info["r"] == [2.0, -2.0, -2.0, 2.0] and info["sum_r_x"] == [0.0] and info["M_eigenvalues"] == [12.0]
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == 1.0
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) < 1e-8
    verdict = judge(claim, {"restarts": 0, "probe_random": 64}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    assert verdict.evidence["gap"] == pytest.approx(1.0, abs=1e-8) and verdict.evidence["strict"] is False


def test_gradient_descent_from_random_starts_reaches_zero():
    s = _setting()
    X = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
    init = s.init_params(8, generator=torch.Generator().manual_seed(0), scale=2.0)
    out = train_population(s, X, y, init, lr=0.05, steps=1500, device="cpu")
    assert float(out.loss.min()) < 1e-3  # far below the plateau's 1.0


@pytest.mark.parametrize("loss,slope", [("logistic", -0.5), ("quadratic_hinge", -2.0), ("hinge", -1.0),
                                        ("exponential", -1.0)])
def test_conditions_per_loss_M_is_minus_six_slope(loss, slope):
    # class-centred data: C* = 0, r_i = y_i ℓ'(0), M = ℓ'(0) Σ y_i x_i² = -6 ℓ'(0) > 0 for ℓ'(0) < 0
    s = _setting("softplus", loss, hidden=(3,))
    X = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
    theta, info = plateau_point(s, X, y, -1.0, 1.0)
    assert info["c_star"] == pytest.approx(0.0, abs=1e-12)
    assert info["M_eigenvalues"] == pytest.approx([-6 * slope])
    assert all(v * info["sigma_second_derivative"] > 0 for v in info["v"])  # the sign condition


def test_logistic_plateau_is_verified_at_log_two():
    s = _setting("sigmoid", "logistic", hidden=(3,), d=2)
    (claim,) = SmoothPlateau().attack(s, None, Budget(restarts=8, steps=600), seed=0)
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(math.log(2), abs=1e-15)
    assert claim.X.shape == (8, 2) and claim.extra["construction"]["data_linearly_separable"] is False
    verdict = judge(claim, {"restarts": 0, "probe_random": 64}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()


def test_negative_curvature_flips_the_output_weights():
    s = _setting("tanh", "squared", hidden=(2,))
    X = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
    theta, info = plateau_point(s, X, y, 1.0, 0.5)  # σ''(1) < 0 for tanh
    assert info["sigma_second_derivative"] < 0 and theta["layers.1.weight"].tolist() == [[-0.5, -0.5]]


@pytest.mark.parametrize("neuron,ok", [("relu", False), ("linear", False), ({"name": "leaky_relu", "slope": 0.1}, False),
                                       ("softplus", True), ("exponential", True), ("swish", True), ("elu", True),
                                       ("sigmoid", True), ({"name": "relu_power", "power": 2}, True)])
def test_which_neurons_admit_it(neuron, ok):
    s = _setting(neuron, "quadratic_hinge", hidden=(4,), d=2)
    applies, why = SmoothPlateau().applies_to(s)
    assert applies is ok, why
    if not ok:
        assert "σ''" in why and choose_t0(s, -1.0) is None


def test_does_not_apply_outside_the_mechanism():
    assert "one hidden layer" in SmoothPlateau().applies_to(_setting(hidden=(3, 3)))[1]
    assert "biases" in SmoothPlateau().applies_to(_setting(bias=False))[1]
    reg = Setting.from_config({"network": {"input_dim": 1, "hidden": [2], "neuron": "tanh"}, "loss": "squared",
                               "regularizer": {"name": "l2", "weight": 0.01}})
    assert "regularizer" in SmoothPlateau().applies_to(reg)[1]
    with pytest.raises(ValueError, match="output_weight"):
        SmoothPlateau(output_weight=0)
