"""Cross-check: the minima the Safran–Shamir search finds against the constructed symmetric families.

Run: ``python benchmarks/symmetric_crosscheck.py --k 6 7 8 9 10 --restarts 50`` (n = k). For every
distinct spurious minimum the search finds, the rows and columns are ordered by their entries
(:func:`arena.referee.proofs.symmetric.align`); when the point is then fixed by a family's group,
the family's constructed member at that k is compared with it: |ΔF| and max |ΔW| (entrywise, after
the permutation). Minima of no family's type are counted as "other".
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from arena.engine.teacher_student import classify, descend
from arena.landscape.symmetric import dense_point
from arena.landscape.teacher_student import teacher
from arena.referee.proofs.symmetric import align
from arena.search.symmetric_family import FAMILIES, solve


def _labellings(sizes, cols) -> list[list[int]]:
    """The column order, and with the two columns of each 2-block swapped: inside a block of two,
    [[p, q], [q, p]] and [[q, p], [p, q]] are both fixed points, and the entries alone cannot tell
    which column is a unit's own."""
    out, start = [list(cols)], 0
    for m in sizes:
        if m == 2:
            out += [c[:start] + [c[start + 1], c[start]] + c[start + 2:] for c in out]
        start += m
    return out


def crosscheck(k: int, restarts: int, steps: int, seed: int = 0) -> list[str]:
    V = teacher(k, k)
    res = descend(V, k, restarts, steps=steps, grad_tol=1e-12, global_tol=1e-10,
                  generator=torch.Generator().manual_seed(seed))
    census = classify(res, V, global_tol=1e-10, min_eig=1e-4)
    members = {fam.sizes(k): solve(name, k) for name, fam in FAMILIES.items()}
    rows, other = [], 0
    for m in census.minima:
        W = m.W.double().numpy()
        found = align(W)
        member = members.get(found[0]) if found else None
        if member is None:
            other += 1
            continue
        Wc = np.array(dense_point(member.sizes, member.x))
        dW = min(np.abs(W[np.ix_(found[1], cols)] - Wc).max() for cols in _labellings(found[0], found[2]))
        rows.append(f"| {k} | {FAMILIES[member.family].isotropy} | {m.count}/{restarts} | {m.loss:.12f} | "
                    f"{member.loss:.12f} | {abs(m.loss - member.loss):.1e} | {dW:.1e} |")
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
