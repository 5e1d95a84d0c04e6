"""Random restarts: train many initialisations of the defended network and submit the worst minima.

A search attack with no construction behind it: on ``budget.datasets`` generated linearly
separable datasets it trains ``budget.restarts`` random initialisations of the defended network at
once (the population engine; a long search inside one Lightning ``Trainer.fit``, so it has Lightning's
progress bar, logger, checkpoints and ``accelerator="auto"``), polishes them with batched L-BFGS in
float64, and submits the converged points of highest loss, each with the best point of the same
run as its witness. It is the empirical probe of every guarantee ("does plain training ever get
stuck?"), in the spirit of the experiments in Safran & Shamir, ICML 2018 (arXiv 1712.08968).

On a fixed data set (``python -m arena attacker=random_restarts defender=none data=breast_cancer``;
:mod:`arena.data`) it trains on those data instead of generating any: one population of
``budget.restarts`` restarts. The practitioner's knobs are all here: ``optimizer`` (adam, sgd),
``momentum`` (SGD), ``batch_size`` (mini-batches shared by the population; null: full batch),
``init`` (torch, kaiming_*, xavier_*: :mod:`arena.search.inits`) with ``init_scales`` as its scale.
Each claim records the optimizer settings and the run's rate of converged points above the best
(with its 95% Wilson interval).

Run: ``python -m arena attacker=random_restarts defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from arena.claims import Claim
from arena.data import Dataset
from arena.landscape.setting import Setting
from arena.contract.datasets import input_dim_of, separable_dataset
from arena.contract import Budget, Guarantee, PluginConfig, require_int, require_number
from arena.search import basins
from arena.search.inits import check_scheme, init_population
from arena.search.restarts import Training, above_best, rate_entry, train_polish


@dataclass(frozen=True)
class RandomRestarts(PluginConfig):
    """Search by training; ``n`` samples per generated dataset, ``init_scales`` cycled over restarts.

    ``optimizer`` (adam, sgd), ``lr``, ``momentum`` (sgd only), ``batch_size`` (null or 0: full
    batch): the training (:class:`arena.search.restarts.Training`); ``init``: the initialisation
    scheme (:data:`arena.search.inits.SCHEMES`), each of ``init_scales`` multiplying it;

    ``converged_grad``: a polished point counts as converged when ‖∇L‖ is below it;
    ``min_gap``: a point is submitted only if its loss exceeds the run's best by this much;
    ``progress_bar``: Lightning's bar while training (shown on a terminal only);
    ``lightning_above``: searches of more network-steps (restarts x steps) than this train inside
    Lightning, smaller ones with the bare engine (same optimizer and steps; Lightning's per-step
    overhead, ~4 ms on a CPU, would otherwise dominate a small search).
    """

    name: ClassVar[str] = "random_restarts"
    fixed_data: ClassVar[bool] = True  # trains on whatever data it is given (arena.data)

    n: int = 16
    lr: float = 0.02
    optimizer: str = "adam"
    momentum: float = 0.0
    batch_size: int | None = None
    init: str = "torch"
    init_scales: tuple[float, ...] = (1.0, 2.0, 4.0)
    converged_grad: float = 1e-6
    min_gap: float = 1e-4
    progress_bar: bool = True
    lightning_above: int = 1_000_000

    def __post_init__(self) -> None:
        who = "attacker random_restarts"
        require_int(who, "n", self.n, at_least=4)
        self.training.check(who)
        check_scheme(who, self.init)
        if not self.init_scales or isinstance(self.init_scales, str):
            raise ValueError(f"{who}: init_scales must be a non-empty list of numbers > 0, got {self.init_scales!r}")
        for scale in self.init_scales:
            require_number(who, "each of init_scales", scale)

    @property
    def training(self) -> Training:
        return Training(self.optimizer, self.lr, self.momentum, self.batch_size)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]:
        if setting.input_dim is None:
            return False, "the network does not declare input_dim, so no dataset can be generated for it"
        return True, ""

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu", data: Dataset | None = None) -> list[Claim]:
        """``data``: a fixed data set to train on (one population); None: ``budget.datasets`` generated ones."""
        rng = np.random.default_rng(seed)
        gen = torch.Generator().manual_seed(seed)
        found: list[tuple[float, Claim]] = []
        for dataset in range(budget.datasets if data is None else 1):
            if data is None:
                Xn, yn, _, _ = separable_dataset(self.n, input_dim_of(setting, self.name), rng)
                X = torch.tensor(Xn, dtype=torch.float64)
                y = torch.tensor(yn, dtype=torch.float64)
            else:
                X, y = data.tensors()
            per = -(-budget.restarts // len(self.init_scales))
            inits = [init_population(setting, per, self.init, s, gen) for s in self.init_scales]
            params = {k: torch.cat([p[k] for p in inits])[: budget.restarts] for k in setting.param_shapes}
            polished = train_polish(setting, X, y, params, self.training, steps=budget.steps, seed=seed + dataset,
                                    device=device, lightning_above=self.lightning_above,
                                    progress_bar=self.progress_bar)
            basins.report(setting, X, y, polished.params,
                          label=f"random_restarts {'dataset ' + str(dataset) if data is None else 'data ' + data.name}")
            loss, gnorm = polished.loss, polished.grad_norm
            best = polished.best()
            ok = above_best(loss, gnorm, float(loss[best]), self.converged_grad, self.min_gap)
            run = {"init": self.init, "init_scales": list(self.init_scales), **self.training.record(),
                   "above_best": rate_entry(int(ok.sum()), int(loss.numel()))}
            for k in torch.nonzero(ok).flatten().tolist():
                theta = {name: t[k].clone() for name, t in polished.params.items()}
                witness = {name: t[best].clone() for name, t in polished.params.items()}
                claim = Claim(setting.to_config(), X, y, theta, witness=witness, attacker=self.name, seed=seed,
                              notes=f"dataset {dataset}, restart {k}: loss {float(loss[k]):.6g} after training "
                                    f"and polish (best of the run {float(loss[best]):.6g})",
                              extra={"search": {"dataset": dataset, "restart": k, "restarts": budget.restarts,
                                                "steps": budget.steps, "grad_norm": float(gnorm[k]), **run}})
                found.append((float(loss[k] - loss[best]), claim))
        found.sort(key=lambda gc: -gc[0])
        return [c for _, c in found[: budget.max_claims]]
