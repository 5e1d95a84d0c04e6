"""The symmetric families at k = 6 … 1000: loss, smallest Hessian eigenvalue, type, proof time; a plot.

Run: ``python benchmarks/symmetric_families.py [--plot docs/symmetric_loss.png]`` (about a minute on
one core). Prints the markdown table of docs/symmetric.md and the asymptotic fit of each family's
loss on k >= 20, three terms of a power series in 1/√k (Arjevani & Field): k·F ≈ a + b/√k + c/k
when F falls like 1/k (F(1000) < F(100)/5), else F ≈ a + b/√k + c/k (the loss tends to a > 0).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from arena.referee.proofs.balls import precision
from arena.referee.proofs.symmetric import RADII, derive
from arena.search.symmetric_family import FAMILIES, classify, trace

TABLE_K = [6, 7, 8, 9, 10, 20, 50, 100, 1000]
FIT_K = [20, 25, 30, 40, 50, 70, 100, 150, 200, 300, 400, 500, 700, 1000]


def proof_seconds(member) -> tuple[float, bool]:
    """Seconds for the proof proper (Krawczyk, smoothness, blocks, F), as the referee runs it."""
    start = time.perf_counter()
    with precision():
        d = derive(member.sizes, member.x, RADII[0] * max(1.0, max(abs(v) for v in member.x)))
    ok = all(b["proved"] for b in d["blocks"]) and bool(d["loss"] > d["witness"])
    return time.perf_counter() - start, ok


def series(k, coef, lead: int):
    """Σ_j coef[j]·k^{−(lead + j)/2}: lead = 2 for F ~ a/k, 0 for F -> a."""
    return sum(c * np.asarray(k, dtype=float) ** (-(lead + j) / 2) for j, c in enumerate(coef))


def fit(members) -> tuple[np.ndarray, int]:
    k = np.array([m.k for m in members], dtype=float)
    F = np.array([m.loss for m in members])
    lead = 2 if F[-1] < F[np.searchsorted(k, 100)] / 5 else 0
    A = np.stack([k ** (-(lead + j) / 2) for j in range(3)], axis=1)
    return np.linalg.lstsq(A, F, rcond=None)[0], lead


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plot", default=None, help="write the loss-against-k plot here (PNG)")
    args = ap.parse_args()
    print("| family | k | F | λ_min | type | proof (s) |\n|---|---|---|---|---|---|")
    curves = {}
    for name, fam in FAMILIES.items():
        for m in trace(name, TABLE_K):
            c = classify(m.sizes, m.x)
            kind = "minimum" if c.kind == "minimum" else f"{c.kind} (index {c.index})"
            secs, ok = proof_seconds(m) if c.kind == "minimum" else (float("nan"), False)
            proof = f"{secs:.2f}" + ("" if ok else " (failed)") if c.kind == "minimum" else "—"
            print(f"| {fam.isotropy} | {m.k} | {m.loss:.10f} | {c.min_eig:.5f} | {kind} | {proof} |")
        dense = trace(name, list(range(6, 21)) + FIT_K[1:])
        curves[name] = (dense, fit([m for m in dense if m.k >= 20]))
    for name, (_, (coef, lead)) in curves.items():
        lhs = "k·F(k)" if lead == 2 else "F(k)"
        print(f"{FAMILIES[name].isotropy}: {lhs} ≈ {coef[0]:.4f} {coef[1]:+.4f}/√k {coef[2]:+.4f}/k (fit on k >= 20)")
    if args.plot:
        _plot(curves, args.plot)


def _plot(curves, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, (members, (coef, lead)) in curves.items():
        k = np.array([m.k for m in members], dtype=float)
        ax.loglog(k, [m.loss for m in members], "o", ms=3, label=FAMILIES[name].isotropy)
        kk = np.geomspace(6, 1000, 200)
        lhs = "k·F" if lead == 2 else "F"
        ax.loglog(kk, series(kk, coef, lead), "-", lw=1,
                  label=f"fit: {lhs} = {coef[0]:.3f} {coef[1]:+.3f}/√k {coef[2]:+.3f}/k")
    ax.set_xlabel("k (= n = d)")
    ax.set_ylabel("F at the family's critical point")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
