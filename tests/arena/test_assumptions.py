"""Assumption checks: LP separability to 1e-6, neuron/loss classes, distinct inputs, realizability."""
import math

import numpy as np
import pytest
import torch

from arena.assumptions import (ASSUMPTION_NAMES, affine_witness, as_data, assumption_from_dict, linear_separability,
                               make_assumption, max_margin_separator, neuron_grid, strip_exp_neuron)
from arena.landscape.setting import Setting


def _setting(loss="quadratic_hinge", regularizer=None, **net):
    return Setting.from_config({"network": {"input_dim": 2, "hidden": [4], **net}, "loss": loss,
                                "regularizer": regularizer})


def _clouds(gap: float, n: int = 30, seed: int = 0):
    """Two clouds split at x₁ = 0 with a gap; both touch the gap at x₂ = ±1, so the box margin is gap/2."""
    rng = np.random.default_rng(seed)
    neg = np.c_[rng.uniform(-1, -gap / 2, n), rng.uniform(-1, 1, n)]
    pos = np.c_[rng.uniform(gap / 2, 1, n), rng.uniform(-1, 1, n)]
    neg[:2] = [[-gap / 2, -1], [-gap / 2, 1]]
    pos[:2] = [[gap / 2, -1], [gap / 2, 1]]
    return np.r_[neg, pos], np.r_[-np.ones(n), np.ones(n)]


def test_separable_with_a_margin_of_one_millionth():
    X, y = _clouds(2e-6)
    res = linear_separability(X, y)
    assert res.holds
    assert res.evidence["margin"] == pytest.approx(1e-6, rel=1e-6)
    u, c = np.array(res.evidence["u"]), res.evidence["c"]
    assert np.min(y * (X @ u + c)) == pytest.approx(res.evidence["margin"], abs=1e-15)
    assert u[0] == pytest.approx(1.0) and abs(u[1]) < 1e-9 and abs(c) < 1e-9


def test_one_flipped_label_is_not_separable_and_names_the_obstruction():
    X, y = _clouds(2e-6)
    y[5] = -y[5]
    res = linear_separability(X, y)
    assert not res.holds
    assert res.evidence["margin"] <= 0
    assert 5 in res.evidence["obstruction"]
    assert res.evidence["obstruction_residual"] < 1e-9  # Σ λ_i y_i (x_i, 1) = 0: a Farkas certificate
    assert "obstruction" in res.evidence["reason"]


def test_through_origin_variant():
    X, y = _clouds(0.2)
    assert linear_separability(X, y, bias=False).holds
    shifted = X + np.array([5.0, 0.0])
    assert linear_separability(shifted, y).holds
    res = linear_separability(shifted, y, bias=False)
    assert not res.holds and res.evidence["c"] == 0.0


def test_separator_margin_is_recomputed_in_float64():
    X = np.array([[-1.0], [0.0], [0.5], [2.0]])
    y = np.array([-1.0, 1.0, 1.0, 1.0])
    sep = max_margin_separator(X, y)
    assert sep.u[0] == pytest.approx(1.0) and sep.c == pytest.approx(0.5)
    assert sep.margin == pytest.approx(0.5) and sep.lp_margin == pytest.approx(0.5)
    assert sep.duals.sum() == pytest.approx(1.0)


def test_bad_data_are_rejected_with_the_problem_named():
    with pytest.raises(ValueError, match=r"X must be \[n, d\]"):
        as_data(np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        as_data(np.zeros((2, 1)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="rows of X"):
        as_data(np.zeros((3, 1)), np.ones(2))
    with pytest.raises(ValueError, match="non-finite"):
        as_data(np.array([[np.nan]]), np.ones(1))


@pytest.mark.parametrize("neuron,increasing,convex", [
    ("relu", False, False), ("softplus", True, True), ({"name": "softplus", "beta": 30}, True, True),
    ("exponential", True, True), ("sigmoid", True, False), ("tanh", True, False), ("quadratic", False, True),
    ("swish", False, False), ({"name": "softplus_linear", "c": 0.1}, True, True), ("elu", True, False),
])
def test_neuron_class_checks_agree_with_the_grid(neuron, increasing, convex):
    s = _setting(neuron=neuron)
    inc = make_assumption("neuron_increasing")(s, None, None)
    cvx = make_assumption("neuron_strictly_convex")(s, None, None)
    assert inc.holds is increasing and cvx.holds is convex
    assert inc.evidence["grid_consistent"] and cvx.evidence["grid_consistent"]
    assert inc.evidence["grid"] == [-30.0, 30.0, 6001]


def test_neuron_grid_numbers():
    relu = neuron_grid(_setting(neuron="relu").neuron)
    assert relu["min_d1"] == 0.0 and relu["max_d1"] == 1.0 and relu["max_d1_jump"] == 1.0
    sp = neuron_grid(_setting(neuron="softplus").neuron)
    assert sp["min_d1"] == pytest.approx(1 / (1 + math.exp(30)), rel=1e-9)
    assert sp["max_d2"] == pytest.approx(0.25, rel=1e-6)
    assert sp["max_d1_jump"] < 0.01


def test_neuron_smoothness_and_analyticity():
    assert make_assumption("neuron_smooth", k=1)(_setting(neuron="smooth_relu"), None, None).holds
    res = make_assumption("neuron_smooth", k=2)(_setting(neuron="smooth_relu"), None, None)
    assert not res.holds and "C^1, not C^2" in res.evidence["reason"]
    assert make_assumption("neuron_analytic")(_setting(neuron="tanh"), None, None).holds
    assert not make_assumption("neuron_analytic")(_setting(neuron="elu"), None, None).holds


@pytest.mark.parametrize("loss,hinge,c1,monotone,attains", [
    ("quadratic_hinge", True, True, True, True), ({"name": "poly_hinge", "p": 3}, True, True, True, True),
    ("smooth_hinge", True, True, True, True), ("hinge", True, False, True, True),
    ("logistic", False, True, True, False), ("exponential", False, True, True, False),
    ("squared", False, True, False, True),
])
def test_loss_class_checks(loss, hinge, c1, monotone, attains):
    s = _setting(loss=loss)
    res = {name: make_assumption(name, **kw)(s, None, None) for name, kw in [
        ("loss_hinge_type", {}), ("loss_smooth", {"k": 1}), ("loss_non_increasing", {}), ("loss_attains_minimum", {})]}
    assert [r.holds for r in res.values()] == [hinge, c1, monotone, attains]
    hinge_ev = res["loss_hinge_type"].evidence
    assert hinge_ev["grid_consistent"]
    if hinge:
        assert hinge_ev["zero_from"] == pytest.approx(1.0, abs=0.011)  # ℓ' = 0 from margin 1 on (grid step 0.01)
    assert (hinge_ev["max_d1"] <= 0) is monotone


def test_structure_check():
    check = make_assumption("single_hidden_layer_or_shortcut")
    assert check(_setting(), None, None).evidence["structure"] == "single_hidden_layer"
    deep = _setting(hidden=[3, 3])
    assert not check(deep, None, None).holds
    assert check(deep.replace(skip=True), None, None).evidence["structure"] == "linear_shortcut"


def test_inputs_distinct_reports_duplicates_and_conflicts():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    res = make_assumption("inputs_distinct")(_setting(), X, y)
    assert not res.holds
    assert res.evidence["n_distinct"] == 3 and res.evidence["duplicate_groups"] == [[0, 2]]
    assert res.evidence["conflicting_groups"] == [[0, 2]]
    assert make_assumption("inputs_distinct")(_setting(), X[:2], y[:2]).holds


def test_exp_neuron_checks():
    base = _setting()
    defended = base.replace(exp_neuron=True, regularizer={"name": "exp_neuron_l2", "weight": 0.1})
    assert make_assumption("has_exp_neuron")(defended, None, None).holds
    assert not make_assumption("has_exp_neuron")(base, None, None).holds
    res = make_assumption("exp_neuron_regularized")(defended, None, None)
    assert res.holds and res.evidence["lambda"] == pytest.approx(0.1)
    zero = defended.replace(regularizer={"name": "exp_neuron_l2", "weight": 0.0})
    assert not make_assumption("exp_neuron_regularized")(zero, None, None).holds
    both = defended.replace(regularizer=[{"name": "l2", "weight": 1e-3}, {"name": "exp_neuron_l2", "weight": 0.1}])
    res = make_assumption("exp_neuron_regularized")(both, None, None)
    assert not res.holds and "l2" in res.evidence["reason"]
    assert strip_exp_neuron(defended).to_config() == base.to_config()


def test_realizable_closed_form_on_separable_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    for net in [{"hidden": [4, 5]}, {"hidden": [3], "neuron": "tanh"}, {"hidden": [2, 2], "neuron": "sigmoid"},
                {"hidden": []}, {"hidden": [3], "skip": True, "bias": False}]:
        offset = 0.3 if net.get("bias", True) else 0.0  # no biases: separable through the origin
        y = np.sign(X @ np.array([1.0, -2.0]) + offset)
        s = _setting(**net)
        res = make_assumption("realizable")(s, X, y)
        assert res.holds and res.evidence["method"] == "closed_form_separator", net
        assert res.evidence["data_loss"] == 0.0 and res.evidence["train_error"] == 0.0
        margins = s.margins(res.witness, torch.as_tensor(X), torch.as_tensor(y))
        assert float(margins.min()) == pytest.approx(2.0)


def test_realizable_by_search_on_xor_but_not_by_a_linear_model():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    relu = make_assumption("realizable", restarts=8, steps=1500)(_setting(hidden=[4]), X, y)
    assert relu.holds and relu.evidence["method"].startswith("search") and relu.evidence["proof"]
    assert relu.evidence["data_loss"] == 0.0
    linear = make_assumption("realizable", restarts=4, steps=300)(_setting(hidden=[]), X, y)
    assert not linear.holds and linear.evidence["proof"] is False
    assert linear.evidence["train_error"] >= 0.25


def test_conflicting_duplicates_are_provably_not_realizable():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    y = np.array([1.0, -1.0, 1.0])
    res = make_assumption("realizable")(_setting(), X, y)
    assert not res.holds and res.evidence["proof"] and res.evidence["method"] == "conflicting_duplicates"


def test_realizable_of_the_base_network_strips_the_exp_neuron():
    X = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    y = np.array([1.0, -1.0, 1.0])
    defended = _setting(hidden=[], exp_neuron=True, regularizer={"name": "exp_neuron_l2", "weight": 0.1})
    # a·exp(w x + b) added to a linear model fits (+, -, +) along x₁; the linear base cannot
    assert make_assumption("realizable", steps=3000)(defended, X, y).holds
    res = make_assumption("realizable", base_network=True, restarts=4, steps=300)(defended, X, y)
    assert not res.holds and "+exp" not in res.evidence["network"]


def test_affine_witness_refuses_what_it_cannot_build():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    assert affine_witness(_setting(), X, y) is None  # XOR is not separable
    assert affine_witness(_setting(bias=False), X[:2] + 1, np.array([-1.0, 1.0])) is None


def test_registry_builds_every_assumption_and_rejects_bad_ones():
    s = _setting()
    X, y = _clouds(0.5, n=5)
    for name in ASSUMPTION_NAMES:
        a = make_assumption(name)
        res = a(s, X, y)
        assert isinstance(res.holds, bool) and isinstance(res.evidence, dict)
        assert res.holds or res.evidence.get("reason"), name
        assert assumption_from_dict(a.to_dict()).label == a.label
    assert make_assumption("loss_smooth", k=2).label == "loss_smooth(k=2)"
    with pytest.raises(KeyError, match="unknown assumption"):
        make_assumption("convex_everywhere")
    with pytest.raises(ValueError, match="bad parameters"):
        make_assumption("inputs_distinct", k=1)
