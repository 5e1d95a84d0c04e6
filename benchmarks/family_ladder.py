"""Which Δ(S_m × S_{k−m}) member each minimum of a Safran–Shamir sweep is, read from its hit_rates.json.

Run: ``python benchmarks/family_ladder.py outputs/safran_shamir_large/hit_rates.json``

The sweep's JSON keeps each distinct minimum's F and λ_min, not the point. For every cell (n = k)
this constructs the members of ΔS_{k−1} and of Δ(S_m × S_{k−m}) for m = 2, 3, … (continued in k,
:func:`arena.search.symmetric_family.turned_away`) with their λ_min (isotypic blocks), and names a
found minimum after the member whose F agrees to ``--loss-tol`` (1e-10) and whose λ_min agrees to
``--eig-tol`` (1e-6): two numbers, not the entrywise comparison the sweep itself makes now
(:mod:`arena.search.family_match`). Prints, per k, the restarts that ended at each m and the other
distinct minima.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from arena.search.symmetric_family import FAMILIES, classify, solve, turned_away


def ladder(k: int, max_m: int) -> list[tuple[int, float, float]]:
    """(m, F, λ_min) of the ΔS_{k−1} (m = 1) and Δ(S_m × S_{k−m}) members, m < k/2 and m <= max_m."""
    out = []
    for m in range(1, min(max_m, (k - 1) // 2) + 1):
        fam = FAMILIES["s_k_minus_1"] if m == 1 else turned_away(m)
        if k < fam.min_k:
            continue
        try:
            member = solve(fam, k)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):  # the continuation met a singular point
            continue
        if member.grad_norm > 1e-9:
            continue
        out.append((m, member.loss, classify(member.sizes, member.x).min_eig))
    return out


def identify(cell: dict, max_m: int, loss_tol: float, eig_tol: float) -> tuple[dict[int, int], int, int]:
    """({m: restarts}, other restarts, other distinct minima) for one cell of hit_rates.json."""
    k = int(cell["row"]["k"])
    members = ladder(k, max_m)
    found: dict[int, int] = {}
    other = other_distinct = 0
    for minimum in cell["census"]["minima"]:
        hit = [m for m, loss, eig in members
               if abs(minimum["loss"] - loss) <= loss_tol and abs(minimum["min_eig"] - eig) <= eig_tol]
        if hit:
            found[hit[0]] = found.get(hit[0], 0) + int(minimum["restarts"])
        else:
            other += int(minimum["restarts"])
            other_distinct += 1
    return found, other, other_distinct


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--max-m", type=int, default=30)
    ap.add_argument("--loss-tol", type=float, default=1e-10)
    ap.add_argument("--eig-tol", type=float, default=1e-6)
    args = ap.parse_args()
    print("| k | restarts | spurious | restarts at Δ(S_m × S_{k−m}), m: count | other minima: restarts (distinct) |")
    print("|---|---|---|---|---|")
    cells = [c for f in args.files for c in json.loads(f.read_text())["cells"] if c["row"]["k"] == c["row"]["n"]]
    for cell in sorted(cells, key=lambda c: c["row"]["k"]):
        found, other, distinct = identify(cell, args.max_m, args.loss_tol, args.eig_tol)
        row = cell["row"]
        ladder_text = ", ".join(f"{m}: {found[m]}" for m in sorted(found)) or "none"
        print(f"| {row['k']} | {row['restarts']} | {row['spurious']} | {ladder_text} | {other} ({distinct}) |", flush=True)


if __name__ == "__main__":
    main()
