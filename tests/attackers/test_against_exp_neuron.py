"""Local-minimum constructions with the exponential neuron of Liang et al. 2018 switched off.

P2 (docs/catalogue.md D2) says no such point is a local minimum once the neuron exists with λ > 0. Some
escapes are of second order (a saddle), others only of fourth order (ΔL ~ −r⁴ when the data make
Σ ℓ'_i y_i x_i vanish); the referee must reject both.
"""
from __future__ import annotations

import pytest

from arena.contract import Budget
from arena.referee.judge import judge
from arena.landscape.setting import Setting
from arena.attackers.all_dead import AllDead
from arena.attackers.concavity_trap import ConcavityTrap
from arena.attackers.dead_relu import DeadRelu
from arena.attackers.linear_region import LinearRegion

EXP = {"exp_neuron": True}
REG = {"name": "exp_neuron_l2", "weight": 0.1}


@pytest.mark.parametrize("attacker, network, loss", [
    (DeadRelu(), {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "quadratic_hinge"),
    (AllDead(), {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "quadratic_hinge"),
    (ConcavityTrap(), {"input_dim": 1, "hidden": [2], "neuron": "softplus"}, "quadratic_hinge"),
    (LinearRegion(), {"input_dim": 2, "hidden": [2], "neuron": {"name": "leaky_relu", "slope": 0.1}}, "squared"),
])
def test_switched_off_exponential_neuron_is_rejected(attacker, network, loss):
    setting = Setting.from_config({"network": {**network, **EXP}, "loss": loss, "regularizer": REG})
    assert attacker.applies_to(setting, None) == (True, "")
    claim = attacker.attack(setting, None, Budget(), seed=0)[0]
    assert float(claim.theta["exp.a"]) == 0.0
    v = judge(claim, {"restarts": 0}, device="cpu")
    assert v.verdict == "not_local_min", v.reasons
