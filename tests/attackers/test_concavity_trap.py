"""concavity_trap attacker (docs/catalogue.md A5): L* = 8/9 (p = 2) and 0.915055335 (p = 3), training error 1/3,
on data (+, −, +) that are NOT linearly separable; the V-shaped witness reaches zero loss."""
import math
from pathlib import Path

import pytest
import torch
import yaml

from arena.contract import Budget
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.concavity_trap import ConcavityTrap

CONF = Path(__file__).resolve().parents[2] / "conf" / "attacker" / "concavity_trap.yaml"
P3 = {"name": "poly_hinge", "p": 3}


def _setting(neuron="softplus", loss="quadratic_hinge", **net):
    return Setting.from_config({"network": {"input_dim": 1, "hidden": [2], "neuron": neuron, **net}, "loss": loss})


@pytest.mark.parametrize("neuron", ["softplus", "exponential", "softplus_linear"])
@pytest.mark.parametrize("loss,c_star,value", [("quadratic_hinge", 1 / 3, 8 / 9),
                                               (P3, 3 - 2 * math.sqrt(2), 0.915055335)])
def test_notes_numbers_and_referee_verdict(neuron, loss, c_star, value):
    s = _setting(neuron, loss)
    (claim,) = ConcavityTrap().attack(s, None, Budget(), seed=0)
    assert claim.X.flatten().tolist() == [-1.0, 0.0, 1.0] and claim.y.tolist() == [1.0, -1.0, 1.0]
    f = s.output(claim.theta, claim.X)
    assert f.tolist() == pytest.approx([c_star] * 3, abs=1e-14)
    assert float(claim.theta["layers.0.weight"].abs().max()) == 0.0  # all w_j = 0
    assert float(claim.theta["layers.1.weight"].max()) < 0  # all output weights negative
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(value, abs=1e-9)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == pytest.approx(1 / 3)
    assert claim.extra["data_linearly_separable"] is False
    assert float(s.empirical_loss(claim.witness, claim.X, claim.y)) == 0.0
    assert float(claim.witness["layers.1.weight"].min()) > 0  # the V: positive output weights
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "bad_local_min", verdict.summary()
    assert verdict.evidence["gap"] == pytest.approx(value, abs=1e-9)
    assert verdict.evidence["train_error"] == pytest.approx(1 / 3)


def test_kkt_certificate_numbers():
    s = _setting()
    (claim,) = ConcavityTrap().attack(s, None, Budget(), seed=1)
    info = claim.extra["construction"]
    # quadratic hinge: ℓ'(m) = −2(1 − m), so ℓ'(1/3) = −4/3 and μ = −ℓ'(c*)/3 = 4/9 ≥ 0
    assert info["loss_slope_at_c_star"] == pytest.approx(-4 / 3, abs=1e-14)
    assert info["kkt_multiplier"] == pytest.approx(4 / 9, abs=1e-14)
    assert info["second_difference"] == pytest.approx(0.0, abs=1e-14)
    assert info["constant_fit_slope"] == pytest.approx(0.0, abs=1e-14)
    assert claim.extra["construction"]["separability_evidence"]["margin"] <= 0


def test_random_perturbations_do_not_lower_the_loss():
    s = _setting(hidden=[3])
    (claim,) = ConcavityTrap().attack(s, None, Budget(), seed=2)
    base = float(s.empirical_loss(claim.theta, claim.X, claim.y))
    gen = torch.Generator().manual_seed(0)
    flat = s.flatten(claim.theta)
    dirs = torch.randn(20000, flat.numel(), generator=gen, dtype=torch.float64)
    dirs = dirs / dirs.norm(dim=1, keepdim=True) * 0.3 * torch.rand(20000, 1, generator=gen, dtype=torch.float64)
    assert float(s.empirical_loss(s.unflatten(flat + dirs), claim.X, claim.y).min()) - base >= -1e-12


def test_one_unit_trap_still_has_a_lower_witness():
    s = _setting(hidden=[1])
    (claim,) = ConcavityTrap().attack(s, None, Budget(), seed=0)
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(8 / 9, abs=1e-14)
    # a monotone unit cannot fit (+, −, +): the witness is a step near the infimum 2/3
    witness_loss = float(s.empirical_loss(claim.witness, claim.X, claim.y))
    assert 2 / 3 <= witness_loss < 0.7
    assert judge(claim, {"restarts": 0}, device="cpu").verdict == "bad_local_min"


def test_wider_input_skip_and_logistic_loss():
    s = _setting(loss="logistic", input_dim=3, hidden=[4], skip=True)
    (claim,) = ConcavityTrap().attack(s, None, Budget(), seed=3)
    assert claim.X.shape == (3, 3) and claim.X[:, 1:].abs().max() == 0
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(
        math.log(3) - 2 / 3 * math.log(2), abs=1e-14)
    assert judge(claim, {"restarts": 0}, device="cpu").verdict == "bad_local_min"


@pytest.mark.parametrize("change,reason", [
    ({"neuron": "relu"}, "neuron relu is not strictly convex"),
    ({"neuron": "sigmoid"}, "neuron sigmoid is not strictly convex"),
    ({"hidden": [2, 2]}, "hidden widths [2, 2]"),
    ({"exp_neuron": True, "special_neuron": "relu"}, "relu skip neuron"),
    ({"multiplicative_exp": True}, "multiplicative pair"),
    ({"bias": False}, "no biases"),
    ({"loss": "hinge"}, "loss hinge is not convex and C¹"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
])
def test_applies_to_says_why_not(change, reason):
    s = _setting().replace(**change)
    ok, why = ConcavityTrap().applies_to(s, None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        ConcavityTrap().attack(s, None, Budget(), seed=0)


def test_config_file_rebuilds_the_attacker():
    from hydra.utils import instantiate

    lines = CONF.read_text().splitlines()
    assert lines[0].startswith("# python -m arena attacker=concavity_trap ") and lines[1].startswith("# ")
    node = yaml.safe_load(CONF.read_text())
    assert node.pop("name") == "concavity_trap"
    assert node == ConcavityTrap.default_config() and instantiate(node) == ConcavityTrap()
    with pytest.raises(ValueError, match="steepness"):
        ConcavityTrap(steepness=0)
