"""squared_loss_trap attacker (docs/catalogue.md A2): the catalogue's numbers, and the referee's ``not_bad``.

The point is a strict minimum in (a₀, c = a e^b, w) with a misclassified sample, but it is (numerically)
the GLOBAL minimum of the squared loss: the zero-error witness has a higher loss. Classification-bad,
not value-bad, so the referee (which measures badness by loss) must say ``not_bad``.
"""
from pathlib import Path

import pytest
import yaml

from arena.contract import Budget
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.squared_loss_trap import SquaredLossTrap

CONF = Path(__file__).resolve().parents[2] / "conf" / "attacker" / "squared_loss_trap.yaml"
BASE = {"network": {"input_dim": 1, "hidden": [1], "neuron": "exponential"}, "loss": "squared"}


def _setting(**changes):
    return Setting.from_config(BASE).replace(**changes)


@pytest.fixture(scope="module")
def claim():
    (c,) = SquaredLossTrap(restarts=10).attack(_setting(), None, Budget(), seed=0)
    return c


def test_notes_numbers(claim):
    s = _setting()
    info = claim.extra["construction"]
    assert claim.X.flatten().tolist() == [-1.9, -0.9, -0.8, 0.5, 2.7]
    assert claim.y.tolist() == [-1, -1, 1, 1, 1]
    notes = (1.22830965223, -0.63842488012, -0.677288619322)  # (a₀, c, w) of docs/catalogue.md A2
    assert (info["a0"], info["c"], info["w"]) == pytest.approx(notes, abs=1e-10)
    assert info["reduced_grad_norm"] < 1e-14
    assert float(s.empirical_loss(claim.theta, claim.X, claim.y)) == pytest.approx(0.38807835237138, abs=1e-13)
    assert info["reduced_hessian_eigenvalues"] == pytest.approx([0.09999, 1.5172, 16.998], rel=2e-4)
    f = s.output(claim.theta, claim.X).tolist()
    assert f == pytest.approx([-1.0837, 0.0538, 0.1308, 0.7733, 1.1258], abs=1e-4)
    assert float(s.train_error(claim.theta, claim.X, claim.y)) == pytest.approx(1 / 5)  # x = −0.9 has f > 0


def test_witness_fits_the_labels_but_has_higher_squared_loss(claim):
    s = _setting()
    w = claim.witness
    assert float(w["layers.1.weight"] * w["layers.0.bias"].exp()) == pytest.approx(2.718281828459045 ** 4.25)
    assert float(s.train_error(w, claim.X, claim.y)) == 0.0
    assert float(s.empirical_loss(w, claim.X, claim.y)) > 1e10 * 0.38807835237138
    info = claim.extra["construction"]
    assert info["linearly_separable"] is True
    assert info["value_bad"] is False and info["classification_bad"] is True
    assert info["multistart_best_loss"] >= 0.38807835237138 - 1e-10  # nothing lower from 10 restarts


def test_referee_says_not_bad(claim):
    verdict = judge(claim, {"restarts": 0}, device="cpu")
    assert verdict.verdict == "not_bad", verdict.summary()
    ev = verdict.evidence
    assert ev["loss"] == pytest.approx(0.38807835237138, abs=1e-12)
    assert ev["gap"] == pytest.approx(0.0, abs=1e-12)
    assert ev["witness_loss"] > ev["loss"] and ev["witness_train_error"] == 0.0
    assert ev["train_error"] == pytest.approx(0.2)
    assert ev["flat_directions"] == 1  # the orbit a·e^b = c
    assert abs(ev["hessian_min_eig"]) < 1e-7


@pytest.mark.parametrize("change,reason", [
    ({"neuron": "softplus"}, "neuron softplus is not exponential"),
    ({"input_dim": 2}, "input_dim is 2"),
    ({"hidden": [2]}, "hidden widths [2]"),
    ({"loss": "quadratic_hinge"}, "loss quadratic_hinge is not squared"),
    ({"skip": True}, "linear skip"),
    ({"exp_neuron": True}, "exponential skip neuron"),
    ({"multiplicative_exp": True}, "multiplicative pair"),
    ({"regularizer": {"name": "l2", "weight": 1e-3}}, "regularizer ['l2']"),
])
def test_applies_to_says_why_not(change, reason):
    s = _setting(**change)
    ok, why = SquaredLossTrap().applies_to(s, None)
    assert ok is False and reason in why
    with pytest.raises(ValueError, match="does not apply"):
        SquaredLossTrap().attack(s, None, Budget(), seed=0)


def test_config_file_rebuilds_the_attacker():
    from hydra.utils import instantiate

    lines = CONF.read_text().splitlines()
    assert lines[0].startswith("# python -m arena attacker=squared_loss_trap ") and lines[1].startswith("# ")
    node = yaml.safe_load(CONF.read_text())
    assert node.pop("name") == "squared_loss_trap"
    assert node == SquaredLossTrap.default_config() and instantiate(node) == SquaredLossTrap()
