"""Defenders: defended settings, guarantees with checkable assumptions, configs and entry points."""
import json
from importlib.metadata import entry_points

import numpy as np
import pytest
from hydra.utils import instantiate

from arena.contract import Attacker
from arena.attackers.dead_relu import DeadRelu
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.contract import Defender, Guarantee, assumptions
from arena.defenders.exp_neuron import ExpNeuron
from arena.defenders.none import NoDefense
from arena.defenders.softplus import Softplus

BASE = {"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"}


def _base(**changes):
    return Setting.from_config(BASE).replace(**changes) if changes else Setting.from_config(BASE)


def _separable(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, np.where(X @ np.array([1.0, -1.0]) + 0.2 > 0, 1.0, -1.0)


def _checks(guarantee, setting, X, y):
    results = guarantee.check(setting, X, y)
    assert list(results) == [a.label for a in guarantee.assumptions]
    for res in results.values():
        json.dumps(res.to_dict())  # evidence is JSON-ready
        assert res.evidence
    return {k: r.holds for k, r in results.items()}


def test_none_changes_nothing_and_promises_nothing():
    d = NoDefense()
    s = _base()
    assert d.kind == "none" and d.name == "none"
    assert d.defend(s) is s
    g = d.guarantee(s)
    assert g.promise is None and g.assumptions == [] and g.check(s, *_separable()) == {}


def test_softplus_defended_setting():
    s = _base(regularizer={"name": "l2", "weight": 1e-3})
    out = Softplus(beta=4.0).defend(s)
    expected = s.to_config()
    expected["network"]["neuron"] = {"name": "softplus", "beta": 4.0}
    assert out.to_config() == expected
    assert Softplus(beta=4.0).defend(out).to_config() == expected  # idempotent


def test_softplus_guarantee_lists_p1_assumptions_and_they_hold_on_separable_data():
    d = Softplus()
    g = d.guarantee(_base())
    assert g.promise == "no_bad_local_min" and "1803.00909" in g.paper
    assert [a.label for a in g.assumptions] == [
        "neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut", "loss_hinge_type",
        "loss_smooth(k=1)", "loss_non_increasing", "data_linearly_separable"]
    X, y = _separable()
    assert all(_checks(g, d.defend(_base()), X, y).values())


def test_softplus_guarantee_flags_each_broken_assumption():
    d = Softplus()
    X, y = _separable()
    pos = X[y > 0]
    X_bad = np.r_[X, (pos[:1] + pos[1:2]) / 2]  # a negative inside the positives' hull
    y_bad = np.r_[y, -1.0]
    held = _checks(d.guarantee(_base()), d.defend(_base()), X_bad, y_bad)
    assert [k for k, v in held.items() if not v] == ["data_linearly_separable"]
    logistic = _base(loss="logistic")
    held = _checks(d.guarantee(logistic), d.defend(logistic), X, y)
    assert [k for k, v in held.items() if not v] == ["loss_hinge_type"]
    deep = _base(hidden=[3, 3])
    held = _checks(d.guarantee(deep), d.defend(deep), X, y)
    assert [k for k, v in held.items() if not v] == ["single_hidden_layer_or_shortcut"]
    nobias = _base(bias=False)
    assert d.guarantee(nobias).assumptions[-1].name == "data_linearly_separable_through_origin"


def test_softplus_refuses_custom_networks_and_bad_beta():
    custom = Setting.from_config({"network": {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}})
    with pytest.raises(ValueError, match="custom network"):
        Softplus().defend(custom)
    with pytest.raises(ValueError, match="beta must be > 0"):
        Softplus(beta=0)


def test_exp_neuron_defended_setting_keeps_the_regularizer_and_is_idempotent():
    d = ExpNeuron(weight=0.2)
    plain = d.defend(_base())
    assert plain.mlp.exp_neuron and plain.regularizer == {"name": "exp_neuron_l2", "weight": 0.2}
    with_l2 = d.defend(_base(regularizer={"name": "l2", "weight": 1e-3}))
    assert with_l2.regularizer == [{"name": "l2", "weight": 1e-3}, {"name": "exp_neuron_l2", "weight": 0.2}]
    assert d.defend(with_l2).to_config() == with_l2.to_config()
    assert ExpNeuron(weight=0.5).defend(with_l2).regularizer[-1]["weight"] == 0.5
    assert set(plain.param_shapes) - set(_base().param_shapes) == {"exp.a", "exp.w", "exp.b"}
    with pytest.raises(ValueError, match="λ"):
        ExpNeuron(weight=0.0)


def test_exp_neuron_guarantee_on_the_a12_data():
    d = ExpNeuron()
    base = _base(input_dim=1, hidden=[2])
    g = d.guarantee(base)
    assert g.promise == "no_bad_local_min" and "1805.08671" in g.paper and "realizable" in g.notes
    names = [a.name for a in g.assumptions]
    assert names == ["has_exp_neuron", "exp_neuron_regularized", "loss_hinge_type", "loss_smooth",
                     "loss_non_increasing", "inputs_distinct", "realizable"]
    X, y = np.array([[-1.0], [0.0], [1.0]]), np.array([1.0, -1.0, 1.0])  # docs/catalogue.md A12: f = -1 + 2|x|
    results = g.check(d.defend(base), X, y)
    assert all(r.holds for r in results.values()), {k: r.evidence.get("reason") for k, r in results.items()}
    real = results[g.assumptions[-1].label]
    assert "+exp" not in real.evidence["network"] and real.evidence["data_loss"] == 0.0
    # the defense on the undefended setting: its own checks see what is missing
    held = _checks(g, base, X, y)
    assert not held["has_exp_neuron"] and not held["exp_neuron_regularized"]
    dup = np.array([[-1.0], [0.0], [0.0]])
    assert not g.check(d.defend(base), dup, np.array([1.0, -1.0, -1.0]))["inputs_distinct"].holds


def test_guarantee_serialises_and_validates():
    g = Softplus().guarantee(_base())
    back = Guarantee.from_dict(json.loads(json.dumps(g.to_dict())))
    assert [a.label for a in back.assumptions] == [a.label for a in g.assumptions]
    assert back.promise == g.promise and back.paper == g.paper
    with pytest.raises(ValueError, match="promise"):
        Guarantee("no_bad_anything")
    with pytest.raises(ValueError, match="twice"):
        Guarantee("no_bad_local_min", assumptions("inputs_distinct", "inputs_distinct"))


@pytest.mark.parametrize("plugin", [NoDefense(), Softplus(beta=2.0), ExpNeuron(weight=0.3)])
def test_config_rebuilds_the_defender(plugin):
    assert isinstance(plugin, Defender)
    cfg = plugin.config()
    assert instantiate(cfg) == plugin
    assert type(plugin).default_config()["_target_"] == cfg["_target_"]
    assert plugin.kind in ("neuron", "architecture", "loss", "regularizer", "combined", "none")


def test_entry_points_are_registered():
    defenders = {e.name: e.load() for e in entry_points(group="arena.defenders")}
    for name, cls in [("none", NoDefense), ("softplus", Softplus), ("exp_neuron", ExpNeuron)]:
        assert defenders.get(name) is cls and cls.name == name
    attackers = {e.name: e.load() for e in entry_points(group="arena.attackers")}
    assert attackers.get("dead_relu") is DeadRelu and isinstance(DeadRelu(), Attacker)


def test_dead_relu_against_the_defenders():
    """The match flow without the referee: defend, check applicability, attack, check assumptions."""
    base = _base()
    budget = Budget()
    # against the defenders dead_relu tries its closest analogue (saturated units, exp neuron off),
    # which the referee must reject (tests/attackers/test_dead_relu.py)
    assert DeadRelu().applies_to(Softplus().defend(base), Softplus().guarantee(base)) == (True, "")
    assert DeadRelu().applies_to(ExpNeuron().defend(base), ExpNeuron().guarantee(base)) == (True, "")
    none = NoDefense()
    (claim,) = DeadRelu().attack(none.defend(base), none.guarantee(base), budget, seed=0)
    # the claim's data satisfy the softplus guarantee's data assumption: only the neuron differs
    held = _checks(Softplus().guarantee(base), base, claim.X, claim.y)
    assert held["data_linearly_separable"] and held["loss_hinge_type"]
    assert not held["neuron_increasing"] and not held["neuron_strictly_convex"]
