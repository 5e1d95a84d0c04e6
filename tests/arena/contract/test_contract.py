"""The contract package: the alias module, the budget's config round trip, the shared data sets."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import arena.contract
import arena.protocols
from arena.contract import Budget
from arena.contract.datasets import input_dim_of, pad, separable_dataset


def test_protocols_alias_is_the_contract():
    names = [n for n in dir(arena.protocols) if not n.startswith("_")]
    assert {"Attacker", "Defender", "Guarantee", "PluginConfig", "Budget", "require_number"} <= set(names)
    for name in names:
        assert getattr(arena.protocols, name) is getattr(arena.contract.protocols, name), name


def test_budget_config_round_trip_leaves_out_run_state():
    b = Budget(restarts=3, seconds=2.5)
    b.submit("claim")
    assert b.to_config() == {"restarts": 3, "steps": 2000, "datasets": 1, "seconds": 2.5, "max_claims": 1}
    again = Budget.from_config(b.to_config())
    assert again == b and again.submitted == [] and b.submitted == ["claim"]
    assert dataclasses.replace(b, steps=5).submitted == []
    with pytest.raises(ValueError, match=r"unknown keys \['_submitted'\]"):
        Budget.from_config({"_submitted": []})


def test_separable_dataset_has_the_promised_margin():
    X, y, u, c = separable_dataset(12, 3, np.random.default_rng(0), gap=0.1)
    assert X.shape == (12, 3) and set(np.unique(y)) == {-1.0, 1.0}
    assert (y * (X @ u + c)).min() >= 0.1 - 1e-12
    assert min((y == 1).sum(), (y == -1).sum()) >= 2
    assert pad(np.ones((2, 1)), 3).tolist() == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]


def test_input_dim_of_names_the_attacker():
    class Custom:
        input_dim = None

    with pytest.raises(ValueError, match=r"^attacker x: the network does not declare input_dim"):
        input_dim_of(Custom(), "x")
