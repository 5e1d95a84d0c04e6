"""The catalogue defenders (docs/catalogue.md D1-D7, A13, A14): defended configs, idempotence, guarantees with
their papers, assumption checks with evidence, and the checks' verdicts on telling data."""
from __future__ import annotations

import re

import importlib
import json
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra.utils import instantiate

from arena.landscape.setting import Setting
from arena.contract import Defender
from arena.defenders.exp_neuron import ExpNeuron
from arena.defenders.exp_neuron_noreg import ExpNeuronNoReg
from arena.defenders.linear import Linear
from arena.defenders.multiplicative_exp import MultiplicativeExp
from arena.defenders.poly_hinge import PolyHinge
from arena.defenders.relu_special_neuron import ReluSpecialNeuron
from arena.defenders.shortcut import Shortcut
from arena.defenders.smooth_neuron import SmoothNeuron
from arena.defenders.wide_generic_l2 import WideGenericL2
from arena.defenders.wide_last_layer import WideLastLayer
from arena.defenders.wider_by_one import WiderByOne

ROOT = Path(__file__).resolve().parents[2]
BASE = {"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"}
CUSTOM = {"network": {"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}}

# name -> (class, kind, promise, arXiv id, assumption labels, the base's changes defend makes)
CATALOGUE = {
    "smooth_neuron": (SmoothNeuron, "neuron", "no_bad_local_min", "1803.00909",
                      ["neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut",
                       "loss_hinge_type", "loss_smooth(k=1)", "loss_non_increasing", "data_linearly_separable"],
                      {"neuron": {"name": "softplus_linear", "beta": 1.0, "c": 0.1}}),
    "shortcut": (Shortcut, "architecture", "no_bad_local_min", "1803.00909",
                 ["has_linear_shortcut", "loss_hinge_type", "loss_smooth(k=1)", "loss_non_increasing",
                  "data_linearly_separable"],
                 {"skip": True}),
    "poly_hinge": (PolyHinge, "loss", "no_bad_local_min", "1803.00909",
                   ["neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut",
                    "loss_hinge_type", "loss_smooth(k=2)", "loss_non_increasing", "data_linearly_separable"],
                   {"loss": {"name": "poly_hinge", "p": 3.0}}),
    "exp_neuron_noreg": (ExpNeuronNoReg, "combined", "no_bad_local_min", "1805.08671",
                         ["has_exp_neuron", "exp_neuron_regularized", "loss_hinge_type", "loss_smooth(k=1)",
                          "loss_non_increasing", "inputs_distinct",
                          "realizable(base_network=True,restarts=8,steps=1500)"],
                         {"exp_neuron": True}),
    "relu_special_neuron": (ReluSpecialNeuron, "combined", "no_bad_local_min", "1805.08671",
                            ["has_exp_neuron", "special_neuron_exponential", "exp_neuron_regularized",
                             "loss_hinge_type", "loss_smooth(k=1)", "loss_non_increasing", "inputs_distinct",
                             "realizable(base_network=True,restarts=8,steps=1500)"],
                            {"exp_neuron": True, "special_neuron": "relu",
                             "regularizer": {"name": "exp_neuron_l2", "weight": 0.1}}),
    "multiplicative_exp": (MultiplicativeExp, "regularizer", "no_bad_local_min", "1901.03909",
                           ["objective_min_zero(restarts=8,steps=1500)", "multiplicative_exp_regularized"],
                           {"multiplicative_exp": True,
                            "regularizer": {"name": "multiplicative_exp_l2", "weight": 0.1}}),
    "wide_generic_l2": (WideGenericL2, "combined", "no_bad_path_to_infinity", "1912.13472",
                        ["last_hidden_width_at_least_n", "regularizer_coercive", "loss_convex"],
                        {"hidden": [32], "regularizer": {"name": "generic_l2", "low": 1e-4, "high": 1e-2, "seed": 0}}),
    "wide_last_layer": (WideLastLayer, "architecture", "no_bad_strict_local_min", "1812.11039",
                        ["last_hidden_width_at_least_n", "inputs_distinct_in_one_coordinate", "loss_convex",
                         "neuron_continuous"],
                        {"hidden": [32]}),
    "wider_by_one": (WiderByOne, "architecture", None, "1712.08968", [], {"hidden": [5]}),
    "linear": (Linear, "neuron", "no_bad_local_min", "1712.01473",
               ["neuron_linear", "loss_convex", "loss_smooth(k=1)", "unregularized"],
               {"neuron": "linear"}),
}


def _base(**changes) -> Setting:
    s = Setting.from_config(BASE)
    return s.replace(**changes) if changes else s


def _expected(changes: dict) -> dict:
    cfg = _base().to_config()
    for key, value in changes.items():
        if key in ("loss", "regularizer"):
            cfg[key] = value
        else:
            cfg["network"][key] = value
    return cfg


def _separable(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, np.where(X @ np.array([1.0, -1.0]) + 0.2 > 0, 1.0, -1.0)


def _held(guarantee, setting, X, y) -> dict[str, bool]:
    """Run every check; each must return JSON-ready, non-empty evidence."""
    results = guarantee.check(setting, X, y)
    assert list(results) == [a.label for a in guarantee.assumptions]
    for label, res in results.items():
        json.dumps(res.to_dict())
        assert res.evidence, label
        assert res.holds or res.evidence.get("reason"), f"{label} fails without a reason"
    return {k: r.holds for k, r in results.items()}


def _failed(guarantee, setting, X, y) -> list[str]:
    return [k for k, v in _held(guarantee, setting, X, y).items() if not v]


# -- every defender ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CATALOGUE))
def test_defended_config_is_right(name):
    cls, kind, *_, changes = CATALOGUE[name]
    d = cls()
    assert d.name == name and d.kind == kind and isinstance(d, Defender)
    assert d.defend(_base()).to_config() == _expected(changes)


@pytest.mark.parametrize("name", [n for n in CATALOGUE if n != "wider_by_one"])
def test_defend_is_idempotent(name):
    d = CATALOGUE[name][0]()
    for base in (_base(), _base(hidden=[3, 2], regularizer={"name": "l2", "weight": 1e-3})):
        once = d.defend(base)
        assert d.defend(once).to_config() == once.to_config()
        # the guarantee accepts the base or the defended setting
        assert d.guarantee(once).to_dict() == d.guarantee(base).to_dict()


def test_wider_by_one_is_a_relative_edit():
    d = WiderByOne()
    once = d.defend(_base(hidden=[3, 2]))
    assert once.mlp.hidden == (4, 3)
    assert d.defend(once).mlp.hidden == (5, 4)  # documented: a widened network carries no mark
    assert WiderByOne(extra=3).defend(_base()).mlp.hidden == (7,)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_guarantee_lists_its_assumptions_with_the_paper(name):
    cls, _, promise, arxiv, labels, _ = CATALOGUE[name]
    g = cls().guarantee(_base())
    assert g.promise == promise
    assert arxiv in g.paper and g.notes
    assert [a.label for a in g.assumptions] == labels
    assert all(a.description for a in g.assumptions)
    module = importlib.import_module(cls.__module__)
    assert arxiv in module.__doc__ and re.search(rf"python -m arena [^`\n]*\bdefender={name}\b", module.__doc__)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_check_runs_and_returns_evidence(name):
    d = CATALOGUE[name][0]()
    X, y = _separable()
    _held(d.guarantee(_base()), d.defend(_base()), X, y)
    # on the undefended base too: the checks see what the defense would have added
    _held(d.guarantee(_base()), _base(), X, y)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_custom_networks_are_refused(name):
    custom = Setting.from_config(CUSTOM)
    d = CATALOGUE[name][0]()
    with pytest.raises(ValueError, match="custom network"):
        d.defend(custom)
    with pytest.raises(ValueError, match="custom network"):
        d.guarantee(custom)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_config_yaml_entry_point_and_rebuild(name):
    cls = CATALOGUE[name][0]
    path = ROOT / "conf" / "defender" / f"{name}.yaml"
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# python -m arena ") and f" defender={name}" in f"{lines[0]} "
    assert lines[1].startswith("# ") and CATALOGUE[name][3] in lines[1]
    node = yaml.safe_load(path.read_text())
    assert node == {**cls.default_config(), "name": name}
    assert instantiate({k: v for k, v in node.items() if k != "name"}) == cls()
    registered = {e.name: e.load() for e in entry_points(group="arena.defenders")}
    assert registered.get(name) is cls


@pytest.mark.parametrize("name", ["wide_generic_l2", "wide_last_layer", "wider_by_one"])
def test_widening_needs_a_hidden_layer(name):
    with pytest.raises(ValueError, match="no hidden layer"):
        CATALOGUE[name][0]().defend(_base(hidden=[]))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="not increasing and strictly convex"):
        SmoothNeuron(neuron="relu")
    with pytest.raises(ValueError, match="not increasing and strictly convex"):
        SmoothNeuron(neuron="quadratic")  # strictly convex, not increasing
    with pytest.raises(ValueError, match="bad neuron"):
        SmoothNeuron(neuron="nonesuch")
    with pytest.raises(ValueError, match="p must be"):
        PolyHinge(p=0.5)
    with pytest.raises(ValueError, match="λ"):
        MultiplicativeExp(weight=0.0)
    with pytest.raises(ValueError, match="λ"):
        ReluSpecialNeuron(weight=0.0)
    with pytest.raises(ValueError, match="width"):
        WideLastLayer(width=0)
    with pytest.raises(ValueError, match="low <= high"):
        WideGenericL2(low=1e-2, high=1e-4)
    with pytest.raises(ValueError, match="extra"):
        WiderByOne(extra=0)


# -- D1: smooth neuron, shortcut, polynomial hinge ------------------------------------------------
def test_smooth_neuron_passes_only_the_familys_parameters():
    assert SmoothNeuron(neuron="exponential").spec() == {"name": "exponential"}
    assert SmoothNeuron(neuron="softplus", beta=2.0).spec() == {"name": "softplus", "beta": 2.0}
    X, y = _separable()
    deep = _base(hidden=[3, 3])
    d = SmoothNeuron()
    assert _failed(d.guarantee(deep), d.defend(deep), X, y) == ["single_hidden_layer_or_shortcut"]
    assert d.guarantee(_base(bias=False)).assumptions[-1].name == "data_linearly_separable_through_origin"


def test_shortcut_on_a_deep_relu_net():
    d = Shortcut()
    deep = _base(hidden=[4, 4])
    X, y = _separable()
    g = d.guarantee(deep)
    assert _failed(g, d.defend(deep), X, y) == []
    assert _failed(g, deep, X, y) == ["has_linear_shortcut"]
    squared = deep.replace(loss="squared")
    assert _failed(d.guarantee(squared), d.defend(squared), X, y) == ["loss_hinge_type", "loss_non_increasing"]
    assert d.guarantee(_base(bias=False)).assumptions[-1].name == "data_linearly_separable_through_origin"


def test_poly_hinge_keeps_the_neuron_assumptions():
    d = PolyHinge()
    X, y = _separable()
    # against ReLU the loss swap alone is out of scope by the neuron assumptions
    assert _failed(d.guarantee(_base()), d.defend(_base()), X, y) == ["neuron_increasing", "neuron_strictly_convex"]
    soft = _base(neuron="softplus")
    assert _failed(d.guarantee(soft), d.defend(soft), X, y) == []
    # p = 2 is only C¹: the paper's C² assumption fails
    assert _failed(PolyHinge(p=2).guarantee(soft), PolyHinge(p=2).defend(soft), X, y) == ["loss_smooth(k=2)"]


# -- D2 ablations ----------------------------------------------------------------------------------
def test_exp_neuron_noreg_fails_exactly_the_regularizer_assumption():
    d = ExpNeuronNoReg()
    X, y = _separable()
    defended = d.defend(_base(regularizer=[{"name": "l2", "weight": 1e-3}, {"name": "exp_neuron_l2", "weight": 0.1}]))
    assert defended.regularizer == {"name": "l2", "weight": 1e-3}
    assert d.defend(_base(regularizer={"name": "exp_neuron_l2", "weight": 0.1})).regularizer is None
    assert _failed(d.guarantee(_base()), d.defend(_base()), X, y) == ["exp_neuron_regularized"]
    ev = d.guarantee(_base()).check(d.defend(_base()), X, y)["exp_neuron_regularized"].evidence
    assert ev["lambda"] == 0
    # the same check holds on the regularized D2 setting
    assert ExpNeuron().guarantee(_base()).check(ExpNeuron().defend(_base()), X, y)["exp_neuron_regularized"].holds


def test_relu_special_neuron_fails_exactly_the_exponential_assumption():
    d = ReluSpecialNeuron()
    X, y = _separable()
    assert _failed(d.guarantee(_base()), d.defend(_base()), X, y) == ["special_neuron_exponential"]
    ev = d.guarantee(_base()).check(d.defend(_base()), X, y)["special_neuron_exponential"].evidence
    assert ev["special_neuron"] == {"name": "relu"} and "relu" in ev["reason"]
    from arena.assumptions import make_assumption

    assert make_assumption("special_neuron_exponential")(ExpNeuron().defend(_base()), X, y).holds
    assert not make_assumption("special_neuron_exponential")(_base(), X, y).holds  # no special neuron at all


# -- D3 --------------------------------------------------------------------------------------------
def test_multiplicative_exp_assumptions_on_telling_settings():
    d = MultiplicativeExp()
    X, y = _separable()
    res = d.guarantee(_base()).check(d.defend(_base()), X, y)
    witness = res["objective_min_zero(restarts=8,steps=1500)"]
    assert witness.holds and witness.evidence["data_loss"] == 0 and witness.witness is not None
    logistic = _base(loss="logistic")
    assert _failed(d.guarantee(logistic), d.defend(logistic), X, y) == ["objective_min_zero(restarts=8,steps=1500)"]
    # an inner coercive penalty keeps min L > 0 (a proof: it vanishes only at θ = 0, where f = 0)
    l2 = _base(regularizer={"name": "l2", "weight": 1e-3})
    inner = d.guarantee(l2).check(d.defend(l2), X, y)["objective_min_zero(restarts=8,steps=1500)"]
    assert not inner.holds and inner.evidence["proof"] and inner.evidence["inner_penalty"] > 0
    assert d.defend(l2).regularizer[-1] == {"name": "multiplicative_exp_l2", "weight": 0.1}
    assert _failed(d.guarantee(_base()), _base(), X, y) == ["multiplicative_exp_regularized"]


# -- D4, D5: width and the generic regularizer -----------------------------------------------------
@pytest.mark.parametrize("cls", [WideLastLayer, WideGenericL2])
def test_width_check_follows_the_claims_n(cls):
    d = cls(width=8)
    defended = d.defend(_base())
    assert defended.mlp.hidden == (8,)
    label = "last_hidden_width_at_least_n"
    X, y = _separable(n=8)
    assert _held(d.guarantee(_base()), defended, X, y)[label]
    X, y = _separable(n=9)
    res = d.guarantee(_base()).check(defended, X, y)[label]
    assert not res.holds and res.evidence["n"] == 9 and res.evidence["last_hidden_width"] == 8
    assert cls(width=2).defend(_base(hidden=[5, 6])).mlp.hidden == (5, 6)  # never narrows


def test_inputs_distinct_in_one_coordinate():
    d = WideLastLayer()
    grid = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # every coordinate repeats
    y = np.array([-1.0, 1.0, 1.0, 1.0])
    assert _failed(d.guarantee(_base()), d.defend(_base()), grid, y) == ["inputs_distinct_in_one_coordinate"]
    sheared = grid + np.array([[0.0, 0.1], [0.0, 0.2], [0.0, 0.3], [0.0, 0.4]])
    res = d.guarantee(_base()).check(d.defend(_base()), sheared, y)["inputs_distinct_in_one_coordinate"]
    assert res.holds and res.evidence["coordinate"] == 1


def test_regularizer_coercive_names_the_unpenalised_parameters():
    from arena.assumptions import make_assumption

    check = make_assumption("regularizer_coercive")
    X, y = _separable()
    assert check(WideGenericL2().defend(_base()), X, y).holds
    assert check(_base(regularizer={"name": "l2", "weight": 1e-3}), X, y).holds
    none = check(_base(), X, y)
    assert not none.holds and none.evidence["reason"] == "no regularizer"
    no_bias = check(_base(regularizer={"name": "l2", "weight": 1e-3, "include_bias": False}), X, y)
    assert not no_bias.holds and no_bias.evidence["unpenalised"] == ["layers.0.bias", "layers.1.bias"]
    exp_only = check(ExpNeuron().defend(_base()), X, y)
    assert not exp_only.holds and "exp.w" in exp_only.evidence["unpenalised"]


def test_wide_generic_l2_keeps_other_terms_and_replaces_its_own():
    d = WideGenericL2(seed=3)
    s = d.defend(_base(regularizer=[{"name": "l2", "weight": 1e-3},
                                    {"name": "generic_l2", "low": 1e-3, "high": 1e-3, "seed": 1}]))
    assert s.regularizer == [{"name": "l2", "weight": 1e-3}, d.term()]


# -- D7 --------------------------------------------------------------------------------------------
def test_linear_assumptions_on_telling_settings():
    d = Linear()
    X, y = _separable()
    assert _failed(d.guarantee(_base()), _base(), X, y) == ["neuron_linear"]
    shortcut = _base(hidden=[4, 4], skip=True)
    assert _failed(d.guarantee(shortcut), d.defend(shortcut), X, y) == []
    with_exp = ExpNeuron().defend(_base())
    assert _failed(d.guarantee(with_exp), d.defend(with_exp), X, y) == ["neuron_linear", "unregularized"]
    hinge = _base(loss="hinge")
    assert _failed(d.guarantee(hinge), d.defend(hinge), X, y) == ["loss_smooth(k=1)"]


def test_continuity_and_convexity_checks_report_grid_evidence():
    from arena.assumptions import make_assumption

    X, y = _separable()
    for loss in ("quadratic_hinge", "logistic", "squared", {"name": "poly_hinge", "p": 3}):
        res = make_assumption("loss_convex")(_base(loss=loss), X, y)
        assert res.holds and res.evidence["grid_consistent"], loss
    res = make_assumption("neuron_continuous")(_base(), X, y)
    assert res.holds and res.evidence["max_step_between_neighbours"] <= 0.01 + 1e-12
    custom = make_assumption("neuron_continuous")(Setting.from_config(CUSTOM), X, y)
    assert not custom.holds and "custom network" in custom.evidence["reason"]


def test_new_base_settings_load():
    for name in ("relu_deep_shortcut", "relu_wide", "sigmoid_1hidden", "tanh_1hidden", "linear_1hidden"):
        path = ROOT / "conf" / "setting" / f"{name}.yaml"
        first = path.read_text().splitlines()[0]
        assert first.startswith("# python -m arena ") and f" setting={name} " in f"{first} "
        node = yaml.safe_load(path.read_text())
        assert node["name"] == name
        s = Setting.from_config(node)
        assert s.mlp.input_dim == 2 and s.loss == "quadratic_hinge"
