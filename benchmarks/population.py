"""Population engine against per-network training loops, on the same work, in one process.

The same K networks (same initial weights, same data, same optimizer, lr and step count) are trained

  (a) by the engine: all K at once (:func:`arena.engine.population.train_population`);
  (b) by a plain torch loop: one ``setting.build()`` module and one ``torch.optim`` optimizer per
      network, one network after the other;
  (c) by Lightning: one LightningModule and one ``Trainer.fit`` per network, configured as a careful
      user would (no progress bar, logger, checkpointing or model summary; full batch per step).

(b) and (c) run on a subset of the networks and are extrapolated per network-step to K. Each timing
is the best of ``--repeats`` runs (the machine may be shared). The last line printed is
``ratio engine/lightning: R``.

    python benchmarks/population.py                       # K=1000, 2-16-1 ReLU, n=100, Adam, 100 steps
    python benchmarks/population.py --device cuda --k 10000

On a GPU (or with ``--scan-k``) it then times the engine alone at K = 10^4 and 10^5 and prints
network-steps per second, the achieved TFLOP/s (matrix products of forward + backward, counted by
:func:`arena.engine.flops.mlp_step_flops`) and their fraction of the device's fp32 peak (from a
table by device name, or ``--peak-tflops``).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from typing import Callable

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from arena.engine.population import resolve_device, train_population
from arena.landscape.setting import Params, Setting

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=int, default=1000, help="population size K")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps per network")
    p.add_argument("--n", type=int, default=100, help="number of samples")
    p.add_argument("--d", type=int, default=2, help="input dimension")
    p.add_argument("--hidden", type=str, default="16", help="hidden widths, comma separated (e.g. 16 or 32,16)")
    p.add_argument("--neuron", default="relu")
    p.add_argument("--loss", default="quadratic_hinge")
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:<i>")
    p.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    p.add_argument("--baseline-networks", type=int, default=20, help="networks timed in the plain torch loop")
    p.add_argument("--lightning-networks", type=int, default=5, help="networks timed in the Lightning loop")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per method; the best is reported")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scan-k", default=None,
                   help="population sizes timed with the engine alone, e.g. 10000,100000 (default on cuda)")
    p.add_argument("--peak-tflops", type=float, default=None, help="the device's fp32 peak (default: by name)")
    return p.parse_args(argv)


def make_problem(args: argparse.Namespace, dtype: torch.dtype) -> tuple[Setting, torch.Tensor, torch.Tensor, Params]:
    """The setting, n random points labelled by a random linear separator, and K initial networks (CPU)."""
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    setting = Setting.from_config({"network": {"input_dim": args.d, "hidden": hidden, "neuron": args.neuron},
                                   "loss": args.loss})
    g = torch.Generator().manual_seed(args.seed)
    X = torch.randn(args.n, args.d, generator=g, dtype=torch.float64)
    w = torch.randn(args.d, generator=g, dtype=torch.float64)
    y = torch.where(X @ w >= 0, 1.0, -1.0)
    params = setting.init_params(args.k, generator=g, dtype=torch.float64)
    return setting, X.to(dtype), y.to(dtype), {k: v.to(dtype) for k, v in params.items()}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _make_optimizer(name: str, parameters, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(parameters, lr=lr) if name == "adam" else torch.optim.SGD(parameters, lr=lr)


def _network(setting: Setting, params: Params, i: int, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """Member i of the population as an ordinary nn.Module."""
    net = setting.build().to(device=device, dtype=dtype)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(params[name][i])
    return net


def _module_loss(setting: Setting, net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Empirical loss of one module, through its own forward: a scalar."""
    loss = setting.loss_fn(y * net(X)).mean()
    return loss + setting.penalty(dict(net.named_parameters())) if setting.regularizers else loss


# -- (b) plain torch, one network at a time ------------------------------------------------------
def plain_loop(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Params, networks: range, *,
               steps: int, lr: float, optimizer: str, device: torch.device) -> list[float]:
    """Train each listed member alone; returns their final losses."""
    X, y = X.to(device), y.to(device)
    final = []
    for i in networks:
        net = _network(setting, params, i, device, X.dtype)
        opt = _make_optimizer(optimizer, net.parameters(), lr)
        for _ in range(steps):
            opt.zero_grad()
            _module_loss(setting, net, X, y).backward()
            opt.step()
        with torch.no_grad():
            final.append(_module_loss(setting, net, X, y).item())
    return final


# -- (c) Lightning, one Trainer.fit per network --------------------------------------------------
class _FullBatch(Dataset):
    """The whole dataset as one batch, ``steps`` times (one epoch = the whole run)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, steps: int) -> None:
        self.X, self.y, self.steps = X, y, steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X, self.y


class OneNetwork(pl.LightningModule):
    def __init__(self, setting: Setting, net: nn.Module, optimizer: str, lr: float) -> None:
        super().__init__()
        self.setting, self.net, self.optimizer_name, self.lr = setting, net, optimizer, lr

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        X, y = batch
        return _module_loss(self.setting, self.net, X, y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return _make_optimizer(self.optimizer_name, self.parameters(), self.lr)


def lightning_loop(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Params, networks: range, *,
                   steps: int, lr: float, optimizer: str, device: torch.device) -> list[float]:
    """One Trainer.fit per listed member; returns their final losses."""
    accelerator = "gpu" if device.type == "cuda" else "cpu"
    devices = [device.index] if device.type == "cuda" and device.index is not None else 1
    final = []
    for i in networks:
        module = OneNetwork(setting, _network(setting, params, i, torch.device("cpu"), X.dtype), optimizer, lr)
        trainer = pl.Trainer(max_steps=steps, accelerator=accelerator, devices=devices, logger=False,
                             enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False)
        trainer.fit(module, train_dataloaders=DataLoader(_FullBatch(X, y, steps), batch_size=None))
        net = module.net.to(device)
        with torch.no_grad():
            final.append(_module_loss(setting, net, X.to(device), y.to(device)).item())
    return final


def best_time(run: Callable[[], object], repeats: int, device: torch.device) -> tuple[float, object]:
    """Fastest of ``repeats`` runs (seconds) and the last run's result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        out = run()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best, out


def quiet_lightning() -> None:
    """What a careful user does for many short fits: no banner, no per-fit warnings."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*deprecated.*")


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    quiet_lightning()
    device = resolve_device(args.device)
    dtype = DTYPES[args.dtype]
    setting, X, y, params = make_problem(args, dtype)
    K, steps = args.k, args.steps
    n_plain, n_light = min(args.baseline_networks, K), min(args.lightning_networks, K)
    common = dict(steps=steps, lr=args.lr, optimizer=args.optimizer, device=device)
    print(f"setting: {setting.describe()} ({setting.num_params} parameters)")
    print(f"work: K={K} networks x {steps} steps, n={args.n}, {args.optimizer} lr={args.lr:g}, {args.dtype}, "
          f"device={device}, torch threads={torch.get_num_threads()}, best of {args.repeats}")

    # Warm-ups (first-call costs: kernels, allocator, Lightning imports) are not timed.
    train_population(setting, X, y, params, lr=args.lr, steps=2, optimizer=args.optimizer, device=device)
    plain_loop(setting, X, y, params, range(1), **{**common, "steps": 2})
    lightning_loop(setting, X, y, params, range(1), **{**common, "steps": 2})

    engine = lambda: train_population(setting, X, y, params, lr=args.lr, steps=steps,  # noqa: E731
                                      optimizer=args.optimizer, device=device)
    t_engine, res = best_time(engine, args.repeats, device)
    unfused = lambda: train_population(setting, X, y, params, lr=args.lr, steps=steps,  # noqa: E731
                                       optimizer=args.optimizer, device=device, fused=False)
    t_unfused, _ = best_time(unfused, args.repeats, device)
    t_plain, loss_plain = best_time(lambda: plain_loop(setting, X, y, params, range(n_plain), **common),
                                    args.repeats, device)
    t_light, loss_light = best_time(lambda: lightning_loop(setting, X, y, params, range(n_light), **common),
                                    args.repeats, device)

    rate_engine = K * steps / t_engine
    rate_unfused = K * steps / t_unfused
    rate_plain = n_plain * steps / t_plain
    rate_light = n_light * steps / t_light
    print(f"engine              : {K} networks in {t_engine:.3f} s                       -> "
          f"{rate_engine:12,.0f} network-steps/s")
    print(f"engine, fused=False : {K} networks in {t_unfused:.3f} s                       -> "
          f"{rate_unfused:12,.0f} network-steps/s")
    print(f"plain torch loop    : {n_plain} networks in {t_plain:.3f} s, extrapolated to K={K}: "
          f"{K * steps / rate_plain:8.1f} s -> {rate_plain:12,.0f} network-steps/s")
    print(f"lightning loop      : {n_light} networks in {t_light:.3f} s, extrapolated to K={K}: "
          f"{K * steps / rate_light:8.1f} s -> {rate_light:12,.0f} network-steps/s")
    # The same work: the baselines' final losses must match the engine's for the same members.
    engine_loss = res.loss.detach().cpu().double()
    diff_plain = (torch.tensor(loss_plain, dtype=torch.float64) - engine_loss[:n_plain]).abs().max().item()
    diff_light = (torch.tensor(loss_light, dtype=torch.float64) - engine_loss[:n_light]).abs().max().item()
    print(f"same work: max |final loss - engine's| = {diff_plain:.2e} (plain), {diff_light:.2e} (lightning); "
          f"engine mean final loss {engine_loss.mean().item():.4g}")
    # Other jobs on the same cores slow the multi-threaded engine most; say how busy it was.
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"ratio engine/unfused: {rate_engine / rate_unfused:.1f}")
    print(f"ratio engine/plain: {rate_engine / rate_plain:.1f}")
    scan = args.scan_k if args.scan_k is not None else ("10000,100000" if device.type == "cuda" else "")
    if scan:
        scan_population(args, setting, X, y, [int(k) for k in scan.split(",")], device)
    ratio = rate_engine / rate_light
    print(f"ratio engine/lightning: {ratio:.1f}")
    return ratio


def scan_population(args: argparse.Namespace, setting: Setting, X: torch.Tensor, y: torch.Tensor,
                    ks: list[int], device: torch.device) -> None:
    """Engine throughput at each K, as network-steps/s and as a fraction of the fp32 peak."""
    from arena.engine.flops import mlp_step_flops, peak_tflops

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = args.peak_tflops or peak_tflops(name)
    m = setting.mlp
    flops = mlp_step_flops((m.input_dim, *m.hidden, 1), X.shape[0], bias=m.bias)
    print(f"scan on {name}: {flops:,} FLOPs per network-step (forward + backward matrix products), "
          f"fp32 peak {peak if peak else 'unknown (pass --peak-tflops)'} TFLOP/s")
    for k in ks:
        gen = torch.Generator().manual_seed(args.seed)
        params = setting.init_params(k, generator=gen, dtype=DTYPES[args.dtype])
        run = lambda: train_population(setting, X, y, params, lr=args.lr, steps=args.steps,  # noqa: E731
                                       optimizer=args.optimizer, device=device)
        run()  # warm-up at this size
        seconds, _ = best_time(run, args.repeats, device)
        rate = k * args.steps / seconds
        tflops = rate * flops / 1e12
        share = f"{tflops / peak:.1%} of peak" if peak else "peak unknown"
        print(f"K={k:>7}: {rate:14,.0f} network-steps/s, {tflops:7.3f} TFLOP/s, {share}")


if __name__ == "__main__":
    main(sys.argv[1:])
