"""The Safran–Shamir hit-rate sweep: ``python -m arena experiment=safran_shamir``.

For every teacher size k in ``sweep.k`` and student width in ``sweep.students`` ("=": n = k,
"+1", "+2", "x2": n = 2k) it runs ``sweep.restarts`` restarts of the protocol (a number, or a list
with one number per entry of ``sweep.k``)
(:mod:`arena.engine.teacher_student`) and writes

* ``<out_dir>/hit_rates.csv``: ``k,n,restarts,spurious,hit_rate,ci_low,ci_high,distinct_minima,min_spurious_loss,
  proved_minima,family_minima`` (hit rate = share of restarts ending at a spurious minimum, 95% Wilson interval,
  fractions; proved_minima = distinct minima with a ball-arithmetic proof, empty with ``sweep.prove=false``;
  family_minima = the distinct minima that are a constructed symmetric family's member at that k, as
  ``family:restarts`` joined by ``;`` (:mod:`arena.search.family_match`; n = k only, empty otherwise));
* ``<out_dir>/hit_rates.json``: the same rows plus every distinct minimum (loss, λ_min, restarts, and with
  ``sweep.prove`` its ``proof`` and ``certificate``; ``arena verify --check-certificate`` re-checks them),
  the counts of global / saddle / unconverged end points and the CPU seconds of each cell;
* ``<out_dir>/hit_rates.png``: hit rate against k, one line per student width (needs matplotlib,
  the ``plot`` extra; without it the plot is skipped with a note).

Cells run in ``sweep.workers`` processes, one thread each, largest first.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from arena.engine.devices import resolve_device
from arena.engine.teacher_student import classify, descend, wilson
from arena.landscape.teacher_student import teacher, widen
from arena.plain import write_csv
from arena.referee.proofs.census import prove_minima
from arena.search.family_match import match_family

COLUMNS = ("k", "n", "restarts", "spurious", "hit_rate", "ci_low", "ci_high", "distinct_minima", "min_spurious_loss",
           "proved_minima", "family_minima")
STUDENTS = ("=", "+1", "+2", "x2")


def student_width(k: int, student: str) -> int:
    """n for a student spec: "=" -> k, "+1" -> k + 1, "+2" -> k + 2, "x2" -> 2k."""
    if student == "=":
        return k
    if student not in STUDENTS:
        raise ValueError(f"sweep.students: unknown entry {student!r}; use {list(STUDENTS)}")
    return widen(k, student)


def run_cell(k: int, n: int, restarts: int, steps: int, seed: int, prove: bool = True,
             device: str | torch.device = "cpu") -> dict[str, Any]:
    """One (k, n) cell: the protocol from ``restarts`` starts, classified; a CSV row + details.

    With ``prove`` every distinct spurious minimum gets a ball-arithmetic proof attempt
    (:mod:`arena.referee.proofs.census`): ``proof`` and ``certificate`` beside it in the details,
    the number proved in the row (``proved_minima``; empty without ``prove``)."""
    torch.set_num_threads(1)
    t = time.process_time()
    V = teacher(k, k)
    res = descend(V, n, restarts, steps=steps, generator=torch.Generator().manual_seed(seed * 1000 + k), device=device)
    census = classify(res, V)
    low, high = wilson(census.spurious, restarts)
    row: dict[str, Any] = {"k": k, "n": n, "restarts": restarts, "spurious": census.spurious, "hit_rate": census.spurious / restarts,
           "ci_low": low, "ci_high": high, "distinct_minima": len(census.minima),
           "min_spurious_loss": min(census.losses) if census.losses else None, "proved_minima": None,
           "family_minima": None}
    summary, cpu = census.summary(), time.process_time() - t
    if n == k:
        matches = [match_family(m.W.numpy(), m.loss) for m in census.minima]
        for entry, match in zip(summary["minima"], matches):
            entry["family"] = asdict(match) if match else None
        row["family_minima"] = ";".join(f"{f.family}:{m.count}" for f, m in zip(matches, census.minima) if f)
    out = {"row": row, "census": summary, "cpu_seconds": cpu, "steps_used_max": int(res.steps.max())}
    if prove:
        proofs = prove_minima(k, n, [m.W for m in census.minima])
        for entry, proof in zip(summary["minima"], proofs):
            entry.update(proof)
        row["proved_minima"] = sum(p["proof"] for p in proofs)
        out["proof_cpu_seconds"] = time.process_time() - t - cpu
    return out


def run_sweep(cfg: Any) -> list[dict[str, Any]]:
    """Run the sweep node of ``cfg`` and write its files under ``cfg.out_dir``; returns the cells."""
    node = cfg.sweep
    ks = [int(k) for k in node.k]
    students = [str(s) for s in node.students]
    steps, seed = int(node.steps), int(node.get("seed", cfg.get("seed", 0)))
    per_k = restarts_per_k(node.restarts, ks)
    workers = int(node.get("workers", 1))
    prove = bool(node.get("prove", True))
    device = resolve_device(str(node.get("device", "cpu")))
    if min(per_k.values()) < 1 or steps < 1 or workers < 1 or not ks or min(ks) < 1:
        raise ValueError("sweep: k must list positive integers; restarts, steps and workers must be >= 1")
    cells = sorted({(k, student_width(k, s)) for k in ks for s in students}, key=lambda kn: -kn[1] * (kn[0] + kn[1]))
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    if workers == 1:
        results = [run_cell(k, n, per_k[k], steps, seed, prove, device) for k, n in cells]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_cell, k, n, per_k[k], steps, seed, prove, device) for k, n in cells]
            results = [f.result() for f in futures]
    results.sort(key=lambda r: (r["row"]["k"], r["row"]["n"]))
    wall = time.time() - t0
    write_csv(out / "hit_rates.csv", [r["row"] for r in results], COLUMNS)
    restarts = per_k[ks[0]] if len(set(per_k.values())) == 1 else per_k
    (out / "hit_rates.json").write_text(json.dumps({"restarts": restarts, "steps": steps, "seed": seed,
                                                    "workers": workers, "wall_seconds": wall, "cells": results},
                                                   indent=2) + "\n")
    note = plot(out / "hit_rates.png", [r["row"] for r in results])
    print(render([r["row"] for r in results]))
    each = f"{restarts} restarts each" if isinstance(restarts, int) else "restarts per k as listed"
    print(f"{len(results)} cells, {each}, {wall:.0f} s wall ({workers} worker(s)); "
          f"{out / 'hit_rates.csv'}" + (f"; {note}" if note else f", {out / 'hit_rates.png'}"))
    return results


def restarts_per_k(restarts: Any, ks: list[int]) -> dict[int, int]:
    """``sweep.restarts`` (a number, or one number per k) as {k: restarts}."""
    if isinstance(restarts, (int, str)) or not hasattr(restarts, "__len__"):
        return {k: int(restarts) for k in ks}
    counts = [int(r) for r in restarts]
    if len(counts) != len(ks):
        raise ValueError(f"sweep.restarts: {len(counts)} numbers for {len(ks)} values of sweep.k; give one per k, "
                         "or a single number")
    return dict(zip(ks, counts))


def render(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the rows (rates in percent)."""
    lines = ["| k | n | restarts | spurious | hit rate [95% CI] | distinct minima | in a family | proved | lowest spurious F |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        loss = "-" if r["min_spurious_loss"] is None else f"{r['min_spurious_loss']:.6f}"
        proved = "-" if r.get("proved_minima") is None else f"{r['proved_minima']}/{r['distinct_minima']}"
        fams = r.get("family_minima")
        fam = "-" if fams is None else ", ".join(fams.split(";")) or "none"
        lines.append(f"| {r['k']} | {r['n']} | {r['restarts']} | {r['spurious']} | {100 * r['hit_rate']:.1f}% "
                     f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}] | {r['distinct_minima']} | {fam} | {proved} | "
                     f"{loss} |")
    return "\n".join(lines)


def plot(path: Path, rows: list[dict[str, Any]]) -> str | None:
    """Hit rate against k with Wilson intervals, one line per n − k; None, or a note when skipped."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install 'localmin-arena[report]')"
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    labels = {}
    for r in rows:
        key = "n = 2k" if r["n"] == 2 * r["k"] and r["k"] > 2 else ("n = k" if r["n"] == r["k"] else f"n = k + {r['n'] - r['k']}")
        labels.setdefault(key, []).append(r)
    for key, group in labels.items():
        ks = [r["k"] for r in group]
        rate = [r["hit_rate"] for r in group]
        err = [[max(0.0, r["hit_rate"] - r["ci_low"]) for r in group], [max(0.0, r["ci_high"] - r["hit_rate"]) for r in group]]
        ax.errorbar(ks, rate, yerr=err, marker="o", capsize=3, label=key)
    ax.set_xlabel("teacher units k")
    ax.set_ylabel("share of restarts at a spurious minimum")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Safran–Shamir teacher–student: hit rate (95% Wilson)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None
