"""Every hidden layer one unit wider: mild over-parameterization, the empirical observation of
Safran & Shamir, "Spurious Local Minima are Common in Two-Layer ReLU Neural Networks", ICML 2018,
arXiv:1712.08968 (docs/catalogue.md D6; reproduced there: 0/300 runs at a spurious minimum for k = 6, 7, 8
teachers with k + 1 students, against 1, 8 and 27 of 300 with k students).

Adds ``extra`` units (default 1) to every hidden layer and nothing else. It is not a theorem: the
guarantee promises nothing (promise None, no assumptions), so every verified bad local minimum
counts against it and the tournament measures how often attackers still succeed.

Unlike the other defenders this edit is relative, so ``defend`` is NOT idempotent: a widened
network is itself a valid base setting and carries no mark of the edit, so defend(defend(s)) adds
two units. The arena applies ``defend`` once per match (arena/game/match.py), on the base setting.

Run: ``python -m arena attacker=dead_relu defender=wider_by_one``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, require_builtin, require_int

PAPER = ("Safran, Shamir. Spurious Local Minima are Common in Two-Layer ReLU Neural Networks. ICML 2018, "
         "arXiv:1712.08968")


@dataclass(frozen=True)
class WiderByOne(PluginConfig):
    """Architecture defense: hidden widths h_i -> h_i + ``extra``."""

    extra: int = 1

    name: ClassVar[str] = "wider_by_one"
    kind: ClassVar[str] = "architecture"

    def __post_init__(self) -> None:
        require_int("defender wider_by_one", "extra", self.extra)

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        hidden = list(setting.mlp.hidden)
        if not hidden:
            raise ValueError("defender wider_by_one: the network has no hidden layer to widen (hidden: [])")
        return setting.replace(hidden=[h + self.extra for h in hidden])

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise=None,
            assumptions=[],
            paper=PAPER,
            notes=(f"Empirical, not a theorem: {self.extra} extra unit(s) per hidden layer made spurious minima "
                   "rare in the Safran-Shamir teacher-student problem (docs/catalogue.md D6). Nothing is promised; "
                   "the tournament measures it, and every verified bad local minimum counts against it."),
        )
