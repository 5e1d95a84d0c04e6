"""Init search: successive halving over initialisation scheme x scale x learning rate for bad basins.

Random restarts (``random_restarts``) ask how often *one* standard recipe gets stuck; a
practitioner's recipe is a choice, though, and some choices get stuck far more often. This
attacker searches the recipes: within the same budget of network-steps as ``random_restarts``
(``budget.restarts`` x ``budget.steps`` optimizer steps per dataset, every trained point then
polished with batched L-BFGS in float64, as there) it

1. probes every configuration (scheme x scale x learning rate) with a few short restarts and
   estimates its bad-basin rate: the share of polished points that converged (‖∇L‖ below
   ``converged_grad``) above the best loss found so far by ``min_gap``;
2. keeps the better half by that estimate (Laplace-smoothed, ties to the higher mean loss) and
   probes the survivors again with twice the restarts, until ``keep`` configurations are left
   (successive halving, Li et al., "Hyperband", JMLR 2018, arXiv 1603.06560; with restarts, not
   steps, as the resource: a rate needs samples); the probes spend ``probe_fraction`` of the budget;
3. spends the rest of the budget on full-length restarts of the chosen configurations;

and submits the converged points of highest loss among everything it trained, each with the best
point found as its witness. Restarts as an attack on "training finds global minima" follow Safran
& Shamir, ICML 2018 (arXiv 1712.08968); the schemes are :mod:`arena.search.inits`. On a fixed data
set (:mod:`arena.data`) it searches those data; without one it generates ``budget.datasets``
separable datasets of ``n`` samples and searches each with the whole budget.

Run: ``python -m arena attacker=init_search defender=none data=breast_cancer``
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, require_int, require_number
from arena.contract.datasets import input_dim_of, separable_dataset
from arena.data import Dataset
from arena.landscape.setting import Setting
from arena.search import basins
from arena.search.inits import check_scheme, init_population
from arena.engine.population import polish_lbfgs
from arena.search.restarts import Training, above_best, rate_entry, train


@dataclass
class Arm:
    """One configuration and every polished point trained with it (params name -> [m, *shape])."""

    scheme: str
    scale: float
    lr: float
    params: dict[str, torch.Tensor] = field(default_factory=dict)
    loss: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.float64))
    grad_norm: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.float64))
    final: slice = field(default_factory=lambda: slice(0, 0))  # the points of the exploitation phase

    def label(self) -> str:
        return f"{self.scheme} x{self.scale:g} lr {self.lr:g}"

    def add(self, params: dict[str, torch.Tensor], loss: torch.Tensor, grad_norm: torch.Tensor) -> None:
        self.params = {k: torch.cat([self.params[k], v]) if self.params else v for k, v in params.items()}
        self.loss, self.grad_norm = torch.cat([self.loss, loss]), torch.cat([self.grad_norm, grad_norm])

    def bad(self, best: float, converged_grad: float, min_gap: float, part: slice = slice(None)) -> int:
        return int(above_best(self.loss[part], self.grad_norm[part], best, converged_grad, min_gap).sum())


@dataclass(frozen=True)
class InitSearch(PluginConfig):
    """Successive halving over ``schemes`` x ``scales`` x ``lrs`` for the largest bad-basin rate.

    ``optimizer``, ``momentum``, ``batch_size``: the training of every configuration
    (:class:`arena.search.restarts.Training`); ``probe_fraction``: share of the budget's
    network-steps spent on probes; ``probe_steps``: a probe's training steps as a fraction of
    ``budget.steps``; ``keep``: configurations that get the rest of the budget; ``polish_iters``:
    L-BFGS iterations per trained point (as ``random_restarts``' 300); ``n``: samples per
    generated dataset (synthetic data only); ``converged_grad``, ``min_gap``, ``lightning_above``,
    ``progress_bar``: as in ``random_restarts``.
    """

    name: ClassVar[str] = "init_search"
    fixed_data: ClassVar[bool] = True  # trains on whatever data it is given (arena.data)

    schemes: tuple[str, ...] = ("torch", "kaiming_normal", "xavier_normal")
    scales: tuple[float, ...] = (1.0, 4.0)
    lrs: tuple[float, ...] = (0.005, 0.05)
    optimizer: str = "adam"
    momentum: float = 0.0
    batch_size: int | None = None
    probe_fraction: float = 0.5
    probe_steps: float = 0.1
    keep: int = 1
    polish_iters: int = 300
    n: int = 16
    converged_grad: float = 1e-6
    min_gap: float = 1e-4
    progress_bar: bool = True
    lightning_above: int = 1_000_000

    def __post_init__(self) -> None:
        who = "attacker init_search"
        for key in ("schemes", "scales", "lrs"):
            value = getattr(self, key)
            if not value or isinstance(value, str):
                raise ValueError(f"{who}: {key} must be a non-empty list, got {value!r}")
        for scheme in self.schemes:
            check_scheme(who, scheme)
        for scale in self.scales:
            require_number(who, "each of scales", scale)
        for lr in self.lrs:
            Training(self.optimizer, lr, self.momentum, self.batch_size).check(who)
        for key in ("probe_fraction", "probe_steps"):
            require_number(who, key, getattr(self, key))
            if getattr(self, key) >= 1:
                raise ValueError(f"{who}: {key} must be < 1, got {getattr(self, key)!r}")
        require_int(who, "keep", self.keep)
        require_int(who, "polish_iters", self.polish_iters)
        require_int(who, "n", self.n, at_least=4)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]:
        if setting.input_dim is None:
            return False, "the network does not declare input_dim, so no dataset can be generated for it"
        return True, ""

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu", data: Dataset | None = None) -> list[Claim]:
        """``data``: a fixed data set to search (one search); None: ``budget.datasets`` generated ones."""
        rng = np.random.default_rng(seed)
        found: list[tuple[float, Claim]] = []
        for dataset in range(budget.datasets if data is None else 1):
            if data is None:
                Xn, yn, _, _ = separable_dataset(self.n, input_dim_of(setting, self.name), rng)
                X, y = torch.tensor(Xn, dtype=torch.float64), torch.tensor(yn, dtype=torch.float64)
            else:
                X, y = data.tensors()
            arms, log = self.search(setting, X, y, budget, seed + 7919 * dataset, device)
            label = f"init_search {'dataset ' + str(dataset) if data is None else 'data ' + data.name}"
            found += self._claims(setting, X, y, arms, log, budget, seed, dataset, label)
        found.sort(key=lambda gc: -gc[0])
        return [c for _, c in found[: budget.max_claims]]

    # -- the search --------------------------------------------------------------------------
    def search(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, budget: Budget, seed: int,
               device: str = "cpu") -> tuple[list[Arm], dict[str, Any]]:
        """Successive halving, then the exploitation phase; every arm with its points, and a log.

        The log: ``network_steps`` spent (restarts x steps, probes and final), ``rounds`` (per
        round: restarts per arm and each arm's bad / points), ``chosen`` (the arms kept).
        """
        gen = torch.Generator().manual_seed(seed)
        arms = [Arm(s, c, lr) for s, c, lr in itertools.product(self.schemes, self.scales, self.lrs)]
        total = budget.restarts * budget.steps
        probe_len = max(1, round(self.probe_steps * budget.steps))
        rounds = max(1, math.ceil(math.log2(len(arms) / self.keep))) if len(arms) > self.keep else 0
        per_round = self.probe_fraction * total / max(rounds, 1)
        alive, spent = list(arms), 0
        log: dict[str, Any] = {"rounds": [], "probe_steps": probe_len}
        for r in range(rounds):
            if budget.expired() or len(alive) <= self.keep:
                break
            m = max(1, int(per_round // (len(alive) * probe_len)))
            if spent + m * len(alive) * probe_len > total:
                break
            self._train(setting, X, y, alive, m, probe_len, budget, gen, seed + r, device)
            spent += m * len(alive) * probe_len
            best = min(float(torch.nan_to_num(a.loss, nan=math.inf).min()) for a in arms if a.loss.numel())
            scored = sorted(alive, key=lambda a: self._score(a, best), reverse=True)
            log["rounds"].append({"restarts_per_arm": m, "steps": probe_len, "arms": {
                a.label(): f"{a.bad(best, self.converged_grad, self.min_gap)}/{a.loss.numel()}" for a in scored}})
            alive = scored[: max(self.keep, math.ceil(len(alive) / 2))]
        chosen = alive[: self.keep] if rounds else alive
        per_arm = (total - spent) // (budget.steps * len(chosen))
        if per_arm >= 1 and not budget.expired():
            for a in chosen:
                a.final = slice(a.loss.numel(), a.loss.numel() + per_arm)
            self._train(setting, X, y, chosen, per_arm, budget.steps, budget, gen, seed + rounds, device)
            spent += per_arm * len(chosen) * budget.steps
        log.update(network_steps=spent, budget_network_steps=total, chosen=[a.label() for a in chosen])
        return arms, log

    def _score(self, arm: Arm, best: float) -> tuple[float, float]:
        """(Laplace-smoothed bad rate, mean finite loss): larger is more promising."""
        bad, m = arm.bad(best, self.converged_grad, self.min_gap), arm.loss.numel()
        finite = arm.loss[torch.isfinite(arm.loss)]
        return (bad + 1) / (m + 2), float(finite.mean()) if finite.numel() else -math.inf

    def _train(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, arms: list[Arm], m: int, steps: int,
               budget: Budget, gen: torch.Generator, seed: int, device: str) -> None:
        """m new restarts of each arm for ``steps`` steps, then polished; arms sharing a learning rate
        train as one population, and all polish together, in chunks of at most ``budget.restarts``
        (the engine's limit per call)."""
        owner: list[Arm] = []
        trained: list[dict[str, torch.Tensor]] = []
        for lr in dict.fromkeys(a.lr for a in arms):
            group = [a for a in arms if a.lr == lr]
            inits = [init_population(setting, m, a.scheme, a.scale, gen) for a in group]
            params = {k: torch.cat([p[k] for p in inits]) for k in setting.param_shapes}
            training = Training(self.optimizer, lr, self.momentum, self.batch_size)
            for start in range(0, m * len(group), budget.restarts):
                part = {k: v[start:start + budget.restarts] for k, v in params.items()}
                trained.append(train(setting, X, y, part, training, steps=steps, seed=seed + start, device=device,
                                     lightning_above=self.lightning_above, progress_bar=self.progress_bar).params)
            owner += [a for a in group for _ in range(m)]
        points = {k: torch.cat([t[k] for t in trained]) for k in setting.param_shapes}
        for start in range(0, len(owner), budget.restarts):
            part = {k: v[start:start + budget.restarts] for k, v in points.items()}
            res = polish_lbfgs(setting, X, y, part, max_iter=self.polish_iters, device=device).cpu()
            for i, arm in enumerate(owner[start:start + budget.restarts]):
                arm.add({k: v[i:i + 1] for k, v in res.params.items()}, res.loss[i:i + 1], res.grad_norm[i:i + 1])

    # -- the claims --------------------------------------------------------------------------
    def _claims(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, arms: list[Arm], log: dict[str, Any],
                budget: Budget, seed: int, dataset: int, label: str) -> list[tuple[float, Claim]]:
        """The converged points above the best of the whole search, worst first, each with its witness."""
        trained = [a for a in arms if a.loss.numel()]
        if not trained:
            return []
        best_arm = min(trained, key=lambda a: float(torch.nan_to_num(a.loss, nan=math.inf).min()))
        b = int(torch.nan_to_num(best_arm.loss, nan=math.inf).argmin())
        best = float(best_arm.loss[b])
        witness = {k: v[b].clone() for k, v in best_arm.params.items()}
        finals = [a for a in trained if a.final.stop > a.final.start]
        if finals:
            params = {k: torch.cat([a.params[k][a.final] for a in finals]) for k in setting.param_shapes}
            basins.report(setting, X, y, params, label=f"{label} ({', '.join(a.label() for a in finals)})",
                          comparable=False)  # the chosen recipe depends on the defended setting
        final = rate_entry(sum(a.bad(best, self.converged_grad, self.min_gap, a.final) for a in finals),
                           sum(a.final.stop - a.final.start for a in finals))
        search = {"dataset": dataset, **log, "optimizer": self.optimizer, "momentum": self.momentum,
                  "batch_size": self.batch_size or None, "above_best_final": final}
        out = []
        for arm in trained:
            ok = above_best(arm.loss, arm.grad_norm, best, self.converged_grad, self.min_gap)
            for k in torch.nonzero(ok).flatten().tolist():
                theta = {name: t[k].clone() for name, t in arm.params.items()}
                claim = Claim(setting.to_config(), X, y, theta, witness=witness, attacker=self.name, seed=seed,
                              notes=f"dataset {dataset}, {arm.label()}, point {k}: loss {float(arm.loss[k]):.6g} "
                                    f"after training and polish (best of the search {best:.6g})",
                              extra={"search": {**search, "config": arm.label(), "lr": arm.lr, "init": arm.scheme,
                                                "init_scale": arm.scale, "grad_norm": float(arm.grad_norm[k])}})
                out.append((float(arm.loss[k]) - best, claim))
        return out
