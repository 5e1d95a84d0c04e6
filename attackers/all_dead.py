"""All-dead network: every first-layer unit dead on every sample (docs/catalogue.md §5, A1b).

A construction of the "blind spot" type in Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909
(their ReLU counterexample) and Swirszcz, Czarnecki, Pascanu 2016, arXiv:1611.06310; the numbers
are ours (docs/catalogue.md A1b). Every first-layer unit satisfies w_j·x_i + b_j < 0 strictly on every
sample, deeper layers are kept active (their input is the constant σ(dead) = 0), so the network
outputs one constant c(θ) = output bias + const. That constant is set to the best constant fit
c* = argmin_c n₊ ℓ(c) + n₋ ℓ(−c). Any small perturbation leaves the first layer dead, so f stays a
constant and L ≥ G(c*)/n in a ball: a (non-strict) local minimum, for any depth and width and any
loss whose constant fit is attained (both labels present). Closed forms with n = n₊ + n₋:

* quadratic hinge (and squared): c* = (n₊ − n₋)/n, L = 4 n₊ n₋ / n²;
* p = 3 hinge: c* = (√n₊ − √n₋)/(√n₊ + √n₋), L = (n₊(1−c*)³ + n₋(1+c*)³)/n;
* logistic: c* = log(n₊/n₋), L = binary entropy of n₊/n in nats;
* exponential: c* = ½ log(n₊/n₋), L = 2√(n₊ n₋)/n.

The data are linearly separable, so the same network fits them (the witness: the LP separator fed
through one live chain of units, :func:`arena.assumptions.affine_witness`; for the squared loss its
last layer is refit by least squares). Works for neurons with a dead region (relu, leaky_relu with
slope 0, relu_power, smooth_relu); the construction is :mod:`arena.search.dead_units`.

The construction needs no say over the data (both labels present is enough), so it also plays
fixed data sets (``python -m arena attacker=all_dead defender=none data=breast_cancer``; :mod:`arena.data`):
one claim on those data.

Run: ``python -m arena attacker=all_dead defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, ensure_applies, require_int, require_number
from arena.contract.datasets import NOTES_X, NOTES_Y, pad, separable_dataset
from arena.data import Dataset
from arena.landscape.setting import Setting
from arena.search.dead_units import all_dead_claim, why_not_all_dead

DATASETS = ("random", "notes")


@dataclass(frozen=True)
class AllDead(PluginConfig):
    """A1b generator. ``dataset``: "random" (seeded, linearly separable, ``n`` samples, both labels
    at least twice) or "notes" (docs/catalogue.md A1's 1-D data, padded with zeros to the input dimension);
    ``dead_margin``: every first-layer pre-activation is <= −dead_margin."""

    dataset: str = "random"
    n: int = 8
    dead_margin: float = 0.5

    name: ClassVar[str] = "all_dead"
    fixed_data: ClassVar[bool] = True  # every unit dead on any data: the data need not be chosen

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"attacker all_dead: dataset must be one of {DATASETS}, got {self.dataset!r}")
        require_int("attacker all_dead", "n", self.n, at_least=4)
        require_number("attacker all_dead", "dead_margin", self.dead_margin)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = why_not_all_dead(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu", data: Dataset | None = None) -> list[Claim]:
        """Closed-form construction (float64, CPU; ``device`` is not needed); on ``data`` when given."""
        ensure_applies(self, setting, guarantee)
        if data is not None:
            return [all_dead_claim(setting, data.X.copy(), data.y.copy(), np.random.default_rng(int(seed)),
                                   attacker=self.name, seed=seed, config=self.config(), dead_margin=self.dead_margin)]
        count = 1 if self.dataset == "notes" else min(budget.datasets, budget.max_claims)
        claims = []
        d = setting.mlp.input_dim
        for k in range(count):
            rng = np.random.default_rng([int(seed), k])
            if self.dataset == "notes":
                X, y = pad(NOTES_X, d), NOTES_Y.copy()
            else:
                X, y, _, _ = separable_dataset(self.n, d, rng)
            claims.append(all_dead_claim(setting, X, y, rng, attacker=self.name, seed=seed, config=self.config(),
                                         dead_margin=self.dead_margin))
        return claims
