"""The plugin kit catches what it promises to catch: each check fails on a plugin that breaks it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch

from arena.attackers.all_dead import AllDead
from arena.defenders.softplus import Softplus
from arena.contract import PluginConfig
from arena.testing import AttackerConformance, check_attacker, check_defender


def test_the_shipped_plugins_pass():
    check_attacker(AllDead(), settings=("relu_1d",), entry_point="all_dead")
    check_defender(Softplus(), settings=("relu_1d",), entry_point="softplus")


@dataclass(frozen=True)
class Greedy(AllDead):
    """Returns its claim and a copy, whatever the budget (one object twice is one claim handed over)."""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        claims = super().attack(setting, guarantee, budget, seed, device)
        return claims + [dataclasses.replace(c) for c in claims]


@dataclass(frozen=True)
class Noisy(AllDead):
    """Moves its data by fresh noise on every call."""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        claims = super().attack(setting, guarantee, budget, seed, device)
        return [dataclasses.replace(c, X=c.X + 1e-3 * torch.rand(c.X.shape, dtype=c.X.dtype)) for c in claims]


@dataclass(frozen=True)
class Elsewhere(AllDead):
    """Claims in a wider network than the one it was asked to attack."""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        wider = setting.replace(hidden=[h + 1 for h in setting.mlp.hidden])
        return AllDead.attack(self, wider, guarantee, budget, seed, device)


class Mute(PluginConfig):
    """Says no without a reason."""

    name: ClassVar[str] = "mute"

    def applies_to(self, setting, guarantee):
        return False, ""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        return []


@pytest.mark.parametrize("plugin, check, message", [
    (Greedy(), "test_budget_honoured", "exceed max_claims"),
    (Noisy(), "test_deterministic_under_seed", "X differs"),
    (Elsewhere(), "test_claims_valid_and_in_setting", "not the attacked setting"),
])
def test_each_check_fails_on_its_violation(plugin, check, message):
    suite = type("Suite", (AttackerConformance,), {"plugin": plugin, "settings": ("relu_1d",)})()
    with pytest.raises(AssertionError, match=message):
        getattr(suite, check)()


def test_reasons_are_required():
    suite = type("Suite", (AttackerConformance,), {"plugin": Mute(), "settings": ("relu_1d",)})()
    with pytest.raises(AssertionError, match="without a reason"):
        suite.test_applies_to()


@dataclass(frozen=True)
class BehindSoftplus(AllDead):
    """Applies only to settings a softplus defense produced."""

    def applies_to(self, setting, guarantee):
        if guarantee is None or setting.neuron.name != "softplus":
            return False, "needs a setting defended by softplus"
        return True, ""


@dataclass(frozen=True)
class Nowhere(AllDead):
    """Applies nowhere, and says so."""

    def applies_to(self, setting, guarantee):
        return False, "never"


def test_an_attacker_of_defended_settings_is_told_how_to_declare_them():
    suite = type("Suite", (AttackerConformance,), {"plugin": BehindSoftplus(), "settings": ("relu_1d", "relu_1hidden")})()
    with pytest.raises(AssertionError) as caught:
        suite.test_applies_to()
    message = str(caught.value)
    assert "applies to none of the 2 cases tried; it said 'needs a setting defended by softplus' (relu_1d, relu_1hidden)" \
        in message and "defenders = (SomeDefender(),)" in message
    behind = type("Suite", (AttackerConformance,), {"plugin": BehindSoftplus(), "settings": ("relu_1d", "relu_1hidden"),
                                                    "defenders": (Softplus(),)})()
    assert [c.label for c in behind.attacked()] == ["relu_1d+softplus", "relu_1hidden+softplus"]
    nowhere = type("Suite", (AttackerConformance,), {"plugin": Nowhere(), "settings": ("relu_1d",),
                                                     "defenders": (Softplus(),)})()
    with pytest.raises(AssertionError) as caught:
        nowhere.test_applies_to()
    message = str(caught.value)  # defenders were declared: no hint to declare them
    assert "none of the 2 cases tried; it said 'never' (relu_1d, relu_1d+softplus)" in message
    assert "defenders = (" not in message


def test_protocol_and_config_are_required():
    class NoConfig:
        """Lacks config()."""

        name = "no_config"

        def applies_to(self, setting, guarantee):
            return True, ""

        def attack(self, setting, guarantee, budget, seed, device="cpu"):
            return []

    suite = type("Suite", (AttackerConformance,), {"plugin": NoConfig()})()
    with pytest.raises(AssertionError, match="does not follow the Attacker protocol"):
        suite.test_protocol()
