"""A4 at scale: how often do restarts of a deep network without shortcut end in a bad minimum?

Liang et al. (ICML 2018, arXiv:1803.00909) state that their no-bad-minimum result needs one hidden
layer or a shortcut, with a counterexample for deep networks that we could not retrieve. This
script trains many random starts of deep networks with increasing, strictly convex neurons and a
hinge-type loss on random linearly separable data (the population engine, on a GPU when present),
polishes them in float64, and counts converged points above the population's best; those
candidates get the bad-basin test of ``arena.search.basins`` (saturation and Hessian checks, on
the CPU). ReLU rows are the contrast.

Run: ``python benchmarks/a4_restarts.py --datasets 32 --restarts 4096 --steps 3000``
(prints one row per setting: restarts, converged, candidates, bad, distinct, rate with Wilson 95%).
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch

from arena.engine.population import polish_lbfgs, resolve_device, train_population
from arena.landscape.setting import Setting
from arena.search import basins

SETTINGS = {
    "softplus_linear_4_4": ([4, 4], "softplus_linear"),
    "softplus_linear_4_2": ([4, 2], "softplus_linear"),
    "softplus_4_4": ([4, 4], "softplus"),
    "exponential_4_2": ([4, 2], "exponential"),
    "relu_4_4": ([4, 4], "relu"),
}


def separable(n: int, d: int, rng: np.random.Generator, gap: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """X [n, d], y [n] with y_i(u·x_i + c) >= gap (both labels at least twice)."""
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    c = float(rng.uniform(-0.5, 0.5))
    n_pos = int(rng.integers(2, n - 1))
    y = rng.permutation(np.r_[np.ones(n_pos), -np.ones(n - n_pos)])
    s = y * (gap + np.abs(rng.normal(size=n)))
    Z = rng.normal(size=(n, d))
    return Z - np.outer(Z @ u, u) + np.outer(s - c, u), y


def one_dataset(setting: Setting, X: torch.Tensor, y: torch.Tensor, restarts: int, steps: int, gen: torch.Generator,
                device: torch.device) -> dict:
    per = -(-restarts // 3)
    inits = [setting.init_params(per, generator=gen, scale=s) for s in (1.0, 2.0, 4.0)]
    params = {k: torch.cat([p[k] for p in inits])[:restarts] for k in setting.param_shapes}
    trained = train_population(setting, X, y, params, lr=0.02, steps=steps, device=device, dtype=torch.float32)
    pol = polish_lbfgs(setting, X, y, trained.params, max_iter=300, device=device).cpu()
    loss = torch.nan_to_num(pol.loss, nan=math.inf)
    best = float(loss.min())
    cand = (pol.grad_norm <= 1e-6) & (loss >= best + 1e-3 * max(1.0, abs(best)))
    out = {"restarts": restarts, "converged_grad": int((pol.grad_norm <= 1e-6).sum()), "candidates": int(cand.sum()),
           "best": best, "max_loss": float(loss[torch.isfinite(loss)].max())}
    if int(cand.sum()):
        # the full cheap test on the candidates plus the best point (which sets the threshold)
        keep = torch.cat([cand.nonzero().flatten()[:256], torch.tensor([int(loss.argmin())])])
        sub = {k: v[keep].double() for k, v in pol.params.items()}
        judged = basins.judge_population(basins.Population(setting, X.cpu(), y.cpu(), sub, "candidates"))
        out.update(bad=judged["bad"], distinct=judged["distinct"], bad_losses=judged["bad_losses"][:5])
    else:
        out.update(bad=0, distinct=0, bad_losses=[])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=4)
    ap.add_argument("--restarts", type=int, default=64)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--loss", default="quadratic_hinge")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    device = resolve_device(args.device)
    for name in args.settings.split(","):
        hidden, neuron = SETTINGS[name]
        s = Setting.from_config({"network": {"input_dim": 2, "hidden": hidden, "neuron": neuron}, "loss": args.loss})
        rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
        t, rows = time.perf_counter(), []
        for _ in range(args.datasets):
            Xn, yn = separable(args.n, 2, rng)
            rows.append(one_dataset(s, torch.tensor(Xn), torch.tensor(yn), args.restarts, args.steps, gen, device))
        restarts, bad = sum(r["restarts"] for r in rows), sum(r["bad"] for r in rows)
        low, high = basins.wilson(bad, restarts)
        print(json.dumps({"setting": name, "loss": args.loss, "datasets": args.datasets, "restarts": restarts,
                          "converged_grad": sum(r["converged_grad"] for r in rows),
                          "candidates": sum(r["candidates"] for r in rows), "bad": bad,
                          "distinct": sum(r["distinct"] for r in rows), "rate": bad / restarts, "ci": [low, high],
                          "datasets_with_bad": sum(r["bad"] > 0 for r in rows),
                          "bad_losses": [r["bad_losses"] for r in rows if r["bad_losses"]][:3],
                          "seconds": round(time.perf_counter() - t, 1), "device": str(device)}), flush=True)


if __name__ == "__main__":
    main()
