"""arena.plain: configs and evidence as plain data."""
from __future__ import annotations

import json

import numpy as np
import torch
from omegaconf import OmegaConf

from arena.plain import is_plain, plain


def test_plain_resolves_omegaconf_and_converts_numpy_and_tuples():
    cfg = OmegaConf.create({"a": 2, "b": "${a}", "c": [1, {"d": (3, 4)}]})
    assert plain(cfg) == {"a": 2, "b": 2, "c": [1, {"d": [3, 4]}]}
    evidence = {"margin": np.float64(0.25), "w": np.array([1.0, -2.0]), "n": np.int64(3), "pair": (1, 2)}
    out = plain(evidence)
    assert out == {"margin": 0.25, "w": [1.0, -2.0], "n": 3, "pair": [1, 2]}
    assert type(out["margin"]) is float and type(out["n"]) is int
    assert json.loads(json.dumps(out)) == out


def test_plain_leaves_other_objects_alone():
    t = torch.ones(2)
    assert plain({"t": t})["t"] is t
    assert plain("relu") == "relu" and plain(None) is None


def test_is_plain():
    assert is_plain({"a": [1, 2.0, "x", None, True], "b": {"c": (1,)}})
    assert not is_plain({"a": torch.ones(1)}) and not is_plain({1: 2}) and not is_plain(object())
