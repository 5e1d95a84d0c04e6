"""Data search: optimise the dataset together with the weights until a point that training reached
is a bad local minimum of the defended setting — any neuron, loss and architecture, no
construction built in. Adapted from KKT poisoning (Koh, Steinhardt, Liang, "Stronger Data
Poisoning Attacks Break Data Sanitization Defenses", arXiv:1811.00741) and gradient matching
(Geiping et al., "Witches' Brew", arXiv:2009.02276); the objective is in
:mod:`arena.search.data` and docs/search.md.

Per dataset (``budget.datasets``): random linearly separable data (margin ``margin``, labels
fixed), ``budget.restarts`` random starts trained by the population engine for ``budget.steps``
Adam steps and polished; the highest-loss nearly stationary point is the decoy θ and the best
point the witness. Then ``rounds`` rounds of Adam on (X, θ) for
‖∇θL‖² + μ Σ relu(−λ_k(∇²θL))² − ν min(L(θ) − L(θ_w), gap), with X projected back onto the
separable set after every step (``separable``), θ polished and the witness population retrained
on the new data between rounds. The decoys with the largest gap are submitted; the referee decides.
The first population (data from the seed only) is reported for the bad-basin rate.

Run: ``python -m arena attacker=data_search defender=softplus``
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import torch

from arena.claims import Claim
from arena.contract.datasets import input_dim_of, separable_dataset
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, ensure_applies, require_int, require_number
from arena.search import basins
from arena.search.data import SearchConfig, search_one


def _through_origin(setting: Setting, guarantee: Guarantee | None) -> bool:
    names = [a.name for a in (guarantee.assumptions if guarantee else [])]
    return "data_linearly_separable_through_origin" in names or (setting.builtin and not setting.mlp.bias)


@dataclass(frozen=True)
class DataSearch(PluginConfig):
    """``n`` samples; ``rounds`` × ``x_steps`` Adam steps (rate ``lr_x``) on the data; weights ``mu``
    (negative curvature), ``nu`` (gap, capped at ``gap``), ``rho`` (data size); ``separable``: keep
    y_i(u·x_i + c) >= ``margin``; ``witness_restarts``: restarts retrained on each new X;
    ``max_restarts``, ``max_steps``, ``max_datasets``: caps below the budget that keep a default
    match to a few seconds on a CPU (null: spend the whole budget)."""

    n: int = 16
    rounds: int = 2
    x_steps: int = 15
    lr_x: float = 0.02
    mu: float = 10.0
    nu: float = 1.0
    rho: float = 1e-3
    gap: float = 0.1
    margin: float = 0.1
    separable: bool = True
    lr: float = 0.02
    witness_restarts: int = 8
    max_params: int = 400
    max_restarts: int | None = 16
    max_steps: int | None = 300
    max_datasets: int | None = 1

    name: ClassVar[str] = "data_search"

    def __post_init__(self) -> None:
        who = "attacker data_search"
        for key in ("max_restarts", "max_steps", "max_datasets"):
            require_int(who, key, getattr(self, key), optional=True)
        for key in ("n", "rounds", "x_steps", "witness_restarts", "max_params"):
            require_int(who, key, getattr(self, key), at_least=4 if key == "n" else 0)
        for key in ("lr_x", "lr", "gap", "margin"):
            require_number(who, key, getattr(self, key))
        for key in ("mu", "nu", "rho"):
            require_number(who, key, getattr(self, key), at_least=0)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        if setting.input_dim is None:
            return False, "the network does not declare input_dim, so no dataset can be generated for it"
        if setting.num_params > self.max_params:
            return False, (f"{setting.num_params} parameters > max_params={self.max_params}: the search "
                           "differentiates the exact Hessian")
        return True, ""

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        ensure_applies(self, setting, guarantee)
        cfg = SearchConfig(**{f.name: getattr(self, f.name) for f in fields(SearchConfig) if hasattr(self, f.name)})
        origin = _through_origin(setting, guarantee)
        rng = np.random.default_rng(seed)
        gen = torch.Generator().manual_seed(seed)
        cap = lambda value, limit: value if limit is None else min(value, limit)  # noqa: E731
        steps, restarts = cap(budget.steps, self.max_steps), cap(budget.restarts, self.max_restarts)
        found = []
        for dataset in range(cap(budget.datasets, self.max_datasets)):
            X0, y0, u, c = separable_dataset(self.n, input_dim_of(setting, self.name), rng)
            c = 0.0 if origin else c
            out = search_one(setting, X0, y0, u, c, steps, restarts, gen, cfg, report=basins.report)
            loss = float(setting.empirical_loss(out["theta"], out["X"], out["y"]))
            wloss = float(setting.empirical_loss(out["witness"], out["X"], out["y"]))
            claim = Claim(setting.to_config(), out["X"], out["y"], out["theta"], witness=out["witness"],
                          attacker=self.name, seed=seed,
                          notes=f"dataset {dataset}: decoy loss {loss:.6g}, witness {wloss:.6g} after the data search",
                          extra={"search": {"dataset": dataset, "separator": {"u": u.tolist(), "c": c},
                                            "margin": self.margin, "separable": self.separable,
                                            "restarts": restarts, "steps": steps,
                                            "log": out["log"]}})
            found.append((loss - wloss, claim))
        found.sort(key=lambda gc: -gc[0])
        return [c for _, c in found[: budget.max_claims]]
