"""Property-based: claims from the zoo and from the attackers' constructions, moved by random exact
symmetries (rescaled units, permuted units and samples, float32 storage), get the verdict of the
original. Small example counts by default; the `slow` variant draws many more."""
from __future__ import annotations

import functools

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.claims import zoo
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.referee.canonical import positively_homogeneous
from arena.referee.judge import judge

from tests.arena.referee.symmetries import transform

CFG = {"restarts": 0, "probe_random": 48, "probe_descent_steps": 20, "seed": 11}


def _attack(name: str, network: dict, loss: str):
    from importlib import import_module

    module, cls = name.split(":")
    attacker = getattr(import_module(f"arena.attackers.{module}"), cls)()
    setting = Setting.from_config({"network": network, "loss": loss})
    return attacker.attack(setting, None, Budget(), seed=0)[0]


SOURCES = {
    "a1_dead_relu": zoo.a1_dead_relu, "all_dead_relu": zoo.all_dead_relu, "tanh_saddle": zoo.tanh_saddle,
    "relu_on_kink": zoo.relu_on_kink, "a1_global_min": zoo.a1_global_min, "random_point": zoo.random_point,
    "dead_relu": lambda: _attack("dead_relu:DeadRelu", {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "quadratic_hinge"),
    "linear_region": lambda: _attack("linear_region:LinearRegion",
                                     {"input_dim": 2, "hidden": [2], "neuron": {"name": "leaky_relu", "slope": 0.1}}, "squared"),
}


@functools.lru_cache(maxsize=None)
def base(name: str):
    claim = SOURCES[name]()
    return claim, judge(claim, CFG, device="cpu").verdict


@st.composite
def moved(draw):
    name = draw(st.sampled_from(sorted(SOURCES)))
    claim, verdict = base(name)
    setting = Setting.from_config(claim.setting)
    widths = setting.mlp.hidden
    homogeneous = positively_homogeneous(setting)
    exps = st.floats(-4, 4) if homogeneous else st.just(0.0)
    scales = [torch.tensor([10 ** draw(exps) for _ in range(h)]) for h in widths]
    orders = [torch.tensor(draw(st.permutations(range(h)))) for h in widths]
    samples = torch.tensor(draw(st.permutations(range(claim.X.shape[0]))))
    float32 = draw(st.booleans())
    return name, verdict, transform(claim, unit_scales=scales, unit_orders=orders, sample_order=samples, float32=float32)


def _check(case):
    name, verdict, claim = case
    got = judge(claim, CFG, device="cpu")
    assert got.verdict == verdict, (name, got.reasons)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(moved())
def test_symmetric_claims_get_the_same_verdict(case):
    _check(case)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(moved())
def test_symmetric_claims_get_the_same_verdict_many(case):
    _check(case)
