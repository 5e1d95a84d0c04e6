"""The attacker protocol (DESIGN.md "Plugins").

An attacker says whether it applies to a (defended) setting and its guarantee, with the reason when
it does not, and turns (setting, guarantee, budget, seed) into claims of bad local minima
(:class:`arena.claims.Claim`). Its constructor arguments are its config: ``attacker.config()`` is
the Hydra node (``_target_`` + arguments) that rebuilds it.
"""
from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

from arena.budget import Budget
from arena.claims import Claim
from arena.setting import Setting
from defenders.base import Guarantee, PluginConfig

__all__ = ["Attacker", "Budget", "PluginConfig"]


@runtime_checkable
class Attacker(Protocol):
    """``name``, ``applies_to`` and ``attack``.

    ``applies_to(setting, guarantee) -> (True, "")`` or ``(False, reason)``; ``attack`` returns at
    most ``budget.max_claims`` claims whose ``setting`` is ``setting.to_config()``, with CPU tensors.
    ``guarantee`` may be None when no defender is involved.
    """

    name: ClassVar[str]

    def applies_to(self, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]: ...

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]: ...

    def config(self) -> dict[str, Any]: ...


def ensure_applies(attacker: Attacker, setting: Setting, guarantee: Guarantee | None) -> None:
    """Raise ValueError("attacker <name> does not apply: <reason>") unless ``applies_to`` agrees."""
    ok, why = attacker.applies_to(setting, guarantee)
    if not ok:
        raise ValueError(f"attacker {attacker.name} does not apply: {why}")
