"""What the pictures plot: each picture's data checked against the verdict and the claim."""
from __future__ import annotations

import json

import pytest
import torch

from arena.claims import load_claim
from arena.landscape.setting import Setting
from arena.report import data as D
from tests.arena.report.conftest import match


def _fig(match_dir, name):
    return json.loads((match_dir / f"fig_{name}.json").read_text())


def test_segment_ends_at_the_verdicts_losses(tiny):
    m = match(tiny, "dead_relu", "none")
    verdict = json.loads((m / "verdict.json").read_text())
    seg = _fig(m, "segment")
    assert verdict["verdict"] == "bad_local_min" and seg["target"] == "witness"
    t, loss = seg["t"], seg["loss"]
    assert t[0] == -0.25 and t[-1] == 1.25
    assert loss[t.index(0.0)] == pytest.approx(verdict["loss"], abs=1e-12)
    assert loss[t.index(1.0)] == pytest.approx(verdict["best_loss"], abs=1e-12)
    # the dead-unit blind spot: 4 samples (2+, 2-) at the best constant, L = 4/12 (quadratic hinge)
    assert verdict["loss"] == pytest.approx(1 / 3, abs=1e-12) and verdict["best_loss"] == pytest.approx(0.0, abs=1e-12)
    # the witness's loss, recomputed from the claim file alone
    claim = load_claim(m / "claim.json")
    setting = Setting.from_config(claim.setting)
    w = {k: v.double() for k, v in claim.witness.items()}
    assert float(setting.empirical_loss(w, claim.X.double(), claim.y.double())) == pytest.approx(seg["loss_target"], abs=1e-12)
    assert max(loss) > verdict["loss"]  # the barrier between the minimum and the witness


def test_slice_centre_is_the_claim_and_marks_descent(tiny):
    m = match(tiny, "dead_relu", "none")
    verdict = json.loads((m / "verdict.json").read_text())
    sl = _fig(m, "slice")
    i, j = sl["beta"].index(0.0), sl["alpha"].index(0.0)
    assert sl["loss"][i][j] == pytest.approx(verdict["loss"], abs=1e-12)
    assert sl["loss"][i][sl["alpha"].index(1.0)] == pytest.approx(verdict["best_loss"], abs=1e-12)
    assert sl["descent_marks"] == []  # a verified minimum: no probe found descent
    assert "filter-normalised" in sl["axis_b"]
    # a saddle: the slice's second axis is the negative-curvature direction and descent probes are marked
    saddle = _fig(match(tiny, "dead_relu", "exp_neuron"), "slice")
    assert saddle["axis_b"].startswith("most negative Hessian direction")
    assert saddle["descent_marks"]


def test_probes_per_family_and_the_referees_numbers(tiny):
    m = match(tiny, "dead_relu", "exp_neuron")
    verdict = json.loads((m / "verdict.json").read_text())
    pr = _fig(m, "probes")
    assert pr["referee"]["min_delta"] == [p["min_delta"] for p in verdict["evidence"]["probes"]]
    assert pr["radii"] == [p["radius"] for p in verdict["evidence"]["probes"]]
    neg = pr["families"]["hessian_negative"]
    assert all(d < 0 for d in neg)
    # along an eigenvector with λ < 0, ΔL = λ r² / 2 + O(r³): a power-2 law with c = |λ| / 2
    assert pr["fits"]["hessian_negative"]["power"] == pytest.approx(2.0, abs=0.02)
    half = abs(verdict["hessian_min_eig"]) / 2
    for r, d in zip(pr["radii"], neg):
        if r <= 1e-4:
            assert -d / r**2 == pytest.approx(half, rel=1e-3)
    # the switched-off exponential neuron is probed as a gated unit (turn first, then pay)
    assert verdict["evidence"]["gated_units"] == ["exp"] and len(pr["families"]["gated"]) == len(pr["radii"])


def test_spectrum_and_path_data(tiny):
    m = match(tiny, "dead_relu", "none")
    verdict = json.loads((m / "verdict.json").read_text())
    sp = _fig(m, "spectrum")
    assert sp["method"] == "exact" and len(sp["eigenvalues"]) == verdict["evidence"]["num_params"] == 17
    assert sp["flat_directions"] == verdict["evidence"]["flat_directions"]
    assert min(sp["eigenvalues"]) == pytest.approx(verdict["hessian_min_eig"], abs=1e-9)
    p = match(tiny, "path_to_infinity", "exp_neuron")
    ev = json.loads((p / "verdict.json").read_text())["evidence"]
    path = _fig(p, "path")
    assert path["loss"][0] == pytest.approx(ev["loss_start"], abs=1e-12)
    assert path["loss"][-1] == pytest.approx(ev["loss"], abs=1e-12) and ev["loss"] == pytest.approx(2 / 3, abs=1e-9)
    # the referee also evaluates a closed form past its last t, so its norm_end lies further out
    assert path["norm"][0] == pytest.approx(ev["norm_start"], rel=1e-12)
    assert path["norm"][0] < path["norm"][-1] <= ev["norm_end"] * (1 + 1e-12)
    assert all(b <= a + 1e-12 for a, b in zip(path["loss"], path["loss"][1:]))  # non-increasing
    assert not (p / "fig_segment.png").exists()  # pictures of a local minimum only where they apply


def test_decision_function_on_2d_inputs(tiny):
    m = match(tiny, "dead_relu", "none")
    dec = _fig(m, "decision")
    claim = load_claim(m / "claim.json")
    assert dec["dim"] == 2 and dec["X"] == claim.X.double().tolist()
    f = torch.tensor(dec["f_claim"])
    assert f.shape == (81, 81) and dec["target"] == "witness"
    # at the dead-unit minimum the output is constant (c* = 0) on a whole region: a flat area
    assert (f.abs() < 1e-12).float().mean() > 0.1
    assert (torch.tensor(dec["f_target"]).abs() < 1e-12).float().mean() < 0.01


def test_filter_normalisation_scales_each_unit_to_its_weight_norm():
    setting = Setting.from_config({"network": {"input_dim": 3, "hidden": [4, 2], "neuron": "relu"},
                                   "loss": "quadratic_hinge"})
    g = torch.Generator().manual_seed(0)
    v = torch.randn(setting.num_params, generator=g, dtype=torch.float64)
    d = torch.randn(setting.num_params, generator=g, dtype=torch.float64)
    units = D.units(setting)
    flat = sorted(i for _, idx in units for i in idx)
    assert flat == list(range(setting.num_params))  # a partition of the parameters
    assert [n for n, _ in units][:4] == ["layers.0[0]", "layers.0[1]", "layers.0[2]", "layers.0[3]"]
    assert len(units[0][1]) == 4  # 3 incoming weights and the bias
    fn = D.filter_normalise(setting, d, v)
    for _, idx in units:
        assert float(fn[idx].norm()) == pytest.approx(float(v[idx].norm()), rel=1e-12)
        cos = float(fn[idx] @ d[idx]) / float(fn[idx].norm() * d[idx].norm())
        assert cos == pytest.approx(1.0, abs=1e-12)
    d[units[1][1]] = 0.0
    assert float(D.filter_normalise(setting, d, v)[units[1][1]].norm()) == 0.0
