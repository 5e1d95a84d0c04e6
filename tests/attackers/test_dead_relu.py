"""Dead-ReLU attacker (docs/catalogue.md A1/A1b): golden numbers of the construction and its structure.

Numbers are "a construction of the type in Liang et al. 2018a" (docs/catalogue.md A1), not the paper's own.
"""
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from arena.contract import Budget
from arena.claims import load_claim, save_claim
from arena.landscape.losses import make_loss
from arena.landscape.setting import Setting
from arena.attackers.dead_relu import DeadRelu
from arena.contract.datasets import NOTES_X, NOTES_Y, separable_dataset
from arena.landscape.constant_fit import constant_fit, constant_fit_value

X1 = torch.tensor(NOTES_X)
Y1 = torch.tensor(NOTES_Y)


def _setting(loss="quadratic_hinge", **net):
    return Setting.from_config({"network": {"input_dim": 2, "hidden": [4], **net}, "loss": loss})


def _notes_params(a0: float) -> dict:
    return {"layers.0.weight": torch.tensor([[1.0]], dtype=torch.float64),
            "layers.0.bias": torch.tensor([-1.0], dtype=torch.float64),
            "layers.1.weight": torch.tensor([[2.0]], dtype=torch.float64),
            "layers.1.bias": torch.tensor([a0], dtype=torch.float64)}


def test_notes_example_quadratic_hinge_loss_is_two_thirds():
    s = _setting(input_dim=1, hidden=[1])
    a0 = constant_fit(s.loss_fn, n_pos=2, n_neg=1)
    assert a0 == pytest.approx(1 / 3, abs=1e-15)
    theta = _notes_params(a0)
    assert float(s.empirical_loss(theta, X1, Y1)) == pytest.approx(2 / 3, abs=1e-15)
    assert float(s.train_error(theta, X1, Y1)) == 0.25
    assert s.preactivations(theta, X1)["layers.0"].flatten().tolist() == [-2.0, -1.0, -0.5, 1.0]


def test_notes_example_cubic_hinge():
    s = _setting(loss={"name": "poly_hinge", "p": 3}, input_dim=1, hidden=[1])
    a0 = constant_fit(s.loss_fn, n_pos=2, n_neg=1)
    assert a0 == pytest.approx(3 - 2 * math.sqrt(2), abs=1e-15)
    theta = _notes_params(a0)
    assert float(s.empirical_loss(theta, X1, Y1)) == pytest.approx(0.686292, abs=1e-6)
    assert float(s.train_error(theta, X1, Y1)) == 0.25


def test_attacker_on_the_notes_dataset_reaches_the_same_loss():
    s = _setting(input_dim=1, hidden=[1])
    (claim,) = DeadRelu(dataset="notes", active=1).attack(s, None, Budget(), seed=0)
    assert claim.X.tolist() == NOTES_X.tolist() and claim.y.tolist() == NOTES_Y.tolist()
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(2 / 3, abs=1e-15)
    z = s.preactivations(claim.theta, claim.X)["layers.0"][:, 0]
    assert (z[:3] <= -0.5).all() and z[3] >= 0.5  # dead on x ∈ {-1, 0, 0.5}, alive on x = 2
    assert float(claim.theta["layers.1.bias"]) == pytest.approx(1 / 3, abs=1e-15)
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) == 0.0


@pytest.mark.parametrize("loss", ["quadratic_hinge", {"name": "poly_hinge", "p": 3}, {"name": "poly_hinge", "p": 2.5},
                                  "smooth_hinge", "squared", "logistic", "exponential"])
@pytest.mark.parametrize("counts", [(1, 1), (2, 1), (1, 5), (7, 3)])
def test_constant_fit_is_the_one_dimensional_minimiser(loss, counts):
    ell = make_loss(loss)
    c = constant_fit(ell, *counts)
    ref = minimize_scalar(lambda t: constant_fit_value(ell, t, *counts), bounds=(-20, 20), method="bounded",
                          options={"xatol": 1e-12})
    assert c == pytest.approx(ref.x, abs=1e-6)
    assert constant_fit_value(ell, c, *counts) <= ref.fun + 1e-12


def test_constant_fit_closed_forms():
    assert constant_fit(make_loss("logistic"), 3, 1) == pytest.approx(math.log(3))
    assert constant_fit(make_loss("hinge"), 3, 1) == 1.0 and constant_fit(make_loss("hinge"), 2, 2) == 0.0
    with pytest.raises(ValueError, match="both labels"):
        constant_fit(make_loss("logistic"), 3, 0)


def _blind_spot(s, claim):
    """H from the claim's own parameters: samples on which every first-layer unit is dead."""
    z0 = s.preactivations(claim.theta, claim.X)["layers.0"]
    return (z0 < 0).all(-1), z0


@pytest.mark.parametrize("seed", range(6))
def test_random_2d_construction_has_the_closed_form_loss(seed):
    s = _setting()
    claims = DeadRelu().attack(s, None, Budget(datasets=2, max_claims=2), seed=seed)
    assert len(claims) == 2
    for claim in claims:
        X, y = claim.X, claim.y
        H, z0 = _blind_spot(s, claim)
        yH = y[H]
        n, n_H = len(y), int(H.sum())
        n_pos, n_neg = int((yH > 0).sum()), int((yH < 0).sum())
        assert n_pos >= 1 and n_neg >= 1 and n_H < n  # both labels blind, some samples live
        assert float(z0[H].max()) <= -0.5  # dead with a margin on the whole blind spot
        assert float(z0.abs().min()) >= 0.5  # and no unit anywhere near its kink
        margins = s.margins(claim.theta, X, y)
        assert float(margins[~H].min()) > 1.0 and len(set(y[~H].tolist())) == 1
        # the output is the output bias on H, at the minimiser of Σ_H ℓ(y_i c)
        c = claim.theta["layers.1.bias"].clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(s.loss_fn(yH * c).sum(), c)
        assert float(slope) == pytest.approx(0.0, abs=1e-12)
        assert torch.allclose(s.output(claim.theta, X)[H], c.detach().expand(n_H), atol=0, rtol=0)
        expected = 4 * n_pos * n_neg / n_H**2 * n_H / n
        assert float(s.empirical_loss(claim.theta, X, y)) == pytest.approx(expected, rel=1e-12)
        # c* = 0 on a balanced blind spot, and f = 0 counts as an error
        errors = n_H if n_pos == n_neg else min(n_pos, n_neg)
        assert float(s.train_error(claim.theta, X, y)) == errors / n
        assert float(s.empirical_loss(claim.witness, X, y)) == 0.0
        assert float(s.train_error(claim.witness, X, y)) == 0.0


def _no_descent_nearby(s, claim, radius=1e-3, k=4000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    base = float(s.empirical_loss(claim.theta, claim.X, claim.y))
    flat = s.flatten(claim.theta)
    dirs = torch.randn(k, flat.numel(), generator=gen, dtype=torch.float64)
    dirs = dirs / dirs.norm(dim=1, keepdim=True) * radius * torch.rand(k, 1, generator=gen, dtype=torch.float64)
    losses = s.empirical_loss(s.unflatten(flat + dirs), claim.X, claim.y)
    return float(losses.min()) - base


@pytest.mark.parametrize("net,loss", [
    ({"hidden": [4]}, "quadratic_hinge"), ({"hidden": [3, 4], "input_dim": 3}, "smooth_hinge"),
    ({"hidden": [5], "neuron": "smooth_relu"}, {"name": "poly_hinge", "p": 3}),
    ({"hidden": [4]}, "logistic"), ({"hidden": [2, 3]}, "squared"),
])
def test_random_perturbations_do_not_lower_the_loss(net, loss):
    s = _setting(loss, **net)
    (claim,) = DeadRelu().attack(s, None, Budget(), seed=3)
    assert _no_descent_nearby(s, claim) >= -1e-12


def test_deeper_layers_stay_active_and_the_output_is_constant_on_the_blind_spot():
    s = _setting("smooth_hinge", input_dim=3, hidden=[3, 4, 2])
    (claim,) = DeadRelu().attack(s, None, Budget(), seed=1)
    pre = s.preactivations(claim.theta, claim.X)
    H, _ = _blind_spot(s, claim)
    for name in ("layers.1", "layers.2"):
        assert float(pre[name].min()) >= 1.0
    f = s.output(claim.theta, claim.X)
    assert float(f[H].max() - f[H].min()) == 0.0
    assert float(f[H][0]) == pytest.approx(claim.extra["construction"]["c_star"], abs=1e-14)


def test_logistic_uses_the_all_dead_variant():
    s = _setting("logistic")
    attacker = DeadRelu()
    assert attacker.applies_to(s, None) == (True, "")
    (claim,) = attacker.attack(s, None, Budget(), seed=2)
    z0 = s.preactivations(claim.theta, claim.X)["layers.0"]
    assert float(z0.max()) <= -0.5  # every unit dead on every sample
    n_pos, n = int((claim.y > 0).sum()), len(claim.y)
    p = n_pos / n
    assert float(s.output(claim.theta, claim.X)[0]) == pytest.approx(math.log(n_pos / (n - n_pos)), abs=1e-12)
    entropy = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(entropy, rel=1e-12)
    assert claim.extra["construction"]["variant"] == "all_dead"
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) < 1e-3
    blind = DeadRelu(variant="blind_spot").applies_to(s, None)
    assert blind[0] is False and "not hinge type" in blind[1]


@pytest.mark.parametrize("change,reason", [
    ({"neuron": "softplus_linear"}, "neuron softplus_linear has no dead region and does not saturate"),
    ({"neuron": {"name": "leaky_relu", "slope": 0.1}}, "neuron leaky_relu has no dead region"),
    ({"hidden": []}, "no hidden layer"),
    ({"skip": True}, "linear skip"),
    ({"bias": False}, "no biases"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
])
def test_applies_to_says_why_not(change, reason):
    ok, why = DeadRelu().applies_to(_setting().replace(**change), None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        DeadRelu().attack(_setting().replace(**change), None, Budget(), seed=0)


def test_custom_network_and_notes_dimension_are_refused():
    custom = Setting.from_config({"network": {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}})
    ok, why = DeadRelu().applies_to(custom, None)
    assert not ok and "custom network" in why
    ok, why = DeadRelu(dataset="notes").applies_to(_setting(), None)
    assert not ok and "1-D" in why


def test_separable_dataset_is_separable_with_both_labels():
    rng = np.random.default_rng(0)
    X, y, u, c = separable_dataset(10, 3, rng, gap=0.1)
    assert X.shape == (10, 3) and (y * (X @ u + c)).min() >= 0.1 - 1e-12
    assert (y > 0).sum() >= 2 and (y < 0).sum() >= 2


def test_claims_are_seeded_and_round_trip(tmp_path):
    s = _setting()
    a = DeadRelu().attack(s, None, Budget(), seed=7)[0]
    b = DeadRelu().attack(s, None, Budget(), seed=7)[0]
    assert torch.equal(a.X, b.X) and all(torch.equal(a.theta[k], b.theta[k]) for k in a.theta)
    assert a.attacker == "dead_relu" and a.seed == 7 and "A1" in a.notes
    assert a.setting == s.to_config()
    back = load_claim(save_claim(a, tmp_path / "c"))
    assert torch.equal(back.theta["layers.0.weight"], a.theta["layers.0.weight"])
    assert back.extra["construction"]["loss"] == pytest.approx(float(s.empirical_loss(a.theta, a.X, a.y)))


def test_config_rebuilds_the_attacker():
    from hydra.utils import instantiate

    a = DeadRelu(variant="all_dead", n=8, active=None)
    cfg = a.config()
    assert cfg["_target_"] == "arena.attackers.dead_relu.DeadRelu"
    assert instantiate(cfg) == a
    assert DeadRelu.default_config()["variant"] == "auto"
    with pytest.raises(ValueError, match="variant"):
        DeadRelu(variant="half_dead")


@pytest.mark.parametrize("change", [{"neuron": "softplus"}, {"neuron": "sigmoid"},
                                    {"exp_neuron": True, "regularizer": {"name": "exp_neuron_l2", "weight": 0.1}}])
def test_defended_settings_get_the_closest_analogue_and_the_referee_rejects_it(change):
    """Softplus units saturated at z <= -40 and a switched-off exponential neuron look stationary;
    P1 and P2 say no bad local minimum exists there, and the referee must agree."""
    from arena.referee.judge import judge

    setting = _setting().replace(**change)
    assert DeadRelu().applies_to(setting, None) == (True, "")
    claim = DeadRelu().attack(setting, None, Budget(), seed=0)[0]
    v = judge(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "not_local_min", v.reasons
    if "neuron" in change:
        assert claim.extra["construction"]["smooth_analogue"] is True
        assert v.evidence["saturated_units"] and v.evidence["grad_norm"] < 1e-12
        assert any("saturated" in r for r in v.reasons)
    else:
        assert v.evidence["hessian_min_eig"] < 0  # P2: ∂²L/∂a∂w ≠ 0 at a = 0
