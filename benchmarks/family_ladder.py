"""Which Δ(S_m × S_{k−m}) member each minimum of a Safran–Shamir sweep is, read from its hit_rates.json.

Run: ``python benchmarks/family_ladder.py outputs/safran_shamir_large/hit_rates.json --plot docs/search_ladder.png``

A minimum the sweep matched entry by entry (its ``family`` entry, :mod:`arena.search.family_match`)
counts for its family. The JSON keeps each distinct minimum's F and λ_min, not the point, so for a
minimum without that entry (files written before a family joined the matcher) this constructs the members of ΔS_{k−1} and of Δ(S_m × S_{k−m}) for m = 2, 3, … (continued in k,
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

from arena.search.symmetric_family import FAMILIES, TURNED_AWAY, classify, solve, turned_away


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


def m_of(name: str) -> int | None:
    """m of a family name (1 for ΔS_{k−1}); None for ΔS_k."""
    if name == "s_k_minus_1":
        return 1
    found = TURNED_AWAY.match(name)
    return int(found.group(1)) if found else None


def plot(path: Path, ladders: dict[int, dict[int, int]]) -> None:
    """Share of a cell's restarts at each m, against m/k: one line per k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k, found in sorted(ladders.items()):
        if not found:
            continue
        total = sum(found.values())
        ms = sorted(found)
        ax.plot([m / k for m in ms], [found[m] / total for m in ms], marker="o", ms=3, label=f"k = {k}")
    ax.set_xlabel("m / k (units turned away, as a share of k)")
    ax.set_ylabel("share of the restarts in the ladder")
    ax.set_title("Safran–Shamir search: end points on Δ(S_m × S_{k−m})")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def identify(cell: dict, max_m: int, loss_tol: float, eig_tol: float) -> tuple[dict[int, int], int, int]:
    """({m: restarts}, other restarts, other distinct minima) for one cell of hit_rates.json."""
    k = int(cell["row"]["k"])
    members = ladder(k, max_m)
    found: dict[int, int] = {}
    other = other_distinct = 0
    for minimum in cell["census"]["minima"]:
        stored = (minimum.get("family") or {}).get("family")
        hit = [m_of(stored)] if stored and m_of(stored) else \
            [m for m, loss, eig in members
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
    ap.add_argument("--max-m", type=int, default=60)
    ap.add_argument("--loss-tol", type=float, default=1e-10)
    ap.add_argument("--eig-tol", type=float, default=1e-6)
    ap.add_argument("--plot", type=Path, help="draw the share of restarts per m/k here (needs matplotlib)")
    args = ap.parse_args()
    print("| k | restarts | spurious | restarts at Δ(S_m × S_{k−m}), m: count | other minima: restarts (distinct) |")
    print("|---|---|---|---|---|")
    cells = [c for f in args.files for c in json.loads(f.read_text())["cells"] if c["row"]["k"] == c["row"]["n"]]
    ladders = {}
    for cell in sorted(cells, key=lambda c: c["row"]["k"]):
        found, other, distinct = identify(cell, args.max_m, args.loss_tol, args.eig_tol)
        ladders[int(cell["row"]["k"])] = found
        row = cell["row"]
        ladder_text = ", ".join(f"{m}: {found[m]}" for m in sorted(found)) or "none"
        print(f"| {row['k']} | {row['restarts']} | {row['spurious']} | {ladder_text} | {other} ({distinct}) |", flush=True)
    if args.plot:
        plot(args.plot, ladders)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
