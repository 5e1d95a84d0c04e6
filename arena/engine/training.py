"""First-order training of a population: Adam or SGD (with momentum) on the stacked [K, P] parameters,
full batch or in mini-batches shared by all members (:mod:`arena.engine.batches`).

The K networks are independent, so the gradient of Σ_k L(θ_k) with respect to the stacked
parameters holds every network's own gradient in its row, and elementwise optimizers applied to the
stacked tensor do exactly what K separate runs would do.
"""
from __future__ import annotations

import time
from typing import Callable, Mapping

import torch

from arena.engine.batches import MiniBatches
from arena.engine.devices import resolve_device, sync
from arena.engine.objective import PopulationLoss, PopulationResult, prepare, within_limits
from arena.landscape.setting import Setting

ProgressFn = Callable[[int, torch.Tensor], None]

OPTIMIZERS = ("adam", "sgd")


def make_optimizer(name: str, tensors: list[torch.Tensor], *, lr: float, momentum: float = 0.0) -> torch.optim.Optimizer:
    """torch.optim.Adam or SGD on the stacked tensors (elementwise, so stacking changes nothing).

    Shared by :func:`train_population` and the Lightning module, so both take identical steps.
    """
    key = name.lower()
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if key == "adam":
        if momentum:
            raise ValueError("momentum applies to sgd only")
        # The fused kernel does one pass instead of ~10 (same update up to rounding) where it exists.
        fused = all(t.device.type in ("cpu", "cuda") and t.dtype in (torch.float32, torch.float64) for t in tensors)
        return torch.optim.Adam(tensors, lr=lr, fused=fused or None)
    if key == "sgd":
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        return torch.optim.SGD(tensors, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")


def _reporter(progress: bool | ProgressFn, total: int, desc: str) -> tuple[ProgressFn | None, Callable[[], None]]:
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, leave=False)
    state = {"done": 0}

    def report(step: int, loss: torch.Tensor) -> None:
        finite = loss[torch.isfinite(loss)]
        if finite.numel():
            bar.set_postfix(mean=f"{finite.mean().item():.3e}", min=f"{finite.min().item():.3e}")
        bar.update(step - state["done"])
        state["done"] = step

    return report, bar.close


def train_population(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor], *,
                     lr: float, steps: int, optimizer: str = "adam", momentum: float = 0.0,
                     device: str | torch.device = "auto", dtype: torch.dtype | None = None,
                     progress: bool | ProgressFn = False, log_every: int | None = None,
                     fused: bool = True, stop_below: float | None = None, batch_size: int | None = None,
                     batch_seed: int = 0) -> PopulationResult:
    """Train every member of a population with Adam or SGD (``momentum``: SGD only) for ``steps`` steps.

    X: [n, d], y: [n] in {-1, +1}; params: name -> [K, *shape] (not modified). ``dtype`` defaults
    to the params' dtype; ``lr`` is the optimizer's step size. ``progress``: True for a tqdm bar, or
    a callable ``(step, loss [K])`` called every ``log_every`` steps (default ~100 reports per run)
    with the loss before that step — reporting is the only host sync in the loop. Members are
    independent: one that diverges to a non-finite loss does not disturb the others.

    ``stop_below``: end early once some member's loss is <= it (checked every ``log_every`` steps;
    e.g. 0.0 for a search that cannot do better than a zero loss; on mini-batches it reads the
    batch's loss).

    ``batch_size``: samples per step, None or 0 for full batch (the default); each step is one
    optimizer step on one mini-batch, the same batch for every member, drawn by
    :class:`arena.engine.batches.MiniBatches` seeded by ``batch_seed`` (one shuffle per epoch).

    Returns params on ``device`` with loss and grad_norm evaluated there after the last step.
    Under active limits (:mod:`arena.engine.limits`) K and ``steps`` are clipped and the loop stops
    at the deadline (``result.steps`` says how many steps ran, ``extra["stopped_at_deadline"]``).
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    dev = resolve_device(device)
    flat, X, y = prepare(setting, X, y, params, dev, dtype)
    flat, steps, limits = within_limits(flat, steps)
    objective = PopulationLoss(setting, X, y, fused=fused)
    batches = MiniBatches(X.shape[0], batch_size, batch_seed, dev)
    flat.requires_grad_(True)
    opt = make_optimizer(optimizer, [flat], lr=lr, momentum=momentum)
    every = max(1, log_every or steps // 100)
    report, close = _reporter(progress, steps, f"{optimizer} K={flat.shape[0]}"
                              + ("" if batches.full else f" batch={batches.batch_size}"))
    sync(dev)
    start = time.perf_counter()
    done, stopped = 0, False
    try:
        for step in range(steps):
            if limits is not None and limits.expired():
                stopped = True
                break
            done = step + 1
            loss = objective(flat, batches.next())
            (flat.grad,) = torch.autograd.grad(loss.sum(), flat)
            opt.step()
            if step % every == 0 or step == steps - 1:
                if report is not None:
                    report(step + 1, loss.detach())
                if stop_below is not None and bool((loss.detach() <= stop_below).any()):
                    break
        flat = flat.detach()
        loss, grad = objective.value_and_grad(flat)
        sync(dev)
    finally:
        close()
    seconds = time.perf_counter() - start
    if limits is not None:
        limits.record(flat.shape[0], done, stopped)
    return PopulationResult(setting.unflatten(flat), loss, grad.norm(dim=-1), done, seconds,
                            extra={"stopped_at_deadline": True} if stopped else {})
