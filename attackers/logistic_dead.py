"""Dead ReLU units under the logistic loss (docs/catalogue.md §5, A3).

Breaks the loss assumption of Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (the paper names
logistic loss as a counterexample; its own instance was not retrieved, docs/catalogue.md A3). With smooth
increasing neurons and separable data the logistic loss has no local minimum at all (P1(b)), but
with dead ReLU units it has a genuine bad one: every first-layer unit dead on every sample, output
the best constant (A1b). Labels (−, +, +): c* = log 2, L = log 3 − (2/3) log 2 ≈ 0.6365 nats,
training error 1/3, while inf L = 0 (the witness, scaled to margin 20, has L ≈ 2e−9). The
exponential loss e^{−m} gives c* = ½ log 2, L = 2√2/3.

Data: ``X = [−1, 1, 2]`` (1-D, separable at 0; padded with zeros to the setting's input_dim),
``y = [−1, +1, +1]``. A1-style points with live units do not work here: a live unit can always
push its margins further, so only the all-dead point is a minimum.

Run: ``python -m arena attacker=logistic_dead defender=none setting=relu_1d_logistic``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, ensure_applies, require_number
from arena.contract.datasets import pad
from arena.landscape.setting import Setting
from arena.search.dead_units import all_dead_claim, why_not_all_dead

LOSSES = ("logistic", "exponential")
DATA_X = np.array([[-1.0], [1.0], [2.0]])
DATA_Y = np.array([-1.0, 1.0, 1.0])


@dataclass(frozen=True)
class LogisticDead(PluginConfig):
    """A3 generator; ``dead_margin``: every first-layer pre-activation is <= −dead_margin."""

    dead_margin: float = 0.5

    name: ClassVar[str] = "logistic_dead"

    def __post_init__(self) -> None:
        require_number("attacker logistic_dead", "dead_margin", self.dead_margin)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        if setting.loss_fn.name not in LOSSES:
            return False, (f"loss {setting.loss_fn.name} is not logistic or exponential (this attack shows a "
                           "loss whose minimum is not attained; use all_dead or dead_relu for other losses)")
        why = why_not_all_dead(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        """Closed-form construction (float64, CPU; ``device`` is not needed)."""
        ensure_applies(self, setting, guarantee)
        rng = np.random.default_rng(int(seed))
        X = pad(DATA_X, setting.mlp.input_dim)
        return [all_dead_claim(setting, X, DATA_Y.copy(), rng, attacker=self.name, seed=seed,
                               config=self.config(), dead_margin=self.dead_margin,
                               tag=f"A3 dead ReLU units under {setting.loss_fn.name} loss")]
