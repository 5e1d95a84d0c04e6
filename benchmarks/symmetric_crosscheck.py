"""Cross-check: the minima the Safran–Shamir search finds against the constructed symmetric families.

Run: ``python benchmarks/symmetric_crosscheck.py --k 6 7 8 9 10 --restarts 50`` (n = k). For every
distinct spurious minimum the search finds, the rows and columns are ordered by their entries
(:func:`arena.search.family_match.match_family`); when the point is then fixed by a family's group,
the family's constructed member at that k is compared with it: |ΔF| and max |ΔW| (entrywise, after
the permutation). Minima of no family's type are counted as "other".
"""
from __future__ import annotations

import argparse
import time

import torch

from arena.engine.teacher_student import classify, descend
from arena.landscape.teacher_student import teacher
from arena.search.family_match import match_family


def crosscheck(k: int, restarts: int, steps: int, seed: int = 0) -> list[str]:
    V = teacher(k, k)
    res = descend(V, k, restarts, steps=steps, grad_tol=1e-12, global_tol=1e-10,
                  generator=torch.Generator().manual_seed(seed))
    census = classify(res, V, global_tol=1e-10, min_eig=1e-4)
    rows, other = [], 0
    for m in census.minima:
        match = match_family(m.W.double().numpy(), m.loss, loss_tol=1e-8, entry_tol=1e-6)
        if match is None:
            other += 1
            continue
        rows.append(f"| {k} | {match.isotropy} | {m.count}/{restarts} | {m.loss:.12f} | "
                    f"{match.loss_constructed:.12f} | {match.loss_gap:.1e} | {match.entry_gap:.1e} |")
    rows.append(f"| {k} | other minima | {other} distinct | | | | |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, nargs="+", default=[6, 7, 8, 9, 10])
    ap.add_argument("--restarts", type=int, default=50)
    ap.add_argument("--steps", type=int, default=20000)
    args = ap.parse_args()
    print("| k | family | restarts there | F found | F constructed | abs ΔF | max abs ΔW |\n|---|---|---|---|---|---|---|")
    for k in args.k:
        t = time.perf_counter()
        print("\n".join(crosscheck(k, args.restarts, args.steps)), f"<!-- {time.perf_counter() - t:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
