"""The bad-basin rate: how often trained restarts end in a bad local minimum.

Protocol (optional for attackers): while a match runs its attacker inside :func:`recording`, an
attacker that trains a population calls :func:`report` with the end points
(``params``: name -> [K, *shape]) and the data they were trained on. Outside a recording
``report`` does nothing, so attackers stay usable on their own.

Each reported end point is judged by a cheap float64 test, :func:`judge_population`:

1. polish with batched L-BFGS (float64, 200 iterations);
2. the point is a *converged minimum* when ‖∇L‖ <= ``grad_tol``, no unit is saturated with a
   non-zero rescaled gradient (the referee's test for fake stationary points), and the smallest
   eigenvalue of the exact Hessian is >= −``eig_tol``·max(1, λ_max); where that eigenvalue is also
   <= ``eig_tol``·max(1, λ_max) (flat directions), no unit of a neuron without an exact flat region
   may have σ' underflowing on a loss-carrying sample (the flatness would be numerical);
3. it is *bad* when in addition L >= best + ``gap``·max(1, |best|), where best is the lowest loss
   of the population on the same data;
4. distinct bad minima are counted up to permutations of hidden units — two points are the same
   minimum when their outputs f(x_i) on the data agree to ``same_tol`` (outputs do not change
   under a permutation of units). The Hessian test runs once per distinct point.

The rate is bad / restarts with a 95% Wilson score interval; non-converged restarts count as not
bad. This is the arena's cheap test, not the referee's full protocol; the worst point of a
search is what the attacker submits, and that claim gets the full referee.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import torch

from arena.landscape.setting import Setting
from arena.engine.population import polish_lbfgs
from arena.referee.curvature import hessian_spectrum
from arena.referee.judge import RefereeConfig, saturated_units
from arena.referee.steps.unresolved import saturated_samples

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


@dataclass
class Population:
    """End points of one trained population: params name -> [K, *shape] on data X [n, d], y [n]."""

    setting: Setting
    X: torch.Tensor
    y: torch.Tensor
    params: dict[str, torch.Tensor]
    label: str = ""
    comparable: bool = True  # the data and restart count do not depend on the defender


@dataclass
class Recorder:
    populations: list[Population] = field(default_factory=list)


_ACTIVE: list[Recorder] = []


@contextlib.contextmanager
def recording() -> Iterator[Recorder]:
    """Collect every :func:`report` made inside the block."""
    rec = Recorder()
    _ACTIVE.append(rec)
    try:
        yield rec
    finally:
        _ACTIVE.remove(rec)


def report(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
           label: str = "", comparable: bool = True) -> None:
    """Hand a population's end points to the active recording (no-op without one).

    ``comparable``: the data and the number of restarts and steps depend only on the seed and the
    budget, not on the defended setting, so the rate can be compared across defenders (the
    leaderboard's column pools only these).
    """
    if not _ACTIVE:
        return
    cpu = {k: v.detach().to("cpu", torch.float64).clone() for k, v in params.items()}
    _ACTIVE[-1].populations.append(Population(setting, X.detach().cpu().double(), y.detach().cpu().double(),
                                              cpu, label, comparable))


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (as fractions); (0, 1) when n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


@dataclass(frozen=True)
class BasinTest:
    """Tolerances of the cheap test (recorded with every summary)."""

    grad_tol: float = 1e-6
    eig_tol: float = 1e-6
    gap: float = 1e-3
    same_tol: float = 1e-4
    polish_iters: int = 200


def judge_population(pop: Population, test: BasinTest = BasinTest()) -> dict[str, Any]:
    """Counts for one population: restarts, converged, bad, distinct bad, final-loss quantiles."""
    s, X, y = pop.setting, pop.X, pop.y
    polished = polish_lbfgs(s, X, y, pop.params, max_iter=test.polish_iters, device="cpu")
    loss = torch.nan_to_num(polished.loss, nan=math.inf)
    K = int(loss.numel())
    finite = torch.isfinite(loss)
    best = float(loss[finite].min()) if bool(finite.any()) else math.inf
    threshold = best + test.gap * max(1.0, abs(best))
    flat = s.flatten(polished.params)
    outputs = s.output(polished.params, X).detach()
    candidates = (finite & (polished.grad_norm <= test.grad_tol)).nonzero().flatten().tolist()
    sat_cfg = RefereeConfig()
    groups: list[tuple[torch.Tensor, bool]] = []  # (outputs, is a minimum) per distinct point
    minimum = torch.zeros(K, dtype=torch.bool)
    for k in candidates:
        match = next((g for g in groups if float((g[0] - outputs[k]).abs().max()) <= test.same_tol), None)
        if match is None:
            point = {name: t[k] for name, t in polished.params.items()}
            awake = [u for u in saturated_units(s, point, X, y, sat_cfg) if u["rescaled_grad_norm"] > test.grad_tol]
            ok = not awake
            if ok and s.num_params <= 2000:
                spec = hessian_spectrum(s, X, y, flat[k])
                ok = spec.min_eig >= -test.eig_tol * max(1.0, spec.max_eig)
                # flat directions through units whose σ' underflows on loss-carrying samples are unresolved
                if ok and spec.min_eig <= test.eig_tol * max(1.0, spec.max_eig):
                    ok = not saturated_samples(s, point, X, y, sat_cfg.saturation_threshold)
            match = (outputs[k], ok)
            groups.append(match)
        minimum[k] = match[1]
    bad = minimum & (loss >= threshold)
    distinct = _distinct(outputs[bad], test.same_tol)
    q = torch.quantile(loss[finite], torch.tensor(QUANTILES, dtype=loss.dtype)).tolist() if bool(finite.any()) else []
    return {"label": pop.label, "comparable": pop.comparable, "restarts": K, "converged": int(minimum.sum()), "bad": int(bad.sum()),
            "distinct": distinct, "best_loss": best, "loss_quantiles": dict(zip(map(str, QUANTILES), q)),
            "bad_losses": sorted({round(float(v), 9) for v in loss[bad]})[:20]}


def _distinct(outputs: torch.Tensor, tol: float) -> int:
    reps: list[torch.Tensor] = []
    for row in outputs:
        if not any(float((r - row).abs().max()) <= tol for r in reps):
            reps.append(row)
    return len(reps)


def summarize(populations: list[Population], test: BasinTest = BasinTest()) -> dict[str, Any] | None:
    """The match's ``bad_basin`` entry: pooled over its populations; None when nothing was reported."""
    if not populations:
        return None
    parts, failed = [], []
    for p in populations:
        try:
            parts.append(judge_population(p, test))
        except Exception as exc:  # noqa: BLE001 - the rate is extra evidence; it must not sink the match
            failed.append({"label": p.label, "error": f"{exc.__class__.__name__}: {exc}"})
    if not parts:
        return {"rate": None, "ci": None, "restarts": 0, "distinct": 0, "bad": 0, "comparable": None,
                "failed": failed}
    out = _pool_parts(parts)
    same = [p for p in parts if p["comparable"]]
    out["comparable"] = _pool_parts(same) if same else None
    out.update(populations=parts, test=dataclasses.asdict(test), **({"failed": failed} if failed else {}))
    return out


def _pool_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    restarts = sum(p["restarts"] for p in parts)
    bad = sum(p["bad"] for p in parts)
    low, high = wilson(bad, restarts)
    return {"rate": bad / restarts if restarts else 0.0, "ci": [low, high], "restarts": restarts, "bad": bad,
            "distinct": sum(p["distinct"] for p in parts), "converged": sum(p["converged"] for p in parts)}


def pooled(entries: list[Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """Pool several matches' ``bad_basin`` entries (sum of bad and restarts, Wilson interval),
    counting only their populations that are comparable across defenders."""
    comparable = [e.get("comparable") for e in entries if e]
    kept: list[Mapping[str, Any]] = [e for e in comparable if e and e.get("restarts")]
    if not kept:
        return None
    restarts = sum(int(e["restarts"]) for e in kept)
    bad = sum(int(e.get("bad", round(e["rate"] * e["restarts"]))) for e in kept)
    low, high = wilson(bad, restarts)
    return {"rate": bad / restarts, "ci": [low, high], "restarts": restarts, "bad": bad,
            "distinct": sum(int(e.get("distinct", 0)) for e in kept), "matches": len(kept)}


def rate_text(entry: Mapping[str, Any] | None) -> str:
    """``12% [9, 16]`` (percent, Wilson 95%), or ``-`` without data."""
    if not entry:
        return "-"
    low, high = entry["ci"]
    return f"{100 * entry['rate']:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"
