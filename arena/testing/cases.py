"""What the conformance checks run plugins on: the shipped base settings, small datasets, the budget."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from arena.contract.budget import Budget
from arena.game.registry import base_settings
from arena.landscape.setting import Setting
from arena.contract.protocols import Guarantee

#: the ``smoke`` budget (conf/budget/smoke.yaml): enough for every shipped attacker, fast in tests
SMOKE = Budget(restarts=8, steps=300, datasets=1, seconds=None, max_claims=1)


@dataclass(frozen=True)
class Case:
    """One place to attack: a (defended) setting and the guarantee stated for it (None: no defender)."""

    label: str
    setting: Setting
    guarantee: Guarantee | None


def attack_cases(defenders: tuple[Any, ...] = (), settings: dict[str, Setting] | None = None) -> list[Case]:
    """Each base setting undefended, then defended by each of ``defenders`` (defend errors skip it)."""
    settings = base_settings() if settings is None else settings
    cases = [Case(name, s, None) for name, s in settings.items()]
    for defender in defenders:
        for name, s in settings.items():
            try:
                cases.append(Case(f"{name}+{defender.name}", defender.defend(s), defender.guarantee(s)))
            except ValueError:
                continue
    return cases


def small_dataset(setting: Setting, n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """X [n, d] float64 standard normal, y [n] = sign of the first coordinate (both labels present)."""
    d = setting.input_dim or 2
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = torch.where(X[:, 0] >= 0, 1.0, -1.0).to(torch.float64)
    y[0], y[1] = 1.0, -1.0
    return X, y
