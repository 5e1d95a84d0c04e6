"""Random restarts against init_search on fixed data, on the same budget of network-steps.

For each data set and seed, ``random_restarts`` trains ``--restarts`` restarts for ``--steps``
steps (Adam, PyTorch's init at scales 1, 2, 4) and ``init_search`` spends the same
restarts x steps on successive halving over scheme x scale x learning rate, then on full-length
restarts of the configuration it chose; both polish every point with L-BFGS in float64. Every
population is judged by the arena's cheap bad-basin test (:func:`arena.search.basins.judge_population`:
converged, no saturated unit, Hessian PSD, loss >= best + 1e-3).

Printed per data set and attacker, pooled over the seeds: the bad-basin rate with its 95% Wilson
interval (random_restarts: all its restarts; init_search: the full-length restarts of its chosen
configuration), the worst bad loss and the best loss among everything it trained, wall seconds,
and the configurations chosen. ``--batch-size B`` adds random_restarts with mini-batches of B
samples (the same seeds) as a third row.

Run: ``python benchmarks/restarts_vs_search.py --data breast_cancer wine --width 2 --seeds 0 1 2 --batch-size 64``
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

import torch

from arena.attackers.init_search import InitSearch
from arena.attackers.random_restarts import RandomRestarts
from arena.contract import Budget
from arena.data import load_data
from arena.landscape.setting import Setting
from arena.data.sweep import data_node
from arena.search import basins


def judge(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]) -> dict[str, Any]:
    return basins.judge_population(basins.Population(setting, X, y, params))


def restarts_run(attacker: RandomRestarts, setting: Setting, data: Any, budget: Budget, seed: int) -> dict[str, Any]:
    with basins.recording() as rec:
        attacker.attack(setting, None, budget, seed, data=data)
    (pop,) = rec.populations
    census = judge(setting, pop.X, pop.y, pop.params)
    return {"bad": census["bad"], "restarts": census["restarts"], "worst": max(census["bad_losses"], default=None),
            "best": census["best_loss"], "chosen": None}


def search_run(attacker: InitSearch, setting: Setting, data: Any, budget: Budget, seed: int) -> dict[str, Any]:
    X, y = data.tensors()
    arms, log = attacker.search(setting, X, y, budget, seed)
    final = [a for a in arms if a.final.stop > a.final.start]
    rate = judge(setting, X, y, {k: torch.cat([a.params[k][a.final] for a in final]) for k in setting.param_shapes})
    every = judge(setting, X, y, {k: torch.cat([a.params[k] for a in arms if a.loss.numel()])
                                  for k in setting.param_shapes})
    return {"bad": rate["bad"], "restarts": rate["restarts"], "worst": max(every["bad_losses"], default=None),
            "best": every["best_loss"], "chosen": ", ".join(log["chosen"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", default=["breast_cancer", "wine"])
    parser.add_argument("--width", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--restarts", type=int, default=32)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    budget = Budget(restarts=args.restarts, steps=args.steps)
    runs = [("random_restarts", lambda *a: restarts_run(RandomRestarts(progress_bar=False), *a)),
            ("init_search", lambda *a: search_run(InitSearch(progress_bar=False), *a))]
    if args.batch_size:
        mini = RandomRestarts(progress_bar=False, batch_size=args.batch_size)
        runs.append((f"random_restarts batch {args.batch_size}", lambda *a: restarts_run(mini, *a)))
    print(f"budget {args.restarts} x {args.steps} network-steps per search; ReLU width {args.width}, quadratic hinge; "
          f"seeds {args.seeds}\n")
    print("| data | attacker | bad / restarts | rate [95% CI] | worst bad loss | best loss | seconds | chosen |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.data:
        data = load_data(data_node(name))
        setting = Setting.from_config({"network": {"input_dim": data.d, "hidden": [args.width], "neuron": "relu"},
                                       "loss": "quadratic_hinge"})
        for label, run in runs:
            t = time.perf_counter()
            out = [run(setting, data, budget, seed) for seed in args.seeds]
            seconds = time.perf_counter() - t
            bad, n = sum(o["bad"] for o in out), sum(o["restarts"] for o in out)
            low, high = basins.wilson(bad, n)
            worsts = [o["worst"] for o in out if o["worst"] is not None]
            worst = f"{max(worsts):.4g}" if worsts else "-"
            chosen = Counter(o["chosen"] for o in out if o["chosen"])
            print(f"| {name} | {label} | {bad} / {n} | {100 * bad / n:.0f}% [{100 * low:.0f}, {100 * high:.0f}] | "
                  f"{worst} | {min(o['best'] for o in out):.4g} | {seconds:.0f} | "
                  f"{'; '.join(f'{c} ({k}x)' for c, k in chosen.items()) or '-'} |", flush=True)


if __name__ == "__main__":
    main()
