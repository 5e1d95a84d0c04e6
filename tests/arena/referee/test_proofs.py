"""Proofs in ball arithmetic: what they prove, what they refuse, and tampering caught by the re-check."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from arena.attackers.all_dead import AllDead
from arena.attackers.concavity_trap import ConcavityTrap
from arena.attackers.dead_relu import DeadRelu
from arena.attackers.linear_region import LinearRegion
from arena.attackers.logistic_dead import LogisticDead
from arena.claims import save_claim, zoo
from arena.cli import main
from arena.contract import Budget
from arena.game.leaderboard import cell_text
from arena.landscape.setting import Setting
from arena.referee.judge import judge
from arena.referee.proofs import certify, check
from arena.referee.proofs.balls import precision
from arena.referee.proofs.check import derive

f64 = torch.float64


def _setting(hidden, neuron="relu", loss="quadratic_hinge", input_dim=2):
    return Setting.from_config({"network": {"input_dim": input_dim, "hidden": hidden, "neuron": neuron}, "loss": loss})


def _tanh_minimum():
    """A 1-1-1 tanh network fitted to a noisy step by a trust-region Newton method: a strict minimum."""
    s = _setting([1], "tanh", "squared", input_dim=1)
    X = torch.linspace(-3, 3, 13, dtype=f64)[:, None]
    y = torch.tensor([-1.0] * 5 + [1.0, -1.0, 1.0] + [1.0] * 5, dtype=f64)
    f = lambda u: s.empirical_loss(s.unflatten(u), X, y)  # noqa: E731
    t = lambda a: torch.as_tensor(a, dtype=f64)  # noqa: E731
    res = minimize(lambda a: float(f(t(a))), np.array([1.0, 0.0, 1.0, 0.0]),
                   jac=lambda a: torch.autograd.functional.jacobian(f, t(a)).numpy(),
                   hess=lambda a: torch.autograd.functional.hessian(f, t(a)).numpy(),
                   method="trust-exact", options={"gtol": 1e-15})
    v = t(res.x)
    return s, X, y, v, float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(f, v))[0])


def _attack(attacker, setting):
    (claim, *_) = attacker.attack(setting, None, Budget(), seed=0)
    return claim


def _certify_claim(claim):
    s = Setting.from_config(claim.setting)
    return certify(s, claim.theta, claim.X, claim.y, claim_theta=claim.theta,
                   witnesses=[("claim witness", claim.witness)])


def test_strict_minimum_of_a_tanh_network_is_proved_with_its_loss_enclosed():
    s, X, y, v, lam = _tanh_minimum()
    assert lam > 0.1  # a well-conditioned strict minimum (λ_min ≈ 0.153)
    with precision():
        d = derive(s, X, y, v.tolist(), 1e-6, "strict_minimum")
    assert d.lemma.holds, d.lemma.failure()
    assert 0.5 * lam < float(d.lemma.mu.lower()) <= lam  # μ is a rigorous lower bound, close to λ_min
    loss = float(s.empirical_loss(s.unflatten(v), X, y))
    assert float(d.lemma.minimum_loss.lower()) <= loss <= float(d.lemma.minimum_loss.upper())
    assert float(d.lemma.minimum_loss.rad()) < 1e-9


def test_least_squares_linear_model_proof_encloses_the_closed_form_minimum():
    s = Setting.from_config({"network": {"input_dim": 3, "hidden": []}, "loss": "squared"})
    g = torch.Generator().manual_seed(1)
    X = torch.randn(20, 3, generator=g, dtype=f64)
    y = torch.where(torch.randn(20, generator=g, dtype=f64) > 0, 1.0, -1.0).to(f64)
    A = torch.cat([X, torch.ones(20, 1, dtype=f64)], 1)
    beta = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    closed = float(((A @ beta - y) ** 2).mean())  # (1 − y f)² = (y − f)² for y = ±1
    with precision():
        d = derive(s, X, y, beta.tolist(), 1e-6, "strict_minimum")
    assert d.lemma.holds
    assert float(d.lemma.minimum_loss.lower()) <= closed + 1e-15 and closed - 1e-15 <= float(d.lemma.minimum_loss.upper())


@pytest.mark.parametrize("attacker, hidden, loss, expected", [
    (DeadRelu(dataset="notes", active=1), [1], "quadratic_hinge", 2 / 3),  # A1: 4 n+ n- / (n_H n) = 2/3
    (AllDead(), [4], "quadratic_hinge", None),
    (AllDead(), [4, 4], "quadratic_hinge", None),
    (LogisticDead(), [1], "logistic", math.log(3) - 2 / 3 * math.log(2)),  # A3: H(1/3) in nats
])
def test_dead_unit_constructions_are_proved(attacker, hidden, loss, expected):
    s = _setting(hidden, loss=loss, input_dim=1 if expected else 2)
    claim = _attack(attacker, s)
    cert = _certify_claim(claim)
    assert cert["proof"] is True, cert.get("reason")
    assert cert["kind"] == "convex_in_outputs"
    lo, hi = map(float, cert["minimum_loss"])
    loss_at = float(s.empirical_loss(claim.theta, claim.X, claim.y))
    assert lo <= loss_at <= hi and hi - lo < 1e-12
    if expected is not None:
        assert lo <= expected + 1e-15 and expected - 1e-15 <= hi
    assert float(cert["witness"]["loss"][1]) < lo
    ok, lines = check(claim, json.loads(json.dumps(cert)))
    assert ok, lines


def test_linear_region_of_leaky_relu_is_proved_at_eight_ninths():
    s = Setting.from_config({"network": {"input_dim": 2, "hidden": [2], "neuron": {"name": "leaky_relu", "slope": 0.1}},
                             "loss": "squared"})
    claim = _attack(LinearRegion(), s)
    cert = _certify_claim(claim)
    assert cert["proof"] is True, cert.get("reason")
    lo, hi = map(float, cert["minimum_loss"])
    assert lo <= 8 / 9 <= hi  # the best affine fit of the Yun–Sra–Jadbabaie data
    assert len(cert["coordinates"]) == 2  # x₁ + x₂ = 1 on the data: 2 independent columns, decided over Q
    assert check(claim, cert)[0]


def test_gated_linear_region_is_proved_by_the_constant_fit_argument():
    # 1-D points t = (0, 1, 0.5) with labels (−, −, +): the class means coincide, so the best affine
    # fit is the constant c* = −1/3 and the unit's output weight is 0 (a gated unit)
    s = _setting([1], input_dim=1, loss="squared")
    claim = _attack(LinearRegion(), s)
    assert float(claim.theta["layers.1.weight"].abs().max()) < 1e-12
    cert = _certify_claim(claim)
    assert cert["proof"] is True and cert["kind"] == "constant_fit", cert.get("reason")
    lo, hi = map(float, cert["minimum_loss"])
    assert lo <= 8 / 9 <= hi
    assert check(claim, cert)[0]


def test_concavity_trap_is_proved_by_exact_kkt_multipliers():
    s = _setting([2], "softplus", input_dim=1)
    claim = _attack(ConcavityTrap(), s)
    cert = _certify_claim(claim)
    assert cert["proof"] is True and cert["kind"] == "concave_outputs", cert.get("reason")
    lo, hi = map(float, cert["minimum_loss"])
    assert lo <= 8 / 9 <= hi and hi - lo < 1e-12  # A5 with p = 2: L* = 8/9
    assert check(claim, cert)[0]
    flipped = copy.deepcopy(claim)  # a positive output weight: f is no longer concave, no proof
    flipped.theta["layers.1.weight"] = flipped.theta["layers.1.weight"].abs()
    assert _certify_claim(flipped)["proof"] is False


def test_referee_attaches_a_proof_to_an_all_dead_bad_minimum():
    v = judge(zoo.all_dead_relu(n_pos=5, n_neg=3, hidden=4), {"restarts": 8, "restart_steps": 300}, device="cpu")
    assert v.verdict == "bad_local_min"
    assert v.evidence["proof"] is True
    cert = v.evidence["proof_certificate"]
    assert cert["witness"]["source"] == "referee search"  # the claim has no witness: the restart point is enclosed
    assert any(r.startswith("proof (ball arithmetic") for r in v.reasons)


def test_saddle_and_kink_are_refused():
    saddle = zoo.tanh_saddle()
    s = Setting.from_config(saddle.setting)
    far = {k: torch.ones_like(t) for k, t in saddle.theta.items()}
    cert = certify(s, saddle.theta, saddle.X, saddle.y, witnesses=[("claim witness", far)])
    assert cert["proof"] is False and "λ_min" in cert["reason"]
    kink = zoo.relu_on_kink()
    s = Setting.from_config(kink.setting)
    cert = certify(s, kink.theta, kink.X, kink.y, witnesses=[("claim witness", kink.theta)])
    assert cert["proof"] is False and "kink" in cert["reason"]


def test_point_a_hair_off_the_minimum_fails_the_gradient_bound():
    s, X, y, v, _ = _tanh_minimum()
    off = (v + 1e-4).tolist()
    with precision():
        d = derive(s, X, y, off, 1e-6, "strict_minimum")
    assert not d.lemma.holds
    assert "‖∇L(θ₀)‖" in d.lemma.failure()


@pytest.fixture(scope="module")
def proved_claim():
    claim = _attack(DeadRelu(dataset="notes", active=1), _setting([1], input_dim=1))
    return claim, _certify_claim(claim)


@pytest.mark.parametrize("field, change, message", [
    ("minimum_loss", lambda c: [v.replace("0.6", "0.5", 1) for v in c], "does not contain the re-derived"),
    ("minimum_loss", lambda c: [c[1], c[0]], "bad interval"),
    ("radius", lambda c: repr(float(c) * 1e5), "re-derivation failed"),
    ("radius", lambda c: "0.0", "lemma fails"),
    ("mu_lower", lambda c: repr(float(c) * 10), "not implied"),
    ("witness", lambda c: {**c, "loss": ["-1.0", "-0.5"]}, "stated witness loss"),
])
def test_tampered_certificate_is_rejected(proved_claim, field, change, message):
    claim, cert = proved_claim
    assert check(claim, cert)[0]
    bad = copy.deepcopy(cert)
    bad[field] = change(bad[field])
    ok, lines = check(claim, bad)
    assert not ok
    assert any(message in line for line in lines), lines


def test_cli_check_certificate_accepts_and_rejects(tmp_path, proved_claim, capsys):
    claim, cert = proved_claim
    save_claim(claim, tmp_path / "claim.json")
    verdict = {"verdict": "bad_local_min", "evidence": {"proof": True, "proof_certificate": cert}}
    (tmp_path / "verdict.json").write_text(json.dumps(verdict))
    assert main(["verify", "--check-certificate", str(tmp_path)]) == 0
    assert "certificate: CHECKED" in capsys.readouterr().out
    centre = list(cert["centre"])
    centre[-1] = float.hex(float.fromhex(centre[-1]) + 0.25)  # move the output bias off the best constant
    (tmp_path / "verdict.json").write_text(json.dumps({"evidence": {"proof_certificate": {**cert, "centre": centre}}}))
    assert main(["verify", "--check-certificate", str(tmp_path / "verdict.json")]) == 1
    out = capsys.readouterr().out
    assert "certificate: REJECTED" in out and "FAIL" in out
    (tmp_path / "verdict.json").write_text("{not json")
    assert main(["verify", "--check-certificate", str(tmp_path)]) == 2


def test_leaderboard_marks_proved_broken_cells():
    cell = {"outcome": "broken", "failed_assumptions": [], "proof": True}
    assert cell_text([cell]) == "broken ✓"
    assert cell_text([{**cell, "proof": False}]) == "broken"


@pytest.mark.parametrize("net, loss", [
    ({"input_dim": 2, "hidden": [3], "neuron": "tanh", "skip": True}, "squared"),
    ({"input_dim": 2, "hidden": [3], "neuron": "sigmoid"}, "logistic"),
    ({"input_dim": 3, "hidden": [2], "neuron": {"name": "softplus", "beta": 2.0}}, "exponential"),
    ({"input_dim": 2, "hidden": [2], "neuron": "exponential", "bias": False}, "squared"),
    ({"input_dim": 2, "hidden": [], "skip": False}, "logistic"),
])
def test_ball_derivatives_enclose_autograd(net, loss):
    """The enclosures of L, ∇L, ∇²L at a point contain float64 autograd's values (up to its rounding)."""
    from flint import arb  # noqa: F401

    from arena.referee.proofs.model import Model, box, exact_data
    from arena.referee.proofs.smooth import one_hidden_derivatives

    s = Setting.from_config({"network": net, "loss": loss})
    g = torch.Generator().manual_seed(3)
    X = torch.randn(7, net["input_dim"], generator=g, dtype=f64)
    y = torch.where(torch.randn(7, generator=g, dtype=f64) > 0, 1.0, -1.0).to(f64)
    v = s.flatten(s.init_params(generator=g))
    f = lambda u: s.empirical_loss(s.unflatten(u), X, y)  # noqa: E731
    G = torch.autograd.functional.jacobian(f, v)
    H = torch.autograd.functional.hessian(f, v)
    with precision():
        Xa, ya = exact_data(X, y)
        L, grad, hess = one_hidden_derivatives(Model.of(s), box(v.tolist(), 0.0), Xa, ya)
        assert abs(float(L.mid()) - float(f(v))) < 1e-13
        assert max(abs(float(a.mid()) - b) for a, b in zip(grad, G.tolist())) < 1e-12
        P = len(grad)
        assert max(abs(float(hess[i, j].mid()) - float(H[i, j])) for i in range(P) for j in range(P)) < 1e-11


@pytest.mark.parametrize("net", [
    {"input_dim": 2, "hidden": [3, 2], "neuron": {"name": "leaky_relu", "slope": 0.2}, "skip": True},
    {"input_dim": 2, "hidden": [4], "neuron": "relu", "bias": False},
    {"input_dim": 2, "hidden": [2], "neuron": "elu"},
])
def test_ball_loss_of_any_depth_encloses_the_float_loss(net):
    from arena.referee.proofs.model import Model, box, exact_data

    s = Setting.from_config({"network": net, "loss": {"name": "poly_hinge", "p": 3}})
    g = torch.Generator().manual_seed(5)
    X = torch.randn(9, 2, generator=g, dtype=f64)
    y = torch.where(torch.randn(9, generator=g, dtype=f64) > 0, 1.0, -1.0).to(f64)
    theta = s.init_params(generator=g)
    with precision():
        Xa, ya = exact_data(X, y)
        L = Model.of(s).empirical_loss(box(s.flatten(theta).tolist(), 0.0), Xa, ya)
    assert abs(float(L.mid()) - float(s.empirical_loss(theta, X, y))) < 1e-13
