"""Initialisation schemes: the variances they promise, zero biases, scale as a factor, torch = init_params."""
from __future__ import annotations

import math

import pytest
import torch

from arena.landscape.setting import Setting
from arena.search.inits import SCHEMES, check_scheme, init_population

SETTING = Setting.from_config({"network": {"input_dim": 30, "hidden": [50, 20], "neuron": "relu"}})


@pytest.mark.parametrize("scheme, variance", [
    ("kaiming_uniform", lambda fi, fo: 2 / fi), ("kaiming_normal", lambda fi, fo: 2 / fi),
    ("xavier_uniform", lambda fi, fo: 2 / (fi + fo)), ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
])
def test_weight_variance_and_zero_biases(scheme, variance):
    params = init_population(SETTING, 400, scheme, 3.0, torch.Generator().manual_seed(0))
    for i, (fo, fi) in enumerate([(50, 30), (20, 50)]):
        w = params[f"layers.{i}.weight"]
        assert w.shape == (400, fo, fi)
        assert math.isclose(float(w.var()), 9.0 * variance(fi, fo), rel_tol=0.02)
        assert float(params[f"layers.{i}.bias"].abs().max()) == 0.0
    if scheme.endswith("uniform"):
        assert float(params["layers.0.weight"].abs().max()) <= 3.0 * math.sqrt(3 * variance(30, 50))


def test_torch_scheme_is_the_settings_init():
    a = init_population(SETTING, 3, "torch", 2.0, torch.Generator().manual_seed(4))
    b = SETTING.init_params(3, generator=torch.Generator().manual_seed(4), scale=2.0)
    assert all(torch.equal(a[k], b[k]) for k in b)
    assert set(SCHEMES) == {"torch", "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal"}
    with pytest.raises(ValueError, match=r"^who: init must be one of torch, .*, got 'glorot'$"):
        check_scheme("who", "glorot")
