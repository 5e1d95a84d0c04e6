"""Which Δ(S_m × S_{k−m}) member each minimum of a Safran–Shamir sweep is, read from its hit_rates.json.

Run: ``python benchmarks/family_ladder.py outputs/safran_shamir_large/hit_rates.json --plot docs/search_ladder.png``

A minimum the sweep matched entry by entry (its ``family`` entry, :mod:`arena.search.family_match`)
counts for its family. The JSON keeps each distinct minimum's F and λ_min, not the point, so for a
minimum without that entry (files written before a family joined the matcher) this constructs the members of ΔS_{k−1} and of Δ(S_m × S_{k−m}) for m = 2, 3, … (continued in k,
:func:`arena.search.symmetric_family.turned_away`) with their λ_min (isotypic blocks), and names a
found minimum after the member whose F agrees to ``--loss-tol`` (1e-10) and whose λ_min agrees to
``--eig-tol`` (1e-6): two numbers, not the entrywise comparison the sweep itself makes now
(:mod:`arena.search.family_match`). Prints, per k, the restarts that ended at each m and the other
distinct minima; with ``--prove`` also proves the constructed member of every m found at that k
through symmetry (:func:`arena.referee.proofs.symmetric.certify`, the referee's proof) and prints
how many were proved and in how many seconds.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from arena.search.symmetric_family import FAMILIES, TURNED_AWAY, classify, solve, turned_away


def ladder(k: int, max_m: int) -> list[tuple[int, float, float]]:
    """(m, F, λ_min) of the ΔS_{k−1} (m = 1) and Δ(S_m × S_{k−m}) members, m < k/2 and m <= max_m."""
    out = []
    for m in range(1, min(max_m, (k - 1) // 2) + 1):
        if k < family(m).min_k:
            continue
        try:
            point = member(k, m)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):  # the continuation met a singular point
            continue
        if point.grad_norm > 1e-9:
            continue
        out.append((m, point.loss, classify(point.sizes, point.x).min_eig))
    return out


def family(m: int):
    """ΔS_{k−1} for m = 1, Δ(S_m × S_{k−m}) for m >= 2."""
    return FAMILIES["s_k_minus_1"] if m == 1 else turned_away(m)


def member(k: int, m: int):
    """The constructed member of :func:`family` (m) at k."""
    return solve(family(m), k)


def prove_members(k: int, ms: list[int]) -> tuple[int, float]:
    """(how many of the members at k for ``ms`` the referee's symmetric proof proves, seconds)."""
    from arena.landscape.setting import Setting
    from arena.landscape.symmetric import dense_point
    from arena.referee.proofs.symmetric import certify

    setting = Setting.from_config({"task": "teacher_student", "k": k, "n": k, "d": k})
    start, proved = time.perf_counter(), 0
    for m in ms:
        point = member(k, m)
        proved += bool(certify(setting, np.array(dense_point(point.sizes, point.x)), hint=point.sizes)["proof"])
    return proved, time.perf_counter() - start


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
    ap.add_argument("--prove", action="store_true", help="prove the member of every m found through symmetry")
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
        if args.prove and found:
            proved, seconds = prove_members(int(row["k"]), sorted(found))
            print(f"  k = {row['k']}: {proved} of {len(found)} members proved through symmetry in {seconds:.1f} s")
    if args.plot:
        plot(args.plot, ladders)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
