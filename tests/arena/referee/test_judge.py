"""The referee's protocol on claims whose answer is known by construction (arena.claims.zoo)."""
from __future__ import annotations

import math

import pytest
import torch

from arena.claims import zoo
from arena.referee.judge import RefereeConfig, judge

FAST = {"restarts": 32, "restart_steps": 800}


def test_all_dead_relu_on_separable_data_is_a_bad_local_min_with_flat_directions():
    claim = zoo.all_dead_relu(n_pos=5, n_neg=3, hidden=4)
    v = judge(claim, FAST, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    e = v.evidence
    assert e["loss"] == pytest.approx(4 * 5 * 3 / 64, abs=1e-12)  # A1b closed form 4 n+ n- / n^2
    assert e["train_error"] == pytest.approx(3 / 8)  # c* = 1/4 > 0 misclassifies the negatives
    assert e["best_loss"] < 1e-6  # the same network separates the data
    assert e["gap"] == pytest.approx(e["loss"] - e["best_loss"])
    assert e["flat_directions"] >= 12  # every first-layer weight and bias, and the dead units' outputs
    assert e["hessian_min_eig"] > -1e-12
    assert e["strict"] is False
    # every flat direction moves only dead units' incoming weights or their output weights
    assert e["flat_basis"] and all(k.startswith(("layers.0.", "layers.1.weight")) for b in e["flat_basis"] for k in b)
    assert all(not p["descent"] for p in e["probes"])
    cert = e["certificate"]  # every unit dead with margin: an exact argument on a ball
    assert cert["kind"] == "dead_units" and cert["constant_output"] == pytest.approx(0.25)
    assert cert["radius"] > 0.5 and abs(cert["slope_of_G"]) < 1e-12


def test_a1_point_reproduces_the_notes_numbers_and_its_witness_proves_badness():
    v = judge(zoo.a1_dead_relu(p=2), {"restarts": 0}, device="cpu")
    assert v.verdict == "bad_local_min"
    assert v.evidence["loss"] == pytest.approx(2 / 3, abs=1e-14)
    assert v.evidence["train_error"] == pytest.approx(1 / 4)
    assert v.evidence["witness_loss"] == 0.0
    assert "certificate" not in v.evidence  # one unit is live on x = 2: the dead-unit argument does not apply
    v3 = judge(zoo.a1_dead_relu(p=3), {"restarts": 0}, device="cpu")
    assert v3.verdict == "bad_local_min"
    assert v3.evidence["loss"] == pytest.approx(0.686292, abs=1e-6)


def test_tanh_saddle_is_not_a_local_min_and_names_the_descent_direction():
    v = judge(zoo.tanh_saddle(), FAST, device="cpu")
    assert v.verdict == "not_local_min"
    assert v.evidence["grad_norm"] == 0.0
    assert v.evidence["hessian_min_eig"] < -1.0  # the (a_j, w_j) block [[0, c], [c, 0]]
    direction = v.evidence["descent_direction"]
    # the escape pairs an input weight with its output weight
    assert any(k.startswith("layers.0.weight") for k in direction)
    assert any(k.startswith("layers.1.weight") for k in direction)
    assert any("saddle" in r for r in v.reasons)


def test_relu_unit_on_its_kink_is_caught_by_one_sided_probes():
    claim = zoo.relu_on_kink()
    v = judge(claim, FAST, device="cpu")
    assert v.verdict == "not_local_min"
    assert v.evidence["grad_norm"] == 0.0  # autograd takes relu'(0) = 0
    assert v.evidence["hessian_min_eig"] >= -1e-12  # second order sees nothing either
    assert v.evidence["kink_units"] == [{"layer": 0, "unit": 0, "samples": [1]}]
    assert v.evidence["min_abs_preactivation"] == 0.0
    floor = v.evidence["probes"][-1]
    assert floor["radius"] == 1e-6 and floor["descent"]
    # judged in the canonical form: w = 1, b = 0, a = 2 balanced by c = √2 to w' = a' = √2, and the
    # unit's radius scale is the RMS of (√2, 0, √2) = √(4/3). First-order descent along +bias:
    # ΔL ≈ -(2/3)·a'·r·√(4/3) (the x = 0 sample's margin grows by a'·δb, loss (1 - m)²/3)
    assert v.evidence["canonical"]["unit_scales"] == {"layers.0": [pytest.approx(2**0.5)]}
    assert floor["min_delta"] == pytest.approx(-2 / 3 * 2**0.5 * (4 / 3) ** 0.5 * 1e-6, rel=0.05)
    assert v.evidence["descent_direction"]["layers.0.bias"] > 0


def test_global_minimum_is_not_bad():
    v = judge(zoo.a1_global_min(), FAST, device="cpu")
    assert v.verdict == "not_bad"
    assert v.evidence["loss"] == pytest.approx(0.0, abs=1e-30)  # 0 up to the canonical form's rounding (√2 scales)
    assert v.evidence["gap"] <= 1e-30


def test_random_point_is_not_a_local_min():
    for seed in range(3):
        v = judge(zoo.random_point(seed), FAST, device="cpu")
        assert v.verdict == "not_local_min"
        assert v.evidence["polish_drop"] > 1e-3


def test_float32_approximate_minimum_is_polished_and_accepted():
    claim = zoo.float32_dead_relu(grad_target=1e-5)
    assert claim.theta["layers.1.bias"].dtype == torch.float32
    v = judge(claim, FAST, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    assert v.evidence["claimed_loss"] - v.evidence["loss"] < 1e-9  # the polish moved it a hair
    assert v.evidence["grad_norm"] < 1e-10  # from about 1e-5
    assert v.evidence["loss"] == pytest.approx(0.9375, abs=1e-12)


def test_every_tolerance_is_recorded_in_the_verdict():
    v = judge(zoo.a1_dead_relu(), {"restarts": 0, "gap_tol": 1e-5}, device="cpu")
    assert v.tolerances["gap_tol"] == 1e-5
    assert set(RefereeConfig.__dataclass_fields__) == set(v.tolerances)
    d = v.to_dict()
    for key in ("verdict", "loss", "best_loss", "train_error", "grad_norm", "hessian_min_eig", "tolerances", "reasons"):
        assert key in d


@pytest.mark.parametrize("mutate, needle", [
    (lambda c: c.theta.__setitem__("layers.0.bias", torch.tensor([math.nan])), "non-finite"),
    (lambda c: setattr(c, "y", (c.y + 1) / 2), "labels must be in {-1, +1}"),
    (lambda c: c.theta.__setitem__("layers.0.weight", torch.zeros(2, 1, dtype=torch.float64)), "shape [2, 1], expected [1, 1]"),
    (lambda c: c.theta.__setitem__("layers.9.weight", torch.zeros(1)), "unknown parameters ['layers.9.weight']"),
    (lambda c: c.theta.pop("layers.1.bias"), "missing parameters ['layers.1.bias']"),
    (lambda c: setattr(c, "X", torch.zeros(4, 3, dtype=torch.float64)), "input_dim is 1"),
    (lambda c: setattr(c, "y", c.y[:3]), "4 rows but y has 3"),
    (lambda c: c.setting["network"].__setitem__("neuron", "relu6"), "unknown neuron 'relu6'"),
    (lambda c: c.setting.__setitem__("loss", "huber"), "unknown loss 'huber'"),
    (lambda c: c.witness.__setitem__("layers.0.bias", torch.tensor([math.inf])), "witness.layers.0.bias: non-finite"),
])
def test_bad_inputs_are_invalid_with_a_reason(mutate, needle):
    claim = zoo.a1_dead_relu()
    mutate(claim)
    v = judge(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "invalid"
    assert any(needle in r for r in v.reasons), v.reasons


def test_bad_referee_config_is_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        RefereeConfig.from_mapping({"restars": 3})
    with pytest.raises(ValueError, match="polish_radius must be > 0"):
        RefereeConfig.from_mapping({"polish_radius": 0})


def test_minimum_at_a_kink_of_the_hinge_loss_is_accepted():
    """All units dead, output constant c* = 1 on the plain hinge's kink: autograd reports a slope,
    but both one-sided moves raise the loss (G(c) = 3·max(0, 1−c) + max(0, 1+c) has slopes −2, +1)."""
    from arena.claims import Claim

    X = torch.tensor([[-1.0], [-0.5], [0.5], [1.0]], dtype=torch.float64)
    y = torch.tensor([-1.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    theta = {"layers.0.weight": torch.tensor([[1.0]], dtype=torch.float64),
             "layers.0.bias": torch.tensor([-5.0], dtype=torch.float64),
             "layers.1.weight": torch.tensor([[1.0]], dtype=torch.float64),
             "layers.1.bias": torch.tensor([1.0], dtype=torch.float64)}
    claim = Claim({"network": {"input_dim": 1, "hidden": [1]}, "loss": "hinge"}, X, y, theta)
    v = judge(claim, {"restarts": 16, "restart_steps": 500}, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    assert v.evidence["loss"] == 0.5 and v.evidence["grad_norm"] == 0.5 and v.evidence["nonsmooth"]


@pytest.mark.parametrize("name, verdict", [("all_dead_relu", "bad_local_min"), ("tanh_saddle", "not_local_min"),
                                           ("random_point", "not_local_min")])
def test_large_network_path_uses_lanczos_and_lbfgs(name, verdict):
    """Above hessian_exact_max_params the Hessian is never formed: Lanczos on Hessian-vector products."""
    v = judge(getattr(zoo, name)(), {**FAST, "hessian_exact_max_params": 3}, device="cpu")
    assert v.verdict == verdict, v.reasons
    assert v.evidence["polish_method"] == "lbfgs"
    if verdict == "bad_local_min" or name == "tanh_saddle":
        assert v.evidence["hessian_method"] == "lanczos"
        assert v.evidence["strict"] is None
    if name == "tanh_saddle":
        assert v.evidence["hessian_min_eig"] == pytest.approx(-3.0, abs=1e-8)
