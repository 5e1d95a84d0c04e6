"""Attackers refuse bad knobs with one line naming the knob; a bool is never a number."""
from __future__ import annotations

import pytest

from arena.attackers.dead_relu import DeadRelu
from arena.attackers.random_restarts import RandomRestarts


@pytest.mark.parametrize("kwargs, message", [
    ({"dead_margin": True}, r"^attacker dead_relu: dead_margin must be > 0, got True$"),
    ({"dead_margin": 0.0}, r"^attacker dead_relu: dead_margin must be > 0, got 0.0$"),
    ({"live_margin": 1.0}, r"^attacker dead_relu: live_margin must be > 1, got 1.0$"),
    ({"live_margin": True}, r"^attacker dead_relu: live_margin must be > 1, got True$"),
])
def test_dead_relu_knobs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeadRelu(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": True}, r"^attacker random_restarts: lr must be > 0, got True$"),
    ({"lr": 0}, r"^attacker random_restarts: lr must be > 0, got 0$"),
    ({"n": 3}, r"^attacker random_restarts: n must be an integer >= 4, got 3$"),
    ({"n": True}, r"^attacker random_restarts: n must be an integer >= 4, got True$"),
    ({"init_scales": ()}, r"init_scales must be a non-empty list"),
    ({"init_scales": (1.0, False)}, r"^attacker random_restarts: each of init_scales must be > 0, got False$"),
])
def test_random_restarts_knobs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomRestarts(**kwargs)


def test_defaults_pass():
    assert DeadRelu().live_margin == 2.0 and RandomRestarts().lr == 0.02
