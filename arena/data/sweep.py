"""Bad basins on real data: ``python -m arena experiment=real_data``.

For every data set × neuron × depth × width of the ``basins`` node it trains ``restarts`` standard
initialisations (PyTorch's fan-in uniform init) of the network ``d-[width]*depth-1`` with Adam or
SGD (``basins.optimizer``, ``momentum``; full batch, or ``batch_size`` samples per step), polishes them with batched L-BFGS in float64, counts the restarts that end in a bad local
minimum by the arena's cheap test (:func:`arena.search.basins.judge_population`: converged, no
saturated unit, Hessian PSD where it is computed, loss above the cell's best) and hands the worst
converged end point above the best to the referee. It writes

* ``<out_dir>/basins.csv``: ``data, neuron, depth, width, params, restarts, bad, rate, ci_low,
  ci_high, best_loss, worst_bad_loss, verdict, proof`` (rate and its 95% Wilson interval as
  fractions; ``verdict``/``proof``: the referee on the worst candidate, empty when there is none);
* ``<out_dir>/basins.json``: the rows, the basin test's details per cell and the data sets;
* ``<out_dir>/assumptions.md``: per data set, the data assumptions (linear separability with its
  LP certificate, distinct inputs) checked on the data;
* ``<out_dir>/basins.png`` (rate against width on a log2 axis with the Wilson intervals, one panel per
  data set, one colour per neuron, one line style per depth; needs matplotlib), ``<out_dir>/basins.md``
  and ``<out_dir>/basins.html`` (self-contained), the report page holding the plot, both tables and
  the CPU seconds of each cell (:mod:`arena.data.basins_page`).

A cell whose restarts would need more than ``basins.max_gib`` GiB at once runs in chunks of
restarts (:mod:`arena.data.chunks`); ``experiment=real_data_full`` plays the whole grid.
Cells run in ``basins.workers`` processes, one thread each, on the run's ``device`` (``auto``: the
GPU when there is one; CUDA workers are spawned, not forked). The worst point of each cell is also
written as a claim, ``<out_dir>/claims/<data>__<neuron>__d<depth>__w<width>.json``, so
``arena verify`` re-judges it anywhere.
"""
from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import Any

import torch
import yaml

from arena.assumptions import make_assumption
from arena.claims import Claim
from arena.claims.format import save_claim
from arena.data import load_data
from arena.data.basins_page import DATA_ASSUMPTIONS, write_pages
from arena.data.chunks import cat_results, chunk_size, train_and_polish
from arena.data.chunks import census as basin_census
from arena.engine.devices import resolve_device
from arena.landscape.setting import Setting
from arena.plain import plain, write_csv
from arena.referee.judge import judge_safely
from arena.search.basins import Population, wilson
from arena.search.restarts import Training

COLUMNS = ("data", "neuron", "depth", "width", "params", "restarts", "bad", "rate", "ci_low", "ci_high",
           "best_loss", "worst_bad_loss", "verdict", "proof")


def data_node(name: str) -> dict[str, Any]:
    """The ``conf/data/<name>.yaml`` node (the package's configs)."""
    path = files("arena.conf").joinpath("data", f"{name}.yaml")
    if not path.is_file():
        raise ValueError(f"basins.data: no data set named {name!r}")
    return yaml.safe_load(path.read_text())


def run_cell(data_cfg: dict[str, Any], neuron: str, depth: int, width: int, node: dict[str, Any],
             device: str = "cpu", claims_dir: str | None = None) -> dict[str, Any]:
    """One cell: train, polish, count bad basins, judge the worst candidate; a CSV row + details.

    ``device``: where the population trains and the referee judges ("cpu", "cuda", "cuda:i");
    ``claims_dir``: where the judged candidate is saved as a claim (None: not saved).
    """
    torch.set_num_threads(1)
    t = time.process_time()
    data = load_data(data_cfg)
    if data is None:
        raise ValueError(f"data sweep: {data_cfg!r} names no fixed data set")
    X, y = data.tensors()
    setting = Setting.from_config({"network": {"input_dim": data.d, "hidden": [width] * depth, "neuron": neuron},
                                   "loss": node.get("loss", "quadratic_hinge")})
    K, seed = int(node["restarts"]), int(node.get("seed", 0))
    gen = torch.Generator().manual_seed(seed * 1_000_003 + 1000 * width + 10 * depth + len(neuron))
    start = setting.init_params(K, generator=gen)
    chunk = chunk_size(setting, data.n, K, float(node.get("max_gib", 2.0)))
    clock = _PhaseClock()
    parts = [_to_cpu(p) for p in train_and_polish(setting, X, y, start, node, device, chunk)]
    polished = parts[0] if len(parts) == 1 else cat_results(parts)
    clock.lap("train_and_polish")
    pop = Population(setting, X, y, polished.params, label=f"{data.name} {neuron} {depth}x{width}")
    census = basin_census(pop, parts)
    clock.lap("census")
    low, high = wilson(census["bad"], K)
    row = {"data": data.name, "neuron": neuron, "depth": depth, "width": width, "params": setting.num_params,
           "restarts": K, "bad": census["bad"], "rate": census["bad"] / K, "ci_low": low, "ci_high": high,
           "best_loss": census["best_loss"], "worst_bad_loss": max(census["bad_losses"], default=None),
           "verdict": None, "proof": None}
    candidate = _worst_candidate(polished, census["best_loss"])
    if candidate is not None:
        theta = {k: v[candidate].clone() for k, v in polished.params.items()}
        witness = {k: v[int(torch.nan_to_num(polished.loss, nan=math.inf).argmin())].clone()
                   for k, v in polished.params.items()}
        claim = Claim(setting.to_config(), X, y, theta, witness=witness, attacker="real_data sweep", seed=seed)
        verdict = judge_safely(claim, dict(node.get("referee") or {}), device=device, setting=setting)
        row.update(verdict=verdict.verdict, proof=verdict.evidence.get("proof") is True)
        if claims_dir is not None:
            save_claim(claim, Path(claims_dir) / f"{data.name}__{neuron}__d{depth}__w{width}.json")
        certificate = verdict.evidence.get("proof_certificate") or {}
        census["judged"] = {"restart": candidate, "loss": float(polished.loss[candidate]),
                            "reasons": verdict.reasons[:3], "proof_reason": certificate.get("reason")}
        clock.lap("referee")
    census["chunk"] = chunk
    return {"row": row, "census": census, "cpu_seconds": time.process_time() - t, "phases": clock.phases}


class _PhaseClock:
    """CPU and wall seconds of the phases of one cell (``phases``: name -> {"cpu": s, "wall": s})."""

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, float]] = {}
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def lap(self, name: str) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.phases[name] = {"cpu": round(cpu - self._cpu, 3), "wall": round(wall - self._wall, 3)}
        self._cpu, self._wall = cpu, wall


def _to_cpu(result: Any) -> Any:
    """The population result with every tensor on the CPU (the census and the claim live there)."""
    moved = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    for name, value in moved.items():
        if isinstance(value, torch.Tensor):
            moved[name] = value.cpu()
        elif isinstance(value, dict):
            moved[name] = {k: v.cpu() if isinstance(v, torch.Tensor) else v for k, v in value.items()}
    return dataclasses.replace(result, **moved)


def _worst_candidate(polished: Any, best: float, grad_tol: float = 1e-6, gap: float = 1e-3) -> int | None:
    """The restart of highest loss among the converged ones above the best (None: there is none)."""
    loss = torch.nan_to_num(polished.loss, nan=-math.inf)
    ok = torch.isfinite(loss) & (polished.grad_norm <= grad_tol) & (loss >= best + gap * max(1.0, abs(best)))
    if not bool(ok.any()):
        return None
    return int(torch.where(ok, loss, torch.full_like(loss, -math.inf)).argmax())


def data_assumptions(data_cfg: dict[str, Any]) -> dict[str, Any]:
    """The data assumptions of :data:`DATA_ASSUMPTIONS` on one data set (no network involved)."""
    data = load_data(data_cfg)
    if data is None:
        raise ValueError(f"data sweep: {data_cfg!r} names no fixed data set")
    X, y = data.tensors()
    setting = Setting.from_config({"network": {"input_dim": data.d, "hidden": [1], "neuron": "relu"}})
    checks = {}
    for name in DATA_ASSUMPTIONS:
        res = make_assumption(name).check(setting, X.to(torch.float64), y)
        checks[name] = {"holds": res.holds, "proved": bool(getattr(res, "proved", False))}
    return {"data": data.name, "n": data.n, "d": data.d, "fingerprint": data.fingerprint, "checks": checks}


def run_basins(cfg: Any) -> list[dict[str, Any]]:
    """Run the ``basins`` node of ``cfg``; write the files under ``cfg.out_dir``; returns the cells."""
    node = plain(cfg.basins)
    names, neurons = list(node["data"]), [str(n) for n in node["neurons"]]
    widths, depths = [int(w) for w in node["widths"]], [int(d) for d in node["depths"]]
    workers = int(node.get("workers", 1))
    if not names or not neurons or not widths or not depths or min(widths + depths) < 1 or workers < 1:
        raise ValueError("basins: data, neurons, widths and depths must be non-empty (positive sizes); workers >= 1")
    for key in ("restarts", "steps"):
        if isinstance(node.get(key), bool) or not isinstance(node.get(key), int) or node[key] < 1:
            raise ValueError(f"basins.{key} must be a positive integer, got {node.get(key)!r}")
    if not float(node.get("max_gib", 2.0)) > 0:
        raise ValueError(f"basins.max_gib must be > 0 (GiB per worker for one chunk of restarts), got {node['max_gib']!r}")
    _check_training(node)
    nodes = {name: data_node(name) for name in names}
    cells = [(nodes[n], neuron, depth, width) for n in names for neuron in neurons for depth in depths for width in widths]
    cells.sort(key=lambda c: -c[3] * c[2])  # largest first: the pool ends with small cells
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = _device_name(cfg.get("device", "auto"))
    claims = str(out / "claims")
    t0 = time.time()
    if workers == 1:
        results = [run_cell(*c, node, device, claims) for c in cells]
        tables = [data_assumptions(nodes[n]) for n in names]
    else:
        # CUDA cannot be re-initialised in a forked child: spawn the workers of a GPU run.
        context = multiprocessing.get_context("spawn" if device.startswith("cuda") else None)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(run_cell, *c, node, device, claims) for c in cells]
            assumed = [pool.submit(data_assumptions, nodes[n]) for n in names]
            results, tables = [f.result() for f in futures], [f.result() for f in assumed]
    order = {n: i for i, n in enumerate(names)}
    results.sort(key=lambda r: (order[r["row"]["data"]], r["row"]["neuron"], r["row"]["depth"], r["row"]["width"]))
    rows = [r["row"] for r in results]
    wall = time.time() - t0
    write_csv(out / "basins.csv", rows, COLUMNS)
    (out / "basins.json").write_text(json.dumps({"config": node, "device": device, "wall_seconds": wall, "data": tables,
                                                 "cells": results}, indent=2, default=str) + "\n")
    page, note = write_pages(out, results, tables, node, wall)
    print(page)
    print(f"{len(rows)} cells, {node['restarts']} restarts each, {wall:.0f} s wall ({workers} worker(s) on {device}); "
          f"{out / 'basins.csv'}" + (f"; {note}" if note else f", {out / 'basins.png'}"))
    return results


def _check_training(node: dict[str, Any]) -> None:
    """One line for a bad optimizer, lr, momentum or batch size, before any cell trains."""
    Training(str(node.get("optimizer", "adam")), node.get("lr"), node.get("momentum") or 0.0,  # type: ignore[arg-type]
             node.get("batch_size")).check("basins")


def _device_name(name: Any) -> str:
    """``device`` of the run resolved once in the parent ("auto" -> "cuda" or "cpu")."""
    return str(resolve_device(str(name)))
