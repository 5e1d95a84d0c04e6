"""Cells of the bad-basin sweep (``experiment=real_data_full``), timed, and the full grid extrapolated.

Each chosen cell runs :func:`arena.data.sweep.run_cell` in a fresh process (one thread) with
``--restarts`` restarts instead of the config's 200, every other knob as in
``conf/experiment/real_data_full.yaml``; printed per phase (train + polish, basin test, referee) in
CPU seconds, with the process's peak resident memory and the chunk of restarts the cell uses at 200
restarts (``--max-gib`` lowers the memory per chunk, to run the chunked path on a few restarts).

The extrapolation is a model, not a measurement. Training, polishing and the basin test scale with
the restarts (the restarts are independent), so ``CPU s at 200`` is the measured CPU of those
phases times 200 / ``--restarts`` plus the referee's verdict where the cell had one (an upper bound:
the per-step overhead of a cell is scaled too). For the whole grid, each cell not measured in full
(``--measured basins.json`` of a sweep gives cells measured at 200 restarts, taken as they are)
costs ``c + 200 · b · n · P`` CPU seconds (n samples, P parameters; a forward pass is about n · P
multiply-adds), plus ``h · n · P²`` where P <= 2,000 (the basin test's Hessian of each distinct
converged end point): b per neuron, the ratio of summed per-restart CPU to summed n · P over the
measured cells above 2,000 parameters (so the largest cells set it); h per neuron, the ratio of
summed basin-test CPU to summed n · P² over the cells measured in full; c the median CPU of the
cells measured in full (their fixed cost and verdict). Verdicts at more than ~10^4 parameters are in it only where measured.

    python benchmarks/real_data_cells.py                        # the default cells, 2 restarts each
    python benchmarks/real_data_cells.py --cells digits:relu:2:256 iris:tanh:1:16 --restarts 4
    python benchmarks/real_data_cells.py --measured outputs/real_data/basins.json --json cells.json
    python benchmarks/real_data_cells.py --reuse cells.json --measured outputs/real_data/basins.json
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
HESSIAN_MAX = 2000  # arena.search.basins.judge_population computes Hessians up to this many parameters
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


def _measured_in_full(paths: list[Path], target: int) -> tuple[dict[tuple[str, str, int, int], float],
                                                                  dict[tuple[str, str, int, int], tuple[float, float]]]:
    """The cells those sweeps played at ``target`` restarts: (data, neuron, depth, width) -> CPU seconds, and
    for those of at most HESSIAN_MAX parameters -> (basin test CPU seconds, n · P²)."""
    full, census = {}, {}
    for path in paths:
        for cell in json.loads(path.read_text())["cells"]:
            r = cell["row"]
            if r["restarts"] == target:
                key = (r["data"], r["neuron"], int(r["depth"]), int(r["width"]))
                full[key] = float(cell["cpu_seconds"])
                if r["params"] <= HESSIAN_MAX and "census" in cell.get("phases", {}):
                    n, _ = setting_of(r["data"], 1, 1)
                    census[key] = (float(cell["phases"]["census"]["cpu"]), n * float(r["params"]) ** 2)
    return full, census


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS), help="data:neuron:depth:width")
    p.add_argument("--restarts", type=int, default=2, help="restarts per measured cell (the config plays 200)")
    p.add_argument("--max-gib", type=float, default=None, help="memory per chunk of restarts (basins.max_gib)")
    p.add_argument("--measured", type=Path, nargs="*", default=[], help="basins.json of sweeps measured in full")
    p.add_argument("--reuse", type=Path, default=None, help="take the measured cells from an earlier --json file")
    p.add_argument("--json", type=Path, default=None, help="write the measurements and the estimate here")
    args = p.parse_args(argv)
    node = full_node()
    target = int(node["restarts"])
    node["restarts"] = args.restarts
    if args.max_gib is not None:
        node["max_gib"] = args.max_gib
    measured = []
    print(f"cell | n | P | chunk at {target} (here) | train+polish CPU s | basin test CPU s | referee CPU s | peak GiB | "
          f"CPU s at {target} restarts (extrapolated)")
    for text in [] if args.reuse else args.cells:
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
        print(f"{text} | {n} | {P} | {chunk} ({m['chunk']}) | {m['phases']['train_and_polish']['cpu']:.1f} | "
              f"{m['phases']['census']['cpu']:.1f} | {'-' if referee is None else f'{referee:.1f}'} | "
              f"{m['peak_gib']:.2f} | {scaled:.0f}", flush=True)
    if args.reuse:
        measured = json.loads(args.reuse.read_text())["cells"]
        print(f"(the {len(measured)} cells measured in {args.reuse})")
    full, census = _measured_in_full(args.measured, target)
    rate, hess = {}, {}
    for neuron in node["neurons"]:  # smooth neurons polish longer than ReLU (no exact zero loss): one b each
        own = [m for m in measured if m["cell"].split(":")[1] == neuron and m["P"] > HESSIAN_MAX] or measured
        rate[neuron] = sum(m["per_restart_cpu"] for m in own) / sum(m["n"] * m["P"] for m in own)
        small = [v for k, v in census.items() if k[1] == neuron]
        hess[neuron] = sum(c for c, _ in small) / sum(nP2 for _, nP2 in small) if small else 0.0
    fixed = sorted(full.values())[len(full) // 2] if full else 0.0
    total, counted, cells = 0.0, 0.0, 0
    for name in node["data"]:
        for depth in node["depths"]:
            for width in node["widths"]:
                n, setting = setting_of(name, int(depth), int(width))
                P = setting.num_params
                for neuron in node["neurons"]:
                    key = (name, neuron, int(depth), int(width))
                    model = fixed + target * rate[neuron] * n * P + (hess[neuron] * n * P * P if P <= HESSIAN_MAX else 0)
                    cost = full.get(key, model)
                    total += cost
                    counted += cost if key in full else 0.0
                    cells += 1
    fitted = ", ".join(f"{k}: b = {rate[k]:.3g} s, h = {hess[k]:.3g} s" for k in rate)
    print(f"EXTRAPOLATED (c + {target}·b·n·P [+ h·n·P² where P <= {HESSIAN_MAX}] CPU s per cell; {fitted}; c = {fixed:.1f} s; {len(full)} cell(s) measured "
          f"in full, {counted:.0f} CPU s): the full grid, {cells} cells x {target} restarts, about "
          f"{total / 3600:.1f} CPU-hours, {total / 7200:.1f} h on 2 cores")
    if args.json:
        args.json.write_text(json.dumps({"restarts": args.restarts, "cells": measured, "b_per_neuron": rate, "h_per_neuron": hess, "c": fixed,
                                         "full_grid_cpu_hours": total / 3600}, indent=2,
                                        default=str) + "\n")


if __name__ == "__main__":
    main()
