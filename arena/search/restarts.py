"""Train, polish and pick the worst converged points: what the training attacks on given data share.

* :class:`Training` — optimizer settings of a run (optimizer, lr, momentum, batch size), checked
  with one line per bad knob, recorded in claims;
* :func:`train`, :func:`train_polish` — a population trained (bare engine, or Lightning for long
  runs), then polished with batched L-BFGS in float64, on the CPU afterwards;
* :func:`above_best` — the converged points above the best loss by a margin (the candidates);
* :func:`rate_entry` — a count as ``{"bad", "restarts", "rate", "ci"}`` with its 95% Wilson interval.
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import torch

from arena.contract.knobs import require_int, require_number
from arena.engine.lightning import fit_population
from arena.engine.population import OPTIMIZERS, PopulationResult, polish_lbfgs, train_population
from arena.landscape.setting import Setting
from arena.search.basins import wilson


@dataclass(frozen=True)
class Training:
    """``optimizer``: adam or sgd; ``lr``: its step size; ``momentum``: SGD's (0 for Adam);
    ``batch_size``: samples per step, None or 0 for full batch (:mod:`arena.engine.batches`)."""

    optimizer: str = "adam"
    lr: float = 0.02
    momentum: float = 0.0
    batch_size: int | None = None

    def check(self, who: str) -> None:
        """Raise one line naming the bad knob."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"{who}: optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        require_number(who, "lr", self.lr)
        require_number(who, "momentum", self.momentum, at_least=0.0)
        if self.momentum >= 1:
            raise ValueError(f"{who}: momentum must be < 1, got {self.momentum!r}")
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"{who}: momentum applies to optimizer sgd only, got optimizer {self.optimizer!r} "
                             f"with momentum {self.momentum!r}")
        require_int(who, "batch_size", self.batch_size, at_least=0, optional=True)

    def record(self) -> dict[str, Any]:
        """What a claim's ``extra`` records of the run's optimizer."""
        return {**asdict(self), "batch_size": self.batch_size or None}


def train(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
          training: Training, *, steps: int, seed: int, device: str, lightning_above: int = 1_000_000,
          progress_bar: bool = False) -> PopulationResult:
    """Train ``params`` ([K, *shape]) for ``steps`` steps; the result on the CPU.

    Runs of more network-steps (K x steps) than ``lightning_above`` train inside Lightning (progress
    bar, ``accelerator="auto"``), smaller ones with the bare engine (same steps; Lightning's
    per-step overhead would dominate a small run). Mini-batches are drawn with ``seed``.
    """
    kw: dict[str, Any] = dict(steps=steps, lr=training.lr, optimizer=training.optimizer, momentum=training.momentum,
                              batch_size=training.batch_size or None, batch_seed=seed)
    k = next(iter(params.values())).shape[0]
    if k * steps <= lightning_above:
        return train_population(setting, X, y, params, device=device, **kw).cpu()
    accelerator = "cpu" if str(device).startswith("cpu") else "auto"
    return fit_population(setting, X, y, params, accelerator=accelerator,
                          enable_progress_bar=progress_bar and sys.stderr.isatty(), **kw)


def train_polish(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
                 training: Training, *, steps: int, seed: int, device: str, polish_iters: int = 300,
                 lightning_above: int = 1_000_000, progress_bar: bool = False) -> PopulationResult:
    """:func:`train`, then batched L-BFGS in float64 (``polish_iters`` iterations); the result on the CPU."""
    trained = train(setting, X, y, params, training, steps=steps, seed=seed, device=device,
                    lightning_above=lightning_above, progress_bar=progress_bar)
    return polish_lbfgs(setting, X, y, trained.params, max_iter=polish_iters, device=device).cpu()


def above_best(loss: torch.Tensor, grad_norm: torch.Tensor, best: float, converged_grad: float,
               min_gap: float) -> torch.Tensor:
    """[K] bool: finite, ‖∇L‖ < ``converged_grad`` and L > ``best`` + ``min_gap``."""
    return torch.isfinite(loss) & (grad_norm < converged_grad) & (loss > best + min_gap)


def rate_entry(bad: int, restarts: int) -> dict[str, Any]:
    """``{"bad", "restarts", "rate", "ci": [low, high]}`` (fractions; 95% Wilson interval)."""
    low, high = wilson(bad, restarts)
    return {"bad": bad, "restarts": restarts, "rate": bad / restarts if restarts else 0.0, "ci": [low, high]}
