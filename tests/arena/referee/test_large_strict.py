"""The strict-minimum lemma in float midpoint-radius form (thousands of parameters) against arb."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from flint import arb

from arena.landscape.setting import Setting
from arena.referee.proofs.balls import NotCertified, precision
from arena.referee.proofs.midrad import Balls, matmul
from arena.referee.proofs.model import Model, box, exact_data
from arena.referee.proofs.posdef import min_eig_lower
from arena.referee.proofs.smooth import min_eig_lower as min_eig_arb, one_hidden_derivatives
from arena.referee.proofs.smooth_large import hessian_enclosure, value_and_gradient

f64 = torch.float64


def _case(neuron: str, hidden: list[int], reg: dict | None, skip: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(9, 3))
    y = np.where(rng.normal(size=9) > 0, 1.0, -1.0)
    s = Setting.from_config({"network": {"input_dim": 3, "hidden": hidden, "neuron": neuron, "skip": skip},
                             "loss": "logistic", "regularizer": reg})
    theta = rng.normal(size=s.num_params)
    return s, X, y, theta


@pytest.mark.parametrize("neuron,hidden,reg,skip", [("tanh", [4], None, False), ("softplus", [3], {"name": "l2", "weight": 0.1}, True),
                                                   ("sigmoid", [], None, True), ("tanh", [2], {"name": "generic_l2", "low": 1e-3, "high": 1e-1}, False)])
def test_enclosures_contain_the_arb_ones(neuron, hidden, reg, skip):
    s, X, y, theta = _case(neuron, hidden, reg, skip)
    model = Model.of(s)
    with precision():
        Xa, ya = exact_data(torch.tensor(X), torch.tensor(y))
        loss_a, grad_a, _ = one_hidden_derivatives(model, box(theta.tolist(), 0.0), Xa, ya, hessian=False)
        _, _, H_a = one_hidden_derivatives(model, box(theta.tolist(), 1e-6), Xa, ya)
        loss, gnorm = value_and_gradient(model, theta, X, y)
        H = hessian_enclosure(model, theta, 1e-6, X, y)
    autograd = float(s.empirical_loss(s.unflatten(torch.tensor(theta)), torch.tensor(X), torch.tensor(y)))
    assert loss.overlaps(loss_a) and loss.contains(arb(autograd, 1e-13)) is not None
    assert abs(float(loss.mid()) - autograd) < 1e-13 and float(loss.rad()) < 1e-13
    g_exact = sum((float(g.mid()) ** 2 for g in grad_a)) ** 0.5
    assert g_exact <= float(gnorm.mid()) <= g_exact * (1 + 1e-5) + 1e-14  # an upper bound, within the radii' 2⁻²⁰ margin
    mids = np.array([[float(v.mid()) for v in row] for row in H_a.tolist()])
    assert np.all(np.abs(mids - H.mid) <= H.rad + 1e-300)  # the arb Hessian's midpoints lie inside
    assert H.rad.max() < 1e-4  # and the enclosure is tight (radius 1e-6 box)
    mids_only = hessian_enclosure(model, theta, 1e-6, X, y, mid_only=True)  # the Newton steps' Hessian
    assert np.allclose(mids_only.mid, H.mid, rtol=1e-12, atol=1e-15)  # BLAS may round differently by alignment


def test_matmul_radius_covers_the_exact_product():
    """fl(A·B) of badly cancelling rows: the radius covers the exact (rational) product."""
    from fractions import Fraction

    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 40)) * 10.0 ** rng.integers(-8, 8, size=(5, 40))
    B = rng.normal(size=(40, 3))
    C = matmul(Balls.exact(A), Balls.exact(B))
    for i in range(5):
        for j in range(3):
            exact = sum(Fraction(A[i, k]) * Fraction(B[k, j]) for k in range(40))
            assert abs(Fraction(C.mid[i, j]) - exact) <= Fraction(C.rad[i, j])


def test_min_eig_lower_bounds_every_matrix_in_the_enclosure():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.normal(size=(60, 60)))
    lam = np.linspace(0.01, 5.0, 60)
    A = (Q * lam) @ Q.T
    A = (A + A.T) / 2
    mu, info = min_eig_lower(Balls(A, np.full_like(A, 1e-9)))
    assert 0.5 * 0.01 - 60 * 1e-9 - 1e-12 <= float(mu.mid()) < 0.01 - 60 * 1e-9
    with precision():  # the arb route agrees on the same enclosure
        from flint import arb_mat
        H = arb_mat([[arb(A[i, j], 1e-9) for j in range(60)] for i in range(60)])
        assert float(min_eig_arb(H).mid()) > float(mu.mid()) - 1e-3
    indefinite = A - 0.02 * np.eye(60)
    with pytest.raises(NotCertified, match="λ_min"):
        min_eig_lower(Balls.exact(indefinite))


def _trained(n: int, d: int, h: int, seeds: int):
    """Near-minima (the certificate's Newton steps finish them) of an l2-regularized tanh
    network (P = h(d + 2) + 1) from several starts, by L-BFGS."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(n, d)))
    y = torch.where(X[:, 0] * X[:, 1] + 0.3 * torch.tensor(rng.normal(size=n)) > 0, 1.0, -1.0).to(f64)
    s = Setting.from_config({"network": {"input_dim": d, "hidden": [h], "neuron": "tanh"}, "loss": "logistic",
                             "regularizer": {"name": "l2", "weight": 0.01}})

    def fg(a):
        t = torch.tensor(a, requires_grad=True)
        loss = s.empirical_loss(s.unflatten(t), X, y)
        (g,) = torch.autograd.grad(loss, t)
        return float(loss.detach()), g.numpy()

    pts = []
    for seed in range(seeds):
        a = np.random.default_rng(seed).normal(size=s.num_params)
        res = minimize(fg, a, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-10})
        pts.append((res.fun, torch.tensor(res.x)))
    pts.sort(key=lambda p: p[0])
    return s, X, y, pts


def test_the_float_path_proves_what_the_arb_path_proves(monkeypatch):
    """The regularized ReLU bad minimum of test_regularized_proofs (4 parameters), certified with the
    arb Hessian and again with the float path forced: both prove it, with the same numbers."""
    from arena.claims import Claim
    from arena.referee.proofs import certify, check
    import importlib

    check_module = importlib.import_module("arena.referee.proofs.check")  # the module, not the function
    from tests.arena.referee.test_regularized_proofs import X, Y, _minimum, _setting

    s = _setting([1], {"name": "generic_l2", "low": 1e-3, "high": 1e-1})
    right = s.unflatten(_minimum(s, X, Y, [1.0, -1.0, 1.0, -1.0]))
    left = s.unflatten(_minimum(s, X, Y, [-1.0, -1.0, 1.0, -1.0]))
    arb_cert = certify(s, left, X, Y, claim_theta=left, witnesses=[("claim witness", right)])
    monkeypatch.setattr(check_module, "ARB_STRICT_PARAMS", 2)
    float_cert = certify(s, left, X, Y, claim_theta=left, witnesses=[("claim witness", right)])
    assert arb_cert["proof"] and float_cert["proof"], float_cert.get("reason")
    assert float_cert["label"] == check_module.LARGE_LABEL != arb_cert["label"]
    lo_a, hi_a = (float(v) for v in arb_cert["minimum_loss"])
    lo_f, hi_f = (float(v) for v in float_cert["minimum_loss"])
    assert max(lo_a, lo_f) <= min(hi_a, hi_f) and abs(lo_a - lo_f) < 1e-9  # the same minimum: 0.8114511
    assert float(float_cert["mu_lower"]) == pytest.approx(float(arb_cert["mu_lower"]), rel=0.2)
    claim = Claim(s.to_config(), X, Y, left, witness=right)
    ok, lines = check(claim, float_cert)
    assert ok, lines
    ok, lines = check(claim, {**float_cert, "mu_lower": repr(float(float_cert["mu_lower"]) * 1.5)})
    assert not ok and any(line.startswith("FAIL") and "λ_min" in line for line in lines)


@pytest.mark.slow
def test_a_strict_bad_minimum_above_the_arb_size_is_proved_and_rechecked():
    """751 parameters (above the 600 of the dense arb Hessian): the float path proves the worse of
    two minima, its certificate re-checks, and a raised λ_min bound is rejected."""
    from arena.claims import Claim
    from arena.referee.proofs import certify, check
    from arena.referee.proofs.check import ARB_STRICT_PARAMS, LARGE_LABEL

    s, X, y, pts = _trained(30, 3, 150, 3)
    assert s.num_params == 751 > ARB_STRICT_PARAMS
    (good_loss, good), (bad_loss, bad) = pts[0], pts[-1]
    assert bad_loss - good_loss > 1e-4
    cert = certify(s, s.unflatten(bad), X, y, claim_theta=s.unflatten(bad), witnesses=[("w", s.unflatten(good))])
    assert cert["proof"] is True and cert["kind"] == "strict_minimum" and cert["label"] == LARGE_LABEL, cert.get("reason")
    lo, hi = (float(v) for v in cert["minimum_loss"])
    assert bad_loss - 1e-6 < lo <= hi <= bad_loss + 1e-12 and hi - lo < 1e-9  # the minimum below L-BFGS' end point
    assert float(cert["mu_lower"]) > 0 and float(cert["shift"]) > float(cert["mu_lower"]) * 0.99
    claim = Claim(s.to_config(), X, y, s.unflatten(bad), witness=s.unflatten(good))
    ok, lines = check(claim, cert)
    assert ok, lines
    forged = {**cert, "mu_lower": repr(float(cert["mu_lower"]) * 2)}
    ok, lines = check(claim, forged)
    assert not ok and any("λ_min" in line and line.startswith("FAIL") for line in lines)
