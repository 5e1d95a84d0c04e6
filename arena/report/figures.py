"""Drawing: one function per picture, each taking the dict :mod:`arena.report.data` computed.

matplotlib with the Agg backend (no display needed); every function writes one PNG and returns
its path. Install with ``pip install 'localmin-arena[report]'``.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from arena.contract import outcomes  # noqa: E402

OUTCOME_COLOURS = outcomes.COLOURS  # in severity order: the stacking order of the outcome chart
DPI = 90


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def draw_segment(d: dict[str, Any], path: Path) -> Path:
    """Loss along the segment claim → target, beyond both ends, both losses marked."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(d["t"], d["loss"], color="#1f77b4")
    ax.scatter([0], [d["loss_claim"]], color="#d62728", zorder=3, label=f"claim L = {d['loss_claim']:.6g}")
    ax.scatter([1], [d["loss_target"]], color="#2ca02c", zorder=3, label=f"{d['target']} L = {d['loss_target']:.6g}")
    ax.set_xlabel("t  (θ = claim + t · (target − claim))")
    ax.set_ylabel("empirical loss")
    ax.set_title(f"loss along the segment to the {d['target']} (distance {d['distance']:.3g})", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def draw_slice(d: dict[str, Any], path: Path) -> Path:
    """Contour plot of the 2-D slice with the claim, the target and the descent probes."""
    fig, ax = plt.subplots(figsize=(6, 4.6))
    A, B = np.meshgrid(d["alpha"], d["beta"])
    L = np.asarray(d["loss"], dtype=float)
    # levels at quantiles: a few huge values far out must not flatten the basin into one colour
    levels = np.unique(np.nanquantile(L, np.linspace(0, 1, 25)))
    if len(levels) < 2:
        levels = np.array([levels[0] - 1e-12, levels[0] + 1e-12])
    norm = matplotlib.colors.BoundaryNorm(levels, ncolors=256)
    cs = ax.contourf(A, B, L, levels=levels, cmap="viridis", norm=norm)
    ax.contour(A, B, L, levels=[d["centre_loss"]], colors="white", linewidths=0.8)
    fig.colorbar(cs, ax=ax, label="loss")
    ax.scatter([0], [0], marker="*", s=160, color="#d62728", edgecolor="white", label="claim", zorder=3)
    if d["target"]:
        ax.scatter([1], [0], marker="o", s=70, color="#2ca02c", edgecolor="white", label=d["target"], zorder=3)
    for i, m in enumerate(d["descent_marks"]):
        ax.scatter([m["alpha"]], [m["beta"]], marker="v", s=40, color="#ff7f0e", edgecolor="black",
                   label="probe descent (projected)" if i == 0 else None, zorder=4)
    ax.set_xlabel(f"α: {d['axis_a']}" if d["target"] else f"α: {d['axis_a']}", fontsize=8)
    ax.set_ylabel(f"β: {d['axis_b']}", fontsize=8)
    ax.set_title("2-D slice of the loss (white: the claim's level)", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def draw_probes(d: dict[str, Any], path: Path) -> Path:
    """|ΔL| against the radius on log axes per probe family; filled markers: descent (ΔL < 0)."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    radii = np.asarray(d["radii"])
    colours = plt.get_cmap("tab10")
    for i, (name, deltas) in enumerate(sorted(d["families"].items())):
        dl = np.asarray(deltas, dtype=float)
        c = colours(i % 10)
        fit = d["fits"].get(name)
        label = name + (f"  (−ΔL ≈ {fit['coef']:.2g}·r^{fit['power']:.2f})" if fit else "")
        mag = np.where(np.abs(dl) > 0, np.abs(dl), np.nan)
        ax.plot(radii, mag, color=c, alpha=0.6, label=label)
        down = dl < 0
        ax.scatter(radii[down], mag[down], color=c, zorder=3)
        ax.scatter(radii[~down], mag[~down], facecolor="none", edgecolor=c, zorder=3)
    ref = d["referee"]
    if ref["radii"]:
        mag = np.abs(np.asarray(ref["min_delta"], dtype=float))
        ax.scatter(ref["radii"], np.where(mag > 0, mag, np.nan), marker="x", color="black", s=50,
                   label="referee (all families + descent runs)", zorder=4)
    ax.axhline(d["tol"], color="grey", linestyle=":", label=f"descent tolerance {d['tol']:.0e}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("radius r")
    ax.set_ylabel("|min ΔL| in the ball (filled: ΔL < 0)")
    ax.set_title("the referee's probes", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, path)


def draw_spectrum(d: dict[str, Any], path: Path) -> Path:
    """Hessian eigenvalues (sorted) on a symmetric-log axis, flat ones highlighted and named."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    vals = np.asarray(d["eigenvalues"])
    flat = np.abs(vals) <= d["eig_tol"]
    idx = np.arange(len(vals))
    ax.bar(idx[~flat], vals[~flat], color=np.where(vals[~flat] < 0, "#d62728", "#1f77b4"))
    ax.scatter(idx[flat], np.zeros(flat.sum()), color="#ff7f0e", zorder=3, label=f"{int(flat.sum())} flat")
    ax.set_yscale("symlog", linthresh=max(d["eig_tol"], 1e-6))
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("eigenvalue index" + (" (Lanczos extremes)" if d["method"] != "exact" else ""))
    ax.set_ylabel("λ")
    names = ", ".join(next(iter(n)) for n in d["flat_named"][:4] if n)
    title = f"Hessian spectrum ({d['method']}), min λ = {d['min_eig']:.3g}"
    if names:
        title += "\n" + textwrap.shorten(f"flat along {names}", 90)
    ax.set_title(title, fontsize=9)
    if flat.any():
        ax.legend(fontsize=8)
    return _save(fig, path)


def draw_path(d: dict[str, Any], path: Path) -> Path:
    """L(t) and ‖θ(t)‖ along a path claim, with the estimated limit and its error bar when given."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    t = np.asarray(d["t"])
    ax1.plot(t, d["loss"], color="#1f77b4", label="L(t)")
    if d["best_loss"] is not None:
        ax1.axhline(d["best_loss"], color="#2ca02c", linestyle="--", label=f"best loss {d['best_loss']:.4g}")
    if d["limit"] is not None:
        err = d["limit_error"] or 0.0
        ax1.axhline(d["limit"], color="#d62728", linestyle=":", label=f"limit {d['limit']:.6g} ± {err:.2g}")
        ax1.axhspan(d["limit"] - err, d["limit"] + err, color="#d62728", alpha=0.15)
    ax1.set_xlabel("t")
    ax1.set_ylabel("loss")
    ax1.legend(fontsize=8)
    ax2.plot(t, d["norm"], color="#9467bd")
    ax2.set_xlabel("t")
    ax2.set_ylabel("‖θ(t)‖")
    ax2.set_yscale("log")
    for ax in (ax1, ax2):
        ax.set_xscale("symlog", linthresh=1.0)  # the path runs far out: the escape and the tail both show
    fig.suptitle("the claimed path to infinity", fontsize=10)
    return _save(fig, path)


def draw_decision(d: dict[str, Any], path: Path) -> Path:
    """The samples by label with f(x) at the claim and at the target (flat regions: dead units)."""
    X, y = np.asarray(d["X"]), np.asarray(d["y"])
    panels = [("claim", d["f_claim"])] + ([(d["target"], d["f_target"])] if d["f_target"] is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, (title, f) in zip(axes[0], panels):
        if d["dim"] == 1:
            ax.plot(d["axes"][0], f, color="black", label="f(x)")
            ax.scatter(X[:, 0], y, c=np.where(y > 0, "#1f77b4", "#d62728"), zorder=3, label="samples (y)")
            ax.axhline(0, color="grey", linewidth=0.5)
            ax.set_xlabel("x")
        else:
            F = np.asarray(f)
            lim = max(float(np.abs(F).max()), 1e-12)
            cs = ax.contourf(d["axes"][0], d["axes"][1], F, levels=21, cmap="RdBu", vmin=-lim, vmax=lim)
            ax.contour(d["axes"][0], d["axes"][1], F, levels=[0], colors="black", linewidths=0.8)
            fig.colorbar(cs, ax=ax)
            ax.scatter(X[y > 0, 0], X[y > 0, 1], marker="+", color="navy", s=50, label="y = +1")
            ax.scatter(X[y < 0, 0], X[y < 0, 1], marker="_", color="darkred", s=50, label="y = −1")
            ax.set_xlabel("x₁")
            ax.set_ylabel("x₂")
        ax.set_title(f"f(x) at the {title}", fontsize=9)
        ax.legend(fontsize=7)
    return _save(fig, path)


def draw_outcomes(counts: dict[str, dict[str, int]], path: Path) -> Path:
    """Stacked bars: outcomes per defender. counts: defender -> outcome -> number of matches."""
    defenders = list(counts)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(defenders) + 1.2))
    left = np.zeros(len(defenders))
    for outcome, colour in OUTCOME_COLOURS.items():
        vals = np.asarray([counts[d].get(outcome, 0) for d in defenders], dtype=float)
        if vals.any():
            ax.barh(defenders, vals, left=left, color=colour, label=outcome)
            left += vals
    ax.invert_yaxis()
    ax.set_xlabel("matches")
    ax.legend(fontsize=7, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _save(fig, path)
