"""The strict-minimum lemma with a quadratic regularizer (l2, generic_l2): ReLU networks become strict."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from arena.claims import Claim
from arena.landscape.setting import Setting
from arena.referee.proofs import certify, check
from arena.referee.proofs.balls import precision
from arena.referee.proofs.check import derive, kinds_for

f64 = torch.float64
X = torch.tensor([[-2.0], [-1.0], [0.0], [1.0], [3.0]], dtype=f64)
Y = torch.tensor([1.0, -1.0, -1.0, -1.0, 1.0], dtype=f64)


def _setting(hidden: list[int], reg: dict | None) -> Setting:
    return Setting.from_config({"network": {"input_dim": 1, "hidden": hidden}, "loss": "squared", "regularizer": reg})


def _minimum(setting: Setting, X: torch.Tensor, y: torch.Tensor, start) -> torch.Tensor:
    f = lambda u: setting.empirical_loss(setting.unflatten(u), X, y)  # noqa: E731
    t = lambda a: torch.as_tensor(a, dtype=f64)  # noqa: E731
    res = minimize(lambda a: float(f(t(a))), np.asarray(start, dtype=float),
                   jac=lambda a: torch.autograd.functional.jacobian(f, t(a)).numpy(),
                   hess=lambda a: torch.autograd.functional.hessian(f, t(a)).numpy(), method="trust-exact",
                   options={"gtol": 1e-14})
    return t(res.x)


def test_regularized_relu_bad_minimum_is_proved():
    """One ReLU unit, generic_l2: the unit fitting the left arm (L = 0.81145) against the right arm (0.72229)."""
    s = _setting([1], {"name": "generic_l2", "low": 1e-3, "high": 1e-1})
    assert kinds_for(s) == ("strict_minimum",)
    right = s.unflatten(_minimum(s, X, Y, [1.0, -1.0, 1.0, -1.0]))
    left = s.unflatten(_minimum(s, X, Y, [-1.0, -1.0, 1.0, -1.0]))
    assert float(s.empirical_loss(left, X, Y)) == pytest.approx(0.8114511, abs=1e-6)
    assert float(s.empirical_loss(right, X, Y)) == pytest.approx(0.7222942, abs=1e-6)
    cert = certify(s, left, X, Y, claim_theta=left, witnesses=[("claim witness", right)])
    assert cert["proof"] is True and cert["kind"] == "strict_minimum", cert
    lo, hi = (float(v) for v in cert["minimum_loss"])
    assert lo <= float(s.empirical_loss(left, X, Y)) + 1e-12 and hi - lo < 1e-12  # R(θ) is part of L
    ok, lines = check(Claim(s.to_config(), X, Y, left, witness=right), cert)
    assert ok, lines
    # the same points without the regularizer: a ReLU point with flat directions, no strict proof
    assert "strict_minimum" not in kinds_for(_setting([1], None))


def test_weight_decay_makes_every_direction_of_a_relu_net_curved():
    """l2 on a 1-2-1 ReLU net at a minimum whose pre-activations all stay >= 0.077 from 0: λ_min > 0."""
    s = _setting([2], {"name": "l2", "weight": 0.02})
    y = torch.tensor([1.0, -1.0, -1.0, -1.0, 1.0], dtype=f64)
    Xs = torch.tensor([[-2.0], [-1.0], [0.0], [1.0], [2.0]], dtype=f64)
    v = _minimum(s, Xs, y, np.random.default_rng(3).normal(size=s.num_params))
    assert float(s.preactivations(s.unflatten(v), Xs)["layers.0"].abs().min()) > 0.07
    with precision():
        d = derive(s, Xs, y, v.tolist(), 1e-6, "strict_minimum")
    assert d.lemma.holds, d.lemma.failure()
    assert float(d.lemma.loss_at_centre.mid()) == pytest.approx(float(s.empirical_loss(s.unflatten(v), Xs, y)), abs=1e-14)
    hess = torch.autograd.functional.hessian(lambda u: s.empirical_loss(s.unflatten(u), Xs, y), v)
    assert 0 < float(d.lemma.mu.mid()) <= float(torch.linalg.eigvalsh(hess)[0])


@pytest.mark.parametrize("network,reg", [
    ({"input_dim": 2, "hidden": [2], "neuron": "tanh", "exp_neuron": True}, {"name": "exp_neuron_l2", "weight": 0.1}),
    ({"input_dim": 2, "hidden": [2], "neuron": "softplus", "skip": True, "exp_neuron": True},
     [{"name": "l2", "weight": 0.01}, {"name": "exp_neuron_l2", "weight": 0.1}]),
    ({"input_dim": 2, "hidden": [], "exp_neuron": True}, {"name": "generic_l2", "low": 1e-3, "high": 1e-1}),
])
def test_enclosures_with_the_exponential_unit_match_autograd(network, reg):
    from arena.referee.proofs.model import Model, box, exact_data
    from arena.referee.proofs.smooth import one_hidden_derivatives

    s = Setting.from_config({"network": network, "loss": "logistic", "regularizer": reg})
    assert kinds_for(s) == ("strict_minimum",)
    g = torch.Generator().manual_seed(0)
    Xr, yr = torch.randn(6, 2, generator=g, dtype=f64), torch.tensor([1.0, -1, 1, -1, 1, -1], dtype=f64)
    v = 0.5 * torch.randn(s.num_params, generator=g, dtype=f64)
    f = lambda u: s.empirical_loss(s.unflatten(u), Xr, yr)  # noqa: E731
    with precision():
        Xa, ya = exact_data(Xr, yr)
        loss, grad, hess = one_hidden_derivatives(Model.of(s), box(v.tolist(), 0.0), Xa, ya)
    assert float(loss.mid()) == pytest.approx(float(f(v)), abs=1e-14)
    assert np.allclose([float(x.mid()) for x in grad], torch.autograd.functional.jacobian(f, v).numpy(), atol=1e-13)
    H = np.array([[float(x.mid()) for x in row] for row in hess.tolist()])
    assert np.allclose(H, torch.autograd.functional.hessian(f, v).numpy(), atol=1e-12)


def test_exponential_unit_minimum_is_proved_strict():
    """Liang et al.'s exponential unit with its regularizer on a 1-2-1 tanh net: a strict minimum, proved."""
    s = Setting.from_config({"network": {"input_dim": 1, "hidden": [2], "neuron": "tanh", "exp_neuron": True},
                             "loss": "logistic", "regularizer": [{"name": "l2", "weight": 0.05},
                                                                 {"name": "exp_neuron_l2", "weight": 0.1}]})
    v = _minimum(s, X, Y, np.random.default_rng(0).normal(size=s.num_params) * 0.5)
    with precision():
        d = derive(s, X, Y, v.tolist(), 1e-6, "strict_minimum")
    assert d.lemma.holds, d.lemma.failure()
    assert float(d.lemma.loss_at_centre.mid()) == pytest.approx(float(s.empirical_loss(s.unflatten(v), X, Y)), abs=1e-14)
    with precision(), pytest.raises(Exception, match="does not cover"):
        derive(s, X, Y, v.tolist(), 1e-6, "convex_in_outputs")  # a forged kind is refused, not mis-proved
