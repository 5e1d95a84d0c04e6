"""Verdicts do not depend on the parametrization: rescaled units, permuted units and samples,
float32 storage. Also strictness modulo the rescaling symmetry, and the fresh probe seed."""
from __future__ import annotations

import pytest
import torch

from arena.claims import Claim, zoo
from arena.game.match import scope_gaps
from arena.contract import Guarantee
from arena.referee.judge import judge

f64 = torch.float64
QUICK = {"restarts": 0, "probe_random": 64}


def relu_saddle(scale: float = 1.0) -> Claim:
    """1-1-1 ReLU net, unit relu(x) live on x = 1, 3, 4, output weight 0, output bias 0 = mean(y).

    Quadratic hinge at margin 0: ℓ' = −2, ℓ'' = 2. ∂L/∂a = mean(−2 y relu(x)) = −2(1 + 3 − 4)/4 = 0,
    so the gradient is 0; the Hessian block in (a, b, c) is [[mean 2 relu(x)², mean −2 y 1(x > 0),
    mean 2 relu(x)], [·, 0, 0], [·, 0, mean 2]] = [[13, −0.5, 4], [−0.5, 0, 0], [4, 0, 2]], with a
    negative eigenvalue ≈ −0.048: a saddle.
    ``scale`` rescales the unit (incoming × scale; the outgoing weight 0 stays 0).
    """
    X = torch.tensor([[-1.0], [1.0], [3.0], [4.0]], dtype=f64)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=f64)
    theta = {"layers.0.weight": torch.tensor([[1.0 * scale]], dtype=f64), "layers.0.bias": torch.tensor([0.0], dtype=f64),
             "layers.1.weight": torch.tensor([[0.0]], dtype=f64), "layers.1.bias": torch.tensor([0.0], dtype=f64)}
    return Claim({"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": "quadratic_hinge"}, X, y, theta)


def rescale_unit(claim: Claim, c: float) -> Claim:
    """Unit 0 of a one-hidden-layer claim: incoming × c, outgoing ÷ c (the same network function)."""
    theta = {k: v.clone() for k, v in claim.theta.items()}
    theta["layers.0.weight"][0] *= c
    theta["layers.0.bias"][0] *= c
    theta["layers.1.weight"][:, 0] /= c
    return Claim(claim.setting, claim.X, claim.y, theta, witness=claim.witness)


@pytest.mark.parametrize("scale", [1.0, 1e4, 1e-4])
def test_rescaled_relu_saddle_stays_a_saddle(scale):
    v = judge(relu_saddle(scale), QUICK, device="cpu")
    assert v.verdict == "not_local_min", v.reasons
    assert v.evidence["grad_norm"] < 1e-12
    # judged at the canonical point: incoming norm 1 (the output weight is 0), whatever the claim's scale
    assert v.evidence["canonical"]["unit_scales"]["layers.0"] == [pytest.approx(1 / scale)]
    block = torch.tensor([[13.0, -0.5, 4.0], [-0.5, 0.0, 0.0], [4.0, 0.0, 2.0]], dtype=f64)
    assert v.evidence["hessian_min_eig"] == pytest.approx(float(torch.linalg.eigvalsh(block)[0]), rel=1e-6)
    assert v.evidence["hessian_min_eig"] < -0.04
    assert any("saddle" in r for r in v.reasons)


@pytest.mark.parametrize("c", [1.0, 1e4, 1e-4])
def test_rescaled_bad_minimum_stays_bad(c):
    claim = rescale_unit(zoo.a1_dead_relu(), c)
    v = judge(claim, QUICK, device="cpu")
    assert v.verdict == "bad_local_min", v.reasons
    assert v.evidence["loss"] == pytest.approx(2 / 3, abs=1e-12)
    # the polished point comes back in the claim's coordinates
    assert float(v.polished["layers.0.weight"]) == pytest.approx(c, rel=1e-6)


def test_permuted_and_float32_minimum_gets_the_same_verdict():
    base = zoo.all_dead_relu(hidden=4)
    g = torch.Generator().manual_seed(3)
    units, samples = torch.randperm(4, generator=g), torch.randperm(base.X.shape[0], generator=g)
    theta = {"layers.0.weight": base.theta["layers.0.weight"][units], "layers.0.bias": base.theta["layers.0.bias"][units],
             "layers.1.weight": base.theta["layers.1.weight"][:, units], "layers.1.bias": base.theta["layers.1.bias"]}
    moved = Claim(base.setting, base.X[samples].float(), base.y[samples].float(), {k: v.float() for k, v in theta.items()})
    a, b = judge(base, {**QUICK, "seed": 5}, device="cpu"), judge(moved, {**QUICK, "seed": 5}, device="cpu")
    assert a.verdict == b.verdict == "not_bad"  # restarts = 0 and no witness: no lower loss known
    assert a.evidence["loss"] == pytest.approx(b.evidence["loss"], abs=1e-7)
    pa, pb = a.evidence["canonical"]["point"], b.evidence["canonical"]["point"]  # the same canonical point,
    for k in pa:  # up to float32 rounding of the stored claim
        assert torch.tensor(pa[k]) == pytest.approx(torch.tensor(pb[k]), abs=1e-6)


def linear_fit_minimum() -> Claim:
    """f = a·relu(w·x) (no biases), squared loss; every sample live and a·w = β = (1/4, 1/4), the
    least-squares fit of y = [1, 1, −1, 1, 1] on X (L = 0.7). Strict modulo the rescaling orbit
    (the loss sees only β, with Hessian (2/n)XᵀX ≻ 0) but not strict in the plain sense."""
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 2.0]], dtype=f64)
    y = torch.tensor([1.0, 1.0, -1.0, 1.0, 1.0], dtype=f64)
    theta = {"layers.0.weight": torch.tensor([[0.5, 0.5]], dtype=f64), "layers.1.weight": torch.tensor([[0.5]], dtype=f64)}
    setting = {"network": {"input_dim": 2, "hidden": [1], "neuron": "relu", "bias": False}, "loss": "squared"}
    return Claim(setting, X, y, theta)


def test_strictness_modulo_symmetry_and_the_promise_that_uses_it():
    v = judge(linear_fit_minimum(), QUICK, device="cpu")
    e = v.evidence
    assert e["loss"] == pytest.approx(0.7, abs=1e-12)
    assert e["strict"] is False and e["flat_directions"] == 1  # the rescaling orbit
    assert e["symmetry_directions"] == 1
    assert e["strict_modulo_symmetry"] is True and e["flat_directions_modulo_symmetry"] == 0
    assert e["hessian_min_eig_modulo_symmetry"] > 1e-3
    v.evidence["verdict"] = "bad_local_min"
    plain = Guarantee("no_bad_strict_local_min")
    modulo = Guarantee("no_bad_strict_local_min", strictness="modulo_symmetry")
    claim = linear_fit_minimum()
    assert scope_gaps(plain, claim, v) == ["promise_covers_non_strict_minima"]
    assert scope_gaps(modulo, claim, v) == []
    assert Guarantee.from_dict(modulo.to_dict()).strictness == "modulo_symmetry"
    with pytest.raises(ValueError, match="strictness"):
        Guarantee("no_bad_strict_local_min", strictness="setwise-ish")


def test_dead_unit_directions_are_not_symmetries():
    """a1: the unit is live on x = 2 only, where the margin is past the hinge (zero loss): the loss
    sees only the output bias, so besides the rescaling orbit two more directions are flat, both in
    the unit's weights (e.g. moving (w, b) with 2w + b fixed), and they are reported by name."""
    v = judge(zoo.a1_dead_relu(), QUICK, device="cpu")
    e = v.evidence
    assert e["symmetry_directions"] == 1 and e["strict_modulo_symmetry"] is False
    assert e["flat_directions"] == 3 and e["flat_directions_modulo_symmetry"] == 2
    assert len(e["flat_beyond_symmetry"]) == 2
    assert all(set(f) <= {"layers.0.weight", "layers.0.bias", "layers.1.weight"} for f in e["flat_beyond_symmetry"])


def test_probe_seed_is_fresh_recorded_and_replayable():
    claim = zoo.relu_on_kink()
    a, b = judge(claim, QUICK, device="cpu"), judge(claim, QUICK, device="cpu")
    assert a.tolerances["seed"] != b.tolerances["seed"]  # 63 random bits each
    assert a.evidence["probe_seed"] == a.tolerances["seed"]
    replay = judge(claim, {**QUICK, "seed": a.tolerances["seed"]}, device="cpu")
    assert replay.evidence["probes"] == a.evidence["probes"]
