"""The population engine as a Lightning module, for long searches (docs/design.md, "Population engine").

:class:`PopulationModule` holds the whole population as one ``[K, P]`` parameter and takes one
batched step per ``training_step`` (full batch, or one mini-batch shared by all members:
:mod:`arena.engine.batches`), so ``Trainer.fit`` brings its progress bar, loggers,
checkpoints and ``accelerator="auto"``. It uses the engine's loss and optimizer, so
:func:`fit_population` reaches what :func:`arena.engine.population.train_population` reaches for the same
optimizer, learning rate, step count and batches.
"""
from __future__ import annotations

import logging
import time
import warnings
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from arena.engine import limits as _limits
from arena.engine.batches import MiniBatches
from arena.engine.population import PopulationLoss, PopulationResult, make_optimizer
from arena.landscape.setting import Setting


class _Ticks(Dataset):
    """``steps`` dummy items: one epoch is ``steps`` steps (the data live in the module)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.zeros(())


class PopulationModule(pl.LightningModule):
    """K networks of one setting trained together on (X, y).

    X: [n, d], y: [n] in {-1, +1}; params: name -> [K, *shape], copied into the parameter
    ``flat`` [K, P] in ``dtype`` (default: the params' dtype). X and y are buffers, so they follow the
    module to the accelerator. Logs ``loss/mean``, ``loss/min``, ``loss/max`` each step. The module
    brings its own loader (one epoch = ``steps_per_epoch`` steps), so
    ``pl.Trainer(max_steps=...).fit(module)`` is all a long run needs.
    """

    X: torch.Tensor  # buffers (register_buffer in __init__)
    y: torch.Tensor

    def __init__(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
                 optimizer: str = "adam", lr: float = 1e-2, momentum: float = 0.0,
                 dtype: torch.dtype | None = None, fused: bool = True, steps_per_epoch: int = 100,
                 batch_size: int | None = None, batch_seed: int = 0) -> None:
        super().__init__()
        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be >= 1, got {steps_per_epoch}")
        self.steps_per_epoch = steps_per_epoch
        dtype = dtype or next(iter(params.values())).dtype
        self.setting = setting
        self.flat = nn.Parameter(setting.flatten({k: v.detach() for k, v in params.items()}).to(dtype).clone())
        if self.flat.dim() != 2:
            raise ValueError(f"a population needs params [K, ...], got flat shape {tuple(self.flat.shape)}")
        self.register_buffer("X", X.detach().to(dtype).clone())
        self.register_buffer("y", y.detach().to(dtype).clone())
        self.optimizer_name, self.lr, self.momentum, self.fused = optimizer, lr, momentum, fused
        # the stream restarts with the module: a fit resumed from a checkpoint draws new batches
        self._batches = MiniBatches(self.X.shape[0], batch_size, batch_seed)
        make_optimizer(optimizer, [torch.zeros(1, requires_grad=True)], lr=lr, momentum=momentum)  # fail early
        # Tensors stay out of hparams: the checkpoint holds them as state.
        self.save_hyperparameters({"setting": setting.to_config(), "optimizer": optimizer, "lr": lr,
                                   "momentum": momentum, "k": self.flat.shape[0],
                                   "steps_per_epoch": steps_per_epoch, "batch_size": batch_size,
                                   "batch_seed": batch_seed})
        self._objective: PopulationLoss | None = None

    @property
    def objective(self) -> PopulationLoss:
        """The engine's loss on the module's current device/dtype (rebuilt after a move)."""
        obj = self._objective
        if obj is None or obj.X is not self.X or obj.y.device != self.X.device:
            obj = self._objective = PopulationLoss(self.setting, self.X, self.y, fused=self.fused)
        return obj

    def forward(self) -> torch.Tensor:
        """Loss of every member: [K]."""
        return self.objective(self.flat)

    def population(self) -> dict[str, torch.Tensor]:
        """Current parameters, name -> [K, *shape], detached on the CPU."""
        return {k: v.detach().cpu().clone() for k, v in self.setting.unflatten(self.flat).items()}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        rows = self._batches.next()
        loss = self.objective(self.flat, None if rows is None else rows.to(self.X.device))
        detached = loss.detach()
        self.log("loss/mean", detached.mean(), prog_bar=True, batch_size=1)
        self.log("loss/min", detached.min(), batch_size=1)
        self.log("loss/max", detached.max(), batch_size=1)
        # Σ_k L_k: each member's gradient is its own, as in the engine.
        return loss.sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer(self.optimizer_name, [self.flat], lr=self.lr, momentum=self.momentum)

    def train_dataloader(self) -> DataLoader:
        # The data live in the module; the loader only paces the steps.
        return DataLoader(_Ticks(self.steps_per_epoch), batch_size=None)


class _StopAtDeadline(pl.Callback):
    """Ends ``fit`` after the step during which the active limits' deadline passed."""

    def __init__(self, limits: _limits.Limits) -> None:
        self.limits = limits
        self.stopped = False

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        if self.limits.expired():
            self.stopped = trainer.should_stop = True


def _within_limits(params: Mapping[str, torch.Tensor], steps: int) -> tuple[Mapping[str, torch.Tensor], int,
                                                                             _limits.Limits | None]:
    limits = _limits.current()
    if limits is None:
        return params, steps, None
    k = next(iter(params.values())).shape[0]
    keep = limits.clip_restarts(k)
    if keep < k:
        params = {name: v[:keep] for name, v in params.items()}
    return params, max(1, limits.clip_steps(steps)), limits


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's start-up banner and the single-item DataLoader warning for one fit."""
    loggers = [logging.getLogger(name) for name in ("pytorch_lightning", "lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*GPU available but not used.*")
            # Lightning 2.6 builds pytree LeafSpecs that newer torch marks deprecated: not ours to fix.
            warnings.filterwarnings("ignore", message=".*LeafSpec.*deprecated.*", category=FutureWarning)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def fit_population(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor], *,
                   steps: int, lr: float, optimizer: str = "adam", momentum: float = 0.0,
                   accelerator: str = "auto", devices: int | str = 1, dtype: torch.dtype | None = None,
                   enable_progress_bar: bool = False, logger: Any = False, enable_checkpointing: bool = False,
                   default_root_dir: str | None = None, callbacks: list[Any] | None = None,
                   log_every_n_steps: int = 50, quiet: bool = True, fused: bool = True,
                   batch_size: int | None = None, batch_seed: int = 0, **trainer_kwargs: Any) -> PopulationResult:
    """Train the population with ``Trainer.fit`` for ``steps`` steps (full batch, or ``batch_size``
    samples per step drawn as in :func:`arena.engine.training.train_population`).

    X: [n, d], y: [n]; params: name -> [K, *shape]. Extra keyword arguments go to ``pl.Trainer``.
    ``quiet`` silences Lightning's start-up banner (set False to see it). Returns params detached on
    the CPU, with loss [K] and grad_norm [K] evaluated at them; ``seconds`` covers the whole fit.
    Active limits (:mod:`arena.engine.limits`) clip K and ``steps`` and end the fit at the deadline.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    params, steps, limits = _within_limits(params, steps)
    stopper = _StopAtDeadline(limits) if limits is not None else None
    if stopper is not None:
        callbacks = [*(callbacks or []), stopper]
    module = PopulationModule(setting, X, y, params, optimizer=optimizer, lr=lr, momentum=momentum, dtype=dtype,
                              fused=fused, steps_per_epoch=steps, batch_size=batch_size, batch_seed=batch_seed)
    start = time.perf_counter()
    context = _quiet_lightning() if quiet else warnings.catch_warnings()
    with context:
        trainer = pl.Trainer(max_steps=steps, max_epochs=-1, accelerator=accelerator, devices=devices,
                             enable_progress_bar=enable_progress_bar, logger=logger,
                             enable_checkpointing=enable_checkpointing, enable_model_summary=False,
                             default_root_dir=default_root_dir, callbacks=callbacks,
                             log_every_n_steps=log_every_n_steps, **trainer_kwargs)
        trainer.fit(module)
    seconds = time.perf_counter() - start
    flat = module.flat.detach().cpu()
    objective = PopulationLoss(setting, module.X.detach().cpu(), module.y.detach().cpu(), fused=fused)
    loss, grad = objective.value_and_grad(flat)
    result = PopulationResult(setting.unflatten(flat.clone()), loss, grad.norm(dim=-1), int(trainer.global_step),
                              seconds)
    result.extra["trainer"] = trainer
    if stopper is not None and limits is not None:
        limits.record(flat.shape[0], int(trainer.global_step), stopper.stopped)
        if stopper.stopped:
            result.extra["stopped_at_deadline"] = True
    return result
