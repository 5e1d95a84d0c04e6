"""No defense: the base setting, unchanged, with no promise (the baseline column of a tournament).

Run: ``python -m arena attacker=dead_relu defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig


@dataclass(frozen=True)
class NoDefense(PluginConfig):
    """Returns the setting as is; its guarantee promises nothing and assumes nothing."""

    name: ClassVar[str] = "none"
    kind: ClassVar[str] = "none"

    def defend(self, setting: Setting) -> Setting:
        return setting

    def guarantee(self, setting: Setting) -> Guarantee:
        return Guarantee(promise=None, assumptions=[], paper="",
                         notes="baseline: any verified bad local minimum counts against the base setting")
