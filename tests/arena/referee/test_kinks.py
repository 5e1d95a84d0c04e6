"""The kink test (Yun, Sra, Jadbabaie 2019): planted local minima and one-sided descents with samples on a kink."""
from __future__ import annotations

import copy
from fractions import Fraction

import torch

from arena.claims import Claim
from arena.landscape.setting import Setting
from arena.referee.proofs import check
from arena.referee.proofs.balls import precision
from arena.referee.proofs.kinks import certify, decide, directional_derivative, _Net
from arena.referee.proofs.model import Model

f64 = torch.float64
X = torch.tensor([[-1.0], [0.0], [1.0]], dtype=f64)  # the middle sample sits on unit 0's kink (w = 1, b = 0)


def _setting(neuron: str = "relu") -> Setting:
    return Setting.from_config({"network": {"input_dim": 1, "hidden": [2], "neuron": neuron}, "loss": "squared"})


def _theta(s: Setting, v0: float) -> dict[str, torch.Tensor]:
    """Unit 0: relu(x) with output weight v0; unit 1: relu(x − 2), dead on every sample (z <= −1); c = 0."""
    return {"layers.0.weight": torch.tensor([[1.0], [1.0]], dtype=f64), "layers.0.bias": torch.tensor([0.0, -2.0], dtype=f64),
            "layers.1.weight": torch.tensor([[v0, 1.0]], dtype=f64), "layers.1.bias": torch.tensor([0.0], dtype=f64)}


def _witness(s: Setting) -> dict[str, torch.Tensor]:
    """−1 + 2 relu(x + 1) − 4 relu(x) fits (−1, 1, −1) exactly: loss 0."""
    return {"layers.0.weight": torch.tensor([[1.0], [1.0]], dtype=f64), "layers.0.bias": torch.tensor([1.0, 0.0], dtype=f64),
            "layers.1.weight": torch.tensor([[2.0, -4.0]], dtype=f64), "layers.1.bias": torch.tensor([-1.0], dtype=f64)}


def _decide(s, theta, y):
    with precision():
        return decide(Model.of(s), s.flatten(theta).tolist(), X, y)


def test_a_local_minimum_with_a_sample_on_the_kink_is_proved():
    """y = (−1, 1, −1), v0 = −1: F = (0, 0, −1), L = 2/3. Raising the kink's bias activates sample 2 with
    output −Δb (away from its label), lowering it changes nothing: a convex kink, a local minimum."""
    s, y = _setting(), torch.tensor([-1.0, 1.0, -1.0], dtype=f64)
    theta = _theta(s, -1.0)
    res = _decide(s, theta, y)
    assert res.status == "local_minimum", res.reason
    assert res.boundary == {0: [1]} and res.loss == Fraction(2, 3)
    assert 0.70710678 < res.radius <= 2 ** -0.5  # samples 1 and 3 sit at distance 1/√2 from their units' kinks
    net = _Net(Model.of(s), s.flatten(theta).tolist(), X, y)
    for idx in range(7):  # no coordinate direction lowers L at first order, on either side
        for sign in (1.0, -1.0):
            eta = [0.0] * 7
            eta[idx] = sign
            if idx >= 4:  # output weights and bias: smooth, derivative 0
                assert directional_derivative(net, eta) == 0
            else:
                assert directional_derivative(net, eta) >= 0
    claim = Claim(s.to_config(), X, y, theta, witness=_witness(s))
    cert = certify(s, theta, X, y, witnesses=[("claim witness", claim.witness)], claim_theta=theta)
    assert cert["proof"] is True and cert["kind"] == "kink_local_minimum", cert
    assert float(cert["minimum_loss"][0]) <= 2 / 3 <= float(cert["minimum_loss"][1])
    assert cert["boundary"] == {"0": [1]} and float(cert["claim_distance_upper"]) == 0.0
    ok, lines = check(claim, cert)
    assert ok, lines
    bad = copy.deepcopy(cert)
    bad["radius"] = "10.0"
    assert check(claim, bad)[0] is False


def test_a_one_sided_descent_on_the_kink_is_found_and_lowers_the_loss():
    """y = (−1, 1, 1), v0 = +1: every smooth derivative is 0 (F = (0, 0, 1)) but sample 2 sits on a concave
    kink: raising b gives it output +Δb, towards its label. The test must find that direction."""
    s, y = _setting(), torch.tensor([-1.0, 1.0, 1.0], dtype=f64)
    theta = _theta(s, 1.0)
    res = _decide(s, theta, y)
    assert res.status == "descent", res.reason
    eta = torch.tensor(res.direction, dtype=f64)
    b0 = s.flatten(theta)
    idx_b0 = 2  # layers.0.weight [2, 1] first, then layers.0.bias [2]
    assert eta[idx_b0] > 0 and eta[[0, 1, 3, 4, 5, 6]].abs().max() == 0  # it moves unit 0's bias up, nothing else
    L0 = float(s.empirical_loss(s.unflatten(b0), X, y))
    for t in (1e-1, 1e-2, 1e-3):
        assert float(s.empirical_loss(s.unflatten(b0 + t * eta), X, y)) < L0  # descent, checked independently
    assert float(s.empirical_loss(s.unflatten(b0 - 1e-2 * eta), X, y)) >= L0  # the other side does not descend
    assert res.loss_after < res.loss_before
    cert = certify(s, theta, X, y, witnesses=[("w", _witness(s))])
    assert cert["proof"] is False and "refuted" in cert["reason"] and "direction" in cert["refutation"]


def test_a_non_stationary_point_is_refuted_and_leaky_relu_is_covered():
    s, y = _setting("leaky_relu"), torch.tensor([-1.0, 1.0, -1.0], dtype=f64)
    theta = _theta(s, -1.0)
    theta["layers.1.bias"] = torch.tensor([0.25], dtype=f64)  # ∂L/∂c ≠ 0
    res = _decide(s, theta, y)
    assert res.status == "descent" and "smooth partial" in res.reason


def test_logistic_loss_is_undecided_not_proved():
    s = Setting.from_config({"network": {"input_dim": 1, "hidden": [2]}, "loss": "logistic"})
    res = _decide(s, _theta(s, -1.0), torch.tensor([-1.0, 1.0, -1.0], dtype=f64))
    assert res.status == "undecided" and "rational" in res.reason


def test_the_referee_proves_the_planted_kink_minimum():
    """The judged claim: the strict and piecewise proofs stop at the kink, the kink test proves it."""
    from arena.referee.judge import judge

    s, y = _setting(), torch.tensor([-1.0, 1.0, -1.0], dtype=f64)
    claim = Claim(s.to_config(), X, y, _theta(s, -1.0), witness=_witness(s))
    v = judge(claim, {"probe_random": 64, "probe_descent_steps": 15}, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    cert = v.evidence["proof_certificate"]
    assert v.evidence["proof"] is True and cert["kind"] == "kink_local_minimum", cert
    assert check(claim, cert)[0]
