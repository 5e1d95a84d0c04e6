"""Plugin knob checks shared by every plugin: one line naming the plugin, the knob and the value."""
from __future__ import annotations

import pytest

from arena.attackers.data_search import DataSearch
from arena.attackers.smooth_plateau import SmoothPlateau
from arena.defenders.exp_neuron import ExpNeuron
from arena.contract import require_int, require_number


def test_require_number():
    require_number("attacker x", "scale", 0.5)
    require_number("attacker x", "rho", 0, at_least=0)
    for bad in (0, -1.0, float("nan"), "1", None, True):
        with pytest.raises(ValueError, match=r"^attacker x: scale must be > 0, got "):
            require_number("attacker x", "scale", bad)
    with pytest.raises(ValueError, match=r"^attacker x: rho must be >= 0, got -0.1$"):
        require_number("attacker x", "rho", -0.1, at_least=0)


def test_require_int():
    require_int("defender y", "width", 3)
    require_int("defender y", "cap", None, optional=True)
    with pytest.raises(ValueError, match=r"^defender y: width must be a positive integer, got 0$"):
        require_int("defender y", "width", 0)
    with pytest.raises(ValueError, match=r"^defender y: n must be an integer >= 4, got 3.0$"):
        require_int("defender y", "n", 3.0, at_least=4)
    with pytest.raises(ValueError, match=r"^defender y: cap must be a positive integer or null, got True$"):
        require_int("defender y", "cap", True, optional=True)


def test_plugins_name_the_bad_knob():
    with pytest.raises(ValueError, match=r"^attacker data_search: max_steps must be a positive integer or null, got 0$"):
        DataSearch(max_steps=0)
    with pytest.raises(ValueError, match=r"^attacker data_search: mu must be >= 0, got -1$"):
        DataSearch(mu=-1)
    with pytest.raises(ValueError, match=r"^attacker smooth_plateau: witness_steps must be an integer >= 0, got -5$"):
        SmoothPlateau(witness_steps=-5)
    with pytest.raises(ValueError, match=r"^defender exp_neuron: weight \(λ\) must be > 0, got 0$"):
        ExpNeuron(weight=0)
