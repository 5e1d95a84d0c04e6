"""Cells of the bad-basin sweep (``experiment=real_data_full``), timed, and the full grid extrapolated.

Each chosen cell runs :func:`arena.data.sweep.run_cell` in a fresh process (one thread) with
``--restarts`` restarts instead of the config's 200, every other knob as in
``conf/experiment/real_data_full.yaml``; printed per phase (train + polish, basin test, referee) in
CPU seconds, with the process's peak resident memory and the chunk of restarts the cell used.

The extrapolation is a model, not a measurement: training, polishing and the basin test scale
with the restarts (the restarts are independent), so a cell at 200 restarts costs its measured
per-restart CPU times 200, plus one referee verdict (measured where the cell had a candidate).
For the whole grid, the per-restart CPU of every cell is predicted as ``a + b · n · P`` (n samples,
P parameters: one forward pass costs about n · P multiply-adds), a and b fitted by least squares
on the measured cells; a verdict is added per cell at the mean measured referee CPU per n · P
(an upper bound: cells without a converged point above the best get no verdict).

    python benchmarks/real_data_cells.py                        # the default cells, 4 restarts each
    python benchmarks/real_data_cells.py --cells digits:relu:2:256 iris:tanh:1:16 --restarts 2
    python benchmarks/real_data_cells.py --json cells.json      # also write the measurements
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
from pathlib import Path
from typing import Any

import yaml

from arena.data import load_data
from arena.data.chunks import chunk_size
from arena.data.sweep import data_node, run_cell
from arena.landscape.setting import Setting

CONFIG = Path(__file__).resolve().parents[1] / "conf" / "experiment" / "real_data_full.yaml"
DEFAULT_CELLS = ("digits:relu:2:256", "digits:tanh:2:256", "digits:softplus:2:256", "digits:relu:1:64",
                 "digits:tanh:1:64", "digits_3v8:softplus:2:64", "breast_cancer:relu:1:64", "breast_cancer:tanh:2:16",
                 "wine:softplus:1:16", "iris:relu:2:16", "digits:softplus:1:16")


def full_node() -> dict[str, Any]:
    """The ``basins`` node of experiment=real_data_full (its own keys over real_data's)."""
    node = yaml.safe_load((CONFIG.parent / "real_data.yaml").read_text())["basins"]
    node.update(yaml.safe_load(CONFIG.read_text())["basins"])
    return node


def _child(queue: Any, cell: tuple[str, str, int, int], node: dict[str, Any]) -> None:
    name, neuron, depth, width = cell
    result = run_cell(data_node(name), neuron, depth, width, node, "cpu", None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux -> GiB
    queue.put({"row": result["row"], "phases": result["phases"], "cpu": result["cpu_seconds"],
               "chunk": result["census"]["chunk"], "peak_gib": peak})


def measure(cell: tuple[str, str, int, int], node: dict[str, Any]) -> dict[str, Any]:
    """One cell in a fresh process: its row, phase times (CPU s), chunk and peak memory (GiB)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, cell, node))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def setting_of(name: str, depth: int, width: int) -> tuple[int, Setting]:
    """(n, the network of the cell) on the data set ``name``."""
    data = load_data(data_node(name))
    assert data is not None
    return data.n, Setting.from_config({"network": {"input_dim": data.d, "hidden": [width] * depth, "neuron": "relu"}})


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares y = a + b·x over (x, y) pairs (a >= 0)."""
    m = len(points)
    mx, my = sum(x for x, _ in points) / m, sum(y for _, y in points) / m
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx > 0 else my / max(mx, 1e-12)
    return max(0.0, my - b * mx), b


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS), help="data:neuron:depth:width")
    p.add_argument("--restarts", type=int, default=4, help="restarts per measured cell (the config plays 200)")
    p.add_argument("--json", type=Path, default=None, help="write the measurements and the estimate here")
    args = p.parse_args(argv)
    node = full_node()
    target = int(node["restarts"])
    node["restarts"] = args.restarts
    measured = []
    print(f"cell | n | P | chunk@{target} | train+polish CPU s | basin test CPU s | referee CPU s | peak GiB | "
          f"CPU s at {target} restarts (extrapolated)")
    for text in args.cells:
        name, neuron, depth, width = text.split(":")
        cell = (name, neuron, int(depth), int(width))
        n, setting = setting_of(name, cell[2], cell[3])
        P = setting.num_params
        m = measure(cell, node)
        per_restart = (m["phases"]["train_and_polish"]["cpu"] + m["phases"]["census"]["cpu"]) / args.restarts
        referee = m["phases"].get("referee", {}).get("cpu")
        scaled = per_restart * target + (referee or 0.0)
        chunk = chunk_size(setting, n, target, float(node.get("max_gib", 2.0)))
        measured.append({"cell": text, "n": n, "P": P, "per_restart_cpu": per_restart, "referee_cpu": referee,
                         "cpu_at_target": scaled, **m})
        print(f"{text} | {n} | {P} | {chunk} | {m['phases']['train_and_polish']['cpu']:.1f} | "
              f"{m['phases']['census']['cpu']:.1f} | {'-' if referee is None else f'{referee:.1f}'} | "
              f"{m['peak_gib']:.2f} | {scaled:.0f}", flush=True)
    models = {}
    for neuron in node["neurons"]:  # smooth neurons polish longer than ReLU (no exact zero loss): one fit each
        own = [m for m in measured if m["cell"].split(":")[1] == neuron]
        models[neuron] = fit([(m["n"] * m["P"], m["per_restart_cpu"]) for m in (own if len(own) >= 2 else measured)])
    judged = [m for m in measured if m["referee_cpu"] is not None]
    ref_rate = sum(m["referee_cpu"] / (m["n"] * m["P"]) for m in judged) / len(judged) if judged else 0.0
    total, cells = 0.0, 0
    for name in node["data"]:
        for depth in node["depths"]:
            for width in node["widths"]:
                n, setting = setting_of(name, int(depth), int(width))
                P = setting.num_params
                for neuron in node["neurons"]:
                    a, b = models[neuron]
                    total += (a + b * n * P) * target + ref_rate * n * P
                    cells += 1
    fitted = ", ".join(f"{k}: a = {a:.3g} s, b = {b:.3g} s" for k, (a, b) in models.items())
    print(f"EXTRAPOLATED (per restart a + b·n·P CPU s; {fitted}; referee {ref_rate:.3g} s per n·P "
          f"from {len(judged)} verdict(s)): the full grid, {cells} cells x {target} restarts, about {total / 3600:.1f} "
          f"CPU-hours, {total / 7200:.1f} h on 2 cores")
    if args.json:
        args.json.write_text(json.dumps({"restarts": args.restarts, "cells": measured, "model": models,
                                         "referee_per_nP": ref_rate, "full_grid_cpu_hours": total / 3600}, indent=2,
                                        default=str) + "\n")


if __name__ == "__main__":
    main()
