"""Population engine against other ways of training the same networks, on the same work, in one process.

The same K networks (same initial weights, same data, same optimizer, lr and step count) are trained

  (a) by the engine: all K at once (:func:`arena.engine.population.train_population`);
  (v) by ``torch.func``: ``vmap(grad(loss))`` of one network's loss (``functional_call`` on the
      ``setting.build()`` module) over the stacked parameters, and one ``torch.optim`` optimizer
      (fused Adam) over the stacked tensors: the batched code a skilled user writes;
  (b) by a plain torch loop: one ``setting.build()`` module and one ``torch.optim`` optimizer per
      network, one network after the other;
  (c) by Lightning: one LightningModule and one ``Trainer.fit`` per network, configured as a careful
      user would (no progress bar, logger, checkpointing or model summary; full batch per step).

(a) and (v) train all K networks and end with the loss and gradient at the final point; before
timing, a short float64 run of both on the same members checks that they reach the same losses.
(b) and (c) run on a subset of the networks and are extrapolated per network-step to K. The timed
runs of the methods are interleaved and each method's best of ``--repeats`` is reported, as wall
clock and as CPU time of this process (the machine may be shared; CPU time is the steadier guide
there). It also times the forward matrix products alone, at the engine's shapes, as the machine's
matmul rate, and prints which fraction of it the engine reaches. ``--baselines`` picks the
comparisons; the last line printed is ``ratio engine/lightning: R`` when Lightning runs, else
``ratio engine/vmap: R``.

    python benchmarks/population.py                       # K=1000, 2-16-1 ReLU, n=100, Adam, 100 steps
    python benchmarks/population.py --baselines vmap --d 64 --hidden 256,256 --n 500 --steps 3
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
    p.add_argument("--baselines", default="vmap,plain,lightning",
                   help="comparisons to run, comma separated: vmap, plain, lightning, unfused")
    p.add_argument("--check-networks", type=int, default=50, help="members in the float64 same-work check")
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


# -- (v) torch.func: vmap(grad) over the stacked parameters, one batched optimizer ---------------
def vmap_loop(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Params, *, steps: int, lr: float,
              optimizer: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Train all K members at once with torch.func; returns (final loss [K], final gradient norm [K])."""
    from torch.func import functional_call, grad_and_value, vmap

    X, y = X.to(device), y.to(device)
    net = setting.build().to(device=device, dtype=X.dtype)
    stacked = {name: value.detach().to(device).clone() for name, value in params.items()}

    def loss_one(p: Params, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return setting.combine(setting.loss_fn(y * functional_call(net, p, (X,))).mean(), p)

    step = vmap(grad_and_value(loss_one), in_dims=(0, None, None))
    tensors = list(stacked.values())
    opt = (torch.optim.Adam(tensors, lr=lr, fused=True) if optimizer == "adam"
           else torch.optim.SGD(tensors, lr=lr, foreach=True))
    for _ in range(steps):
        grads, _ = step(stacked, X, y)
        for name, p in stacked.items():
            p.grad = grads[name]
        opt.step()
    grads, loss = step(stacked, X, y)
    return loss, torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))


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


def timed(runs: dict[str, Callable[[], object]], repeats: int, device: torch.device
          ) -> tuple[dict[str, float], dict[str, float], dict[str, object]]:
    """Interleaved repeats: (best wall seconds, best CPU seconds of this process, last result) per run."""
    wall, cpu, out = {k: float("inf") for k in runs}, {k: float("inf") for k in runs}, {}
    for _ in range(repeats):
        for name, run in runs.items():
            _sync(device)
            start, start_cpu = time.perf_counter(), time.process_time()
            out[name] = run()
            _sync(device)
            wall[name] = min(wall[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return wall, cpu, out


def quiet_lightning() -> None:
    """What a careful user does for many short fits: no banner, no per-fit warnings."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*deprecated.*")


def same_work(args: argparse.Namespace, setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Params,
              device: torch.device) -> float:
    """Max |final loss| difference of engine and vmap on a few members, float64, a few steps."""
    k = min(args.check_networks, args.k)
    sub = {name: value[:k].double() for name, value in params.items()}
    X64, y64 = X.double(), y.double()
    steps = min(args.steps, 5)
    engine = train_population(setting, X64, y64, sub, lr=args.lr, steps=steps, optimizer=args.optimizer,
                              device=device)
    loss, _ = vmap_loop(setting, X64, y64, sub, steps=steps, lr=args.lr, optimizer=args.optimizer, device=device)
    return (engine.loss - loss).abs().max().item()


def forward_products(setting: Setting, k: int, n: int, dtype: torch.dtype, device: torch.device) -> Callable[[], None]:
    """The forward matrix products of K networks at the engine's shapes: mm for the first layer, bmm after."""
    m = setting.mlp
    widths = (m.input_dim, *m.hidden, 1)
    g = torch.Generator().manual_seed(0)
    first = (torch.randn(k * widths[1], widths[0], generator=g, dtype=dtype).to(device),
             torch.randn(widths[0], n, generator=g, dtype=dtype).to(device))
    layers = [(torch.randn(k, b, a, generator=g, dtype=dtype).to(device),
               torch.randn(k, a, n, generator=g, dtype=dtype).to(device)) for a, b in zip(widths[1:-1], widths[2:])]

    def run() -> None:
        torch.mm(*first)
        for W, h in layers:
            torch.bmm(W, h)

    return run


def matmul_report(setting: Setting, args: argparse.Namespace, t_engine: tuple[float, float], dtype: torch.dtype,
                  device: torch.device) -> None:
    """The machine's matmul rate on the engine's forward shapes, and the engine's share of it.

    ``t_engine``: the engine's (wall, CPU) seconds. Both rates are given per wall second and per CPU
    second of this process (on a shared machine the second is the one to compare across runs).
    """
    from arena.engine.flops import mlp_step_flops

    m = setting.mlp
    widths, n, K = (m.input_dim, *m.hidden, 1), args.n, args.k
    products = forward_products(setting, K, n, dtype, device)
    products()
    wall, cpu, _ = timed({"mm": products}, args.repeats, device)
    forward = sum(2 * n * a * b for a, b in zip(widths[:-1], widths[1:])) * K
    engine = mlp_step_flops(widths, n, bias=m.bias) * K * (args.steps + 1)  # the final gradient included
    rate, rate_cpu = forward / wall["mm"] / 1e9, forward / cpu["mm"] / 1e9
    achieved, achieved_cpu = engine / t_engine[0] / 1e9, engine / t_engine[1] / 1e9
    print(f"matmul rate at the engine's shapes (forward products alone): {rate:.1f} GFLOP/s per wall-s, "
          f"{rate_cpu:.1f} per CPU-s; engine (matrix products of forward + backward): {achieved:.1f} per wall-s "
          f"= {achieved / rate:.0%} of it, {achieved_cpu:.1f} per CPU-s = {achieved_cpu / rate_cpu:.0%}")


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    quiet_lightning()
    device = resolve_device(args.device)
    dtype = DTYPES[args.dtype]
    setting, X, y, params = make_problem(args, dtype)
    K, steps = args.k, args.steps
    baselines = {b.strip() for b in args.baselines.split(",") if b.strip()}
    unknown = baselines - {"vmap", "plain", "lightning", "unfused"}
    if unknown:
        raise SystemExit(f"unknown --baselines {sorted(unknown)}; known: vmap, plain, lightning, unfused")
    n_plain, n_light = min(args.baseline_networks, K), min(args.lightning_networks, K)
    common = dict(steps=steps, lr=args.lr, optimizer=args.optimizer, device=device)
    print(f"setting: {setting.describe()} ({setting.num_params} parameters)")
    print(f"work: K={K} networks x {steps} steps, n={args.n}, {args.optimizer} lr={args.lr:g}, {args.dtype}, "
          f"device={device}, torch threads={torch.get_num_threads()}, best of {args.repeats}")
    if "vmap" in baselines:
        print(f"same work: max |final loss, engine - vmap| = {same_work(args, setting, X, y, params, device):.2e} "
              f"(float64, {min(args.check_networks, K)} networks, {min(steps, 5)} steps)")

    runs: dict[str, Callable[[], object]] = {
        "engine": lambda: train_population(setting, X, y, params, lr=args.lr, steps=steps,
                                           optimizer=args.optimizer, device=device)}
    if "vmap" in baselines:
        runs["vmap"] = lambda: vmap_loop(setting, X, y, params, **common)
    if "unfused" in baselines:
        runs["unfused"] = lambda: train_population(setting, X, y, params, lr=args.lr, steps=steps,
                                                   optimizer=args.optimizer, device=device, fused=False)
    if "plain" in baselines:
        runs["plain"] = lambda: plain_loop(setting, X, y, params, range(n_plain), **common)
    if "lightning" in baselines:
        runs["lightning"] = lambda: lightning_loop(setting, X, y, params, range(n_light), **common)
    # Warm-ups (first-call costs: kernels, allocator, Lightning imports) are not timed.
    train_population(setting, X, y, params, lr=args.lr, steps=1, optimizer=args.optimizer, device=device)
    if "vmap" in baselines:
        vmap_loop(setting, X, y, params, **{**common, "steps": 1})
    if "plain" in baselines:
        plain_loop(setting, X, y, params, range(1), **{**common, "steps": 2})
    if "lightning" in baselines:
        lightning_loop(setting, X, y, params, range(1), **{**common, "steps": 2})
    wall, cpu, out = timed(runs, args.repeats, device)

    networks = {"plain": n_plain, "lightning": n_light}
    rates = {name: networks.get(name, K) * steps / wall[name] for name in runs}
    for name in runs:
        m = networks.get(name, K)
        print(f"{name:9s}: {m:5d} networks in {wall[name]:8.3f} s wall, {cpu[name]:8.3f} s CPU -> "
              f"{wall[name] / (m * steps) * 1e6:9.2f} us wall, {cpu[name] / (m * steps) * 1e6:9.2f} us CPU "
              f"per network-step, {rates[name]:12,.0f} network-steps/s")
    engine_loss = out["engine"].loss.detach().cpu().double()
    for name in ("plain", "lightning"):
        if name in runs:
            diff = (torch.tensor(out[name], dtype=torch.float64) - engine_loss[:networks[name]]).abs().max().item()
            print(f"same work: max |final loss, {name} - engine| = {diff:.2e}")
    if "vmap" in runs:
        diff = (out["vmap"][0].detach().cpu().double() - engine_loss).abs().max().item()
        print(f"same work: max |final loss, vmap - engine| = {diff:.2e} ({args.dtype}, all {K} networks); "
              f"engine mean final loss {engine_loss.mean().item():.4g}")
        matmul_report(setting, args, (wall["engine"], cpu["engine"]), dtype, device)
    # Other jobs on the same cores slow the multi-threaded engine most; say how busy it was.
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name in runs:
        if name not in ("engine", "lightning", "vmap"):
            print(f"ratio engine/{name}: {rates['engine'] / rates[name]:.1f}")
    scan = args.scan_k if args.scan_k is not None else ("10000,100000" if device.type == "cuda" else "")
    if scan:
        scan_population(args, setting, X, y, [int(k) for k in scan.split(",")], device)
    ratio = 0.0
    if "vmap" in runs:
        ratio = rates["engine"] / rates["vmap"]
        print(f"ratio engine/vmap (CPU time): {cpu['vmap'] / cpu['engine']:.2f}")
        print(f"ratio engine/vmap: {ratio:.2f}")
    if "lightning" in runs:
        ratio = rates["engine"] / rates["lightning"]
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
        seconds = timed({"engine": run}, args.repeats, device)[0]["engine"]
        rate = k * args.steps / seconds
        tflops = rate * flops / 1e12
        share = f"{tflops / peak:.1%} of peak" if peak else "peak unknown"
        print(f"K={k:>7}: {rate:14,.0f} network-steps/s, {tflops:7.3f} TFLOP/s, {share}")


if __name__ == "__main__":
    main(sys.argv[1:])
