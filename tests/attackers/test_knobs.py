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
    ({"optimizer": "rmsprop"}, r"^attacker random_restarts: optimizer must be one of adam, sgd, got 'rmsprop'$"),
    ({"optimizer": "sgd", "momentum": -0.1}, r"^attacker random_restarts: momentum must be >= 0, got -0.1$"),
    ({"optimizer": "sgd", "momentum": 1.0}, r"^attacker random_restarts: momentum must be < 1, got 1.0$"),
    ({"optimizer": "sgd", "momentum": True}, r"^attacker random_restarts: momentum must be >= 0, got True$"),
    ({"momentum": 0.9}, r"^attacker random_restarts: momentum applies to optimizer sgd only, got optimizer 'adam'"),
    ({"batch_size": -1}, r"^attacker random_restarts: batch_size must be an integer >= 0 or null, got -1$"),
    ({"batch_size": True}, r"^attacker random_restarts: batch_size must be an integer >= 0 or null, got True$"),
    ({"batch_size": 8.0}, r"^attacker random_restarts: batch_size must be an integer >= 0 or null, got 8.0$"),
    ({"init": "he"}, r"^attacker random_restarts: init must be one of torch, kaiming_uniform, kaiming_normal, "
                     r"xavier_uniform, xavier_normal, got 'he'$"),
])
def test_random_restarts_knobs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomRestarts(**kwargs)


def test_defaults_pass():
    assert DeadRelu().live_margin == 2.0 and RandomRestarts().lr == 0.02
    sgd = RandomRestarts(optimizer="sgd", momentum=0.9, batch_size=32, init="kaiming_normal")
    assert sgd.training.record() == {"optimizer": "sgd", "lr": 0.02, "momentum": 0.9, "batch_size": 32}
    assert RandomRestarts(batch_size=0).training.record()["batch_size"] is None  # 0: full batch
