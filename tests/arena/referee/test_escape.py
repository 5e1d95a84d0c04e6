"""Higher-order escapes: fitted over at least three radii with an order the network can produce;
otherwise `inconclusive`, never a guess."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from arena.claims import Claim, save_claim, zoo
from arena.landscape.setting import Setting
from arena.referee.judge import judge
from arena.referee.steps.escape import classify_escape, max_escape_order

TOL = 1e-12


def series(deltas: dict[float, float]) -> list[tuple[float, float, bool]]:
    return [(r, d, d < -TOL) for r, d in sorted(deltas.items(), reverse=True)]


def test_two_radii_steep_drop_is_not_an_escape():
    """ΔL = −3e−3 at r = 0.1, −2e−10 at r = 0.01, nothing below: r^7.2 from two points."""
    call = classify_escape(series({0.1: -3e-3, 0.01: -2e-10, 1e-3: -1e-16, 1e-4: 0.0}), TOL, max_order=4)
    assert call.kind == "inconclusive"
    assert "at least 3 radii" in call.reason


def test_order_beyond_the_architecture_is_inconclusive():
    """Three radii on a clean r^7 law: more than a 1-hidden-layer net (order <= 4) produces."""
    pts = {r: -0.5 * r**7 for r in (0.2, 0.1, 0.05)}  # 3.9e-10 at 0.05: r^4 would give 2.4e-11 at 0.025
    call = classify_escape(series({**pts, 0.025: -1e-14}), TOL, max_order=4)
    assert call.kind == "inconclusive" and call.order == pytest.approx(7.0)


def test_clean_admissible_power_below_resolution_is_an_escape():
    pts = {r: -2.0 * r**4 for r in (0.1, 0.046, 0.0215, 0.01)}  # 2e-8 at r = 0.01
    call = classify_escape(series({**pts, 0.001: -1e-15}), TOL, max_order=4)
    assert call.kind == "escape" and call.order == pytest.approx(4.0)


def test_descent_stopping_where_any_order_would_show_is_a_basin_edge():
    """A small basin next to a lower one: descent at 0.1 and 0.03 only, while an r^4 law would still
    give 3e−6·(0.01/0.03)^4 ≈ 4e−8 at 0.01."""
    call = classify_escape(series({0.1: -2e-3, 0.03: -3e-6, 0.01: 0.0}), TOL, max_order=4)
    assert call.kind == "basin_edge"


@pytest.mark.parametrize("net, order", [({"hidden": [3]}, 4), ({"hidden": [2, 2]}, 6),
                                        ({"hidden": [2], "exp_neuron": True}, 4), ({"hidden": []}, 2)])
def test_max_escape_order_follows_the_depth(net, order):
    s = Setting.from_config({"network": {"input_dim": 2, **net}})
    assert max_escape_order(s) == order


def cubic_saddle() -> Claim:
    """f = w₃·w₂·w₁·x (linear units, no biases) at the origin: gradient and Hessian vanish, and
    L(δ) = L(0) − c·δ₁δ₂δ₃ + O(δ⁶) with c = mean(ℓ'(0) y x)·(−1) = 1.25 ≠ 0: a third-order saddle."""
    X = torch.tensor([[-1.0], [0.5], [2.0], [3.0]], dtype=torch.float64)
    y = torch.tensor([-1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    theta = {"layers.0.weight": torch.zeros(1, 1, dtype=torch.float64), "layers.1.weight": torch.zeros(1, 1, dtype=torch.float64),
             "layers.2.weight": torch.zeros(1, 1, dtype=torch.float64)}
    setting = {"network": {"input_dim": 1, "hidden": [1, 1], "neuron": "linear", "bias": False}, "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta)


def test_third_order_saddle_is_caught_as_an_escape():
    v = judge(cubic_saddle(), {"restarts": 0, "probe_random": 64}, device="cpu")
    assert v.evidence["grad_norm"] == 0.0 and abs(v.evidence["hessian_min_eig"]) < 1e-12
    assert v.verdict == "not_local_min", v.reasons
    assert v.evidence["escape"]["kind"] == "escape"
    assert v.evidence["escape"]["order"] == pytest.approx(3.0, abs=0.3)


def test_verify_seed_replays_the_same_evidence(tmp_path):
    path = save_claim(zoo.relu_on_kink(), tmp_path / "claim")
    cmd = [sys.executable, "-m", "arena", "verify", str(path), "--json", "--seed", "12345",
           "--set", "restarts=0", "--set", "probe_random=32", "--device", "cpu"]
    runs = [json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout) for _ in range(2)]
    assert runs[0]["tolerances"]["seed"] == 12345 and runs[0]["evidence"]["probe_seed"] == 12345
    for run in runs:
        run["evidence"].pop("timings")
    assert runs[0]["evidence"] == runs[1]["evidence"]
