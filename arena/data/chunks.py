"""One cell of the bad-basin sweep in chunks of restarts, so its biggest cells fit in memory.

The restarts of a cell are independent, so training, polishing and the basin test can run on a few
of them at a time. A chunk holds as many restarts as ``max_gib`` allows by :func:`member_bytes`;
a cell whose restarts all fit runs as one population, exactly as before chunking existed. In
chunks, the basin test (:func:`arena.search.basins.judge_population`, which polishes its
population again before judging it) gets the same extra polish chunk by chunk, then judges each
chunk with the cell's best end point added, so every chunk compares against the cell's best loss;
the counts are summed (``distinct`` then bounds the distinct bad points from above).

Chunks give the same converged end points as one population; a restart still far from converged
after the polish may end elsewhere, since the batched products round differently with another
number of restarts and a kinked (ReLU) path amplifies that (tests/arena/data/test_chunks.py).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from arena.engine.population import PopulationResult, polish_lbfgs, train_population
from arena.landscape.setting import Setting
from arena.search.basins import QUANTILES, BasinTest, Population, judge_population


def member_bytes(setting: Setting, n: int) -> int:
    """Estimated peak bytes one restart needs on ``n`` samples (the float64 polish dominates).

    L-BFGS keeps ~30 float64 vectors of P numbers per member (10 curvature pairs, iterate, gradient,
    line-search trials) and the fused kernel ~4 float64 [width, n] activations per hidden layer.
    """
    units = sum(int(h) for h in setting.network.get("hidden", []))
    return 8 * (30 * setting.num_params + 4 * units * n)


def chunk_size(setting: Setting, n: int, restarts: int, max_gib: float) -> int:
    """Restarts per chunk: all of them when they fit in ``max_gib`` GiB, else as many as do (>= 1)."""
    if not max_gib > 0:
        raise ValueError(f"basins.max_gib must be > 0, got {max_gib!r}")
    return max(1, min(restarts, int(max_gib * 2**30 // member_bytes(setting, n))))


def _rows(params: dict[str, torch.Tensor], idx: list[int]) -> dict[str, torch.Tensor]:
    return {k: v[idx] for k, v in params.items()}


def cat_results(parts: list[PopulationResult]) -> PopulationResult:
    """The chunks' results as one population result (on the CPU)."""
    def cat(name: str) -> Any:
        values = [getattr(p, name) for p in parts]
        return None if any(v is None for v in values) else torch.cat([v.cpu() for v in values])

    params = {k: torch.cat([p.params[k].cpu() for p in parts]) for k in parts[0].params}
    return dataclasses.replace(parts[0], params=params, loss=cat("loss"), grad_norm=cat("grad_norm"),
                               converged=cat("converged"), iterations=cat("iterations"), distance=cat("distance"),
                               steps=max(p.steps for p in parts), seconds=sum(p.seconds for p in parts))


def train_and_polish(setting: Setting, X: torch.Tensor, y: torch.Tensor, start: dict[str, torch.Tensor],
                     node: dict[str, Any], device: str, chunk: int) -> list[PopulationResult]:
    """Train then polish (float64 L-BFGS) the restarts ``start`` ([K, ...] per name), ``chunk`` at a time."""
    K = next(iter(start.values())).shape[0]
    parts = []
    for lo in range(0, K, chunk):
        part = _rows(start, list(range(lo, min(K, lo + chunk))))
        trained = train_population(setting, X, y, part, steps=int(node["steps"]), lr=float(node["lr"]),
                                   optimizer=str(node.get("optimizer", "adam")),
                                   momentum=float(node.get("momentum") or 0.0), batch_size=node.get("batch_size") or None,
                                   batch_seed=int(node.get("seed", 0)), device=device)
        parts.append(polish_lbfgs(setting, X, y, trained.params, max_iter=int(node.get("polish_iters", 300)),
                                  device=device))
    return parts


def census(pop: Population, parts: list[PopulationResult], test: BasinTest = BasinTest()) -> dict[str, Any]:
    """The basin test of the whole cell; ``parts``: the polished chunks of ``pop.params`` in order."""
    if len(parts) == 1:
        return judge_population(pop, test)
    s, X, y = pop.setting, pop.X, pop.y
    final = cat_results([polish_lbfgs(s, X, y, p.params, max_iter=test.polish_iters, device="cpu") for p in parts])
    loss = torch.nan_to_num(final.loss, nan=math.inf)
    best = int(loss.argmin())
    judged = dataclasses.replace(test, polish_iters=0)  # polished above, chunk by chunk
    alone = judge_population(dataclasses.replace(pop, params=_rows(final.params, [best])), judged)
    counts, lo = [], 0
    for p in parts:
        idx = list(range(lo, lo + p.loss.numel()))
        lo += len(idx)
        extra = [] if best in idx else [best]
        counts.append(judge_population(dataclasses.replace(pop, params=_rows(final.params, extra + idx)), judged))
    finite = torch.isfinite(loss)
    q = torch.quantile(loss[finite], torch.tensor(QUANTILES, dtype=loss.dtype)).tolist() if bool(finite.any()) else []
    added = len(parts) - 1  # chunks that judged the best end point besides its own
    return {"label": pop.label, "comparable": pop.comparable, "restarts": int(loss.numel()),
            "converged": sum(c["converged"] for c in counts) - added * alone["converged"],
            "bad": sum(c["bad"] for c in counts), "distinct": sum(c["distinct"] for c in counts),
            "best_loss": alone["best_loss"], "loss_quantiles": dict(zip(map(str, QUANTILES), q)),
            "bad_losses": sorted({v for c in counts for v in c["bad_losses"]})[:20], "chunks": len(parts)}
