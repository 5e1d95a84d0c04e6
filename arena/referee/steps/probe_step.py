"""Step 5: probes: is there lower loss in every small ball? (random, targeted and gated moves).

Radii are relative to each unit's parameter scale (``unit_metric``). When descent shows in the
larger balls only, extra radii are probed in between (``escape_radii``) so that the order of a
possible higher-order escape is fitted over several points (:mod:`arena.referee.steps.escape`).
"""
from __future__ import annotations

import math
import time

import torch

from arena.referee.canonical import hidden_units
from arena.referee.probes import ProbeReport, gated_units, probe_ball, probe_gated
from arena.referee.steps.case import Case
from arena.referee.params import to64


def unit_metric(case: Case) -> torch.Tensor:
    """Per-parameter scale [P]: max(1, RMS of the unit's incoming and outgoing entries), else 1."""
    v = case.point
    metric = torch.ones_like(v)
    if not case.setting.builtin:
        return metric
    for _, inc, out in hidden_units(case.setting):
        for a, b in zip(inc, out):
            idx = torch.as_tensor(a + b, device=v.device)
            rms = float(v[idx].pow(2).mean().sqrt())
            metric[idx] = torch.maximum(metric[idx], torch.full_like(metric[idx], rms))
    return metric


def _targeted(case: Case, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """−gradient, negative-curvature and flat Hessian directions (and mixtures), kinks, the witness."""
    n = case.notes
    flat = n["flat"]
    if flat.shape[0]:
        # flat directions are where higher-order escapes hide (a switched-off unit must first turn,
        # at no cost, before its weight pays): probe them and random mixtures of them
        mix = torch.randn(case.cfg.probe_descent_starts, flat.shape[0], dtype=torch.float64,
                          generator=gen).to(case.dev) @ flat
        if flat.shape[0] > case.cfg.probe_max_flat:  # fewer probes at large sizes
            keep = torch.randperm(flat.shape[0], generator=gen)[: case.cfg.probe_max_flat]
            flat = flat[keep.to(case.dev)]
        flat = torch.cat([flat, -flat, mix])
    out = {"gradient": -n["gradient"].unsqueeze(0), "hessian_negative": torch.cat([n["negative"], -n["negative"]]),
           "kink": n["kink_dirs"], "flat": flat}
    if case.claim.witness is not None:
        w = case.canon.to_canonical(case.setting.flatten(to64(case.claim.witness, case.dev)))
        out["witness"] = (w - case.point).unsqueeze(0)
    return out


def probe_radius(case: Case, r: float, targeted: dict, gated: list, gen: torch.Generator,
                 metric: torch.Tensor) -> dict[str, ProbeReport]:
    """The best of all probes at radius r (``"all"``) and each family's own (``"ball"``, ``"gated"``)."""
    cfg = case.cfg
    tol = cfg.descent_tol * case.scale
    report = probe_ball(case.setting, case.X, case.y, case.point, targeted, r, n_random=cfg.probe_random,
                        descent_steps=cfg.probe_descent_steps, descent_starts=cfg.probe_descent_starts,
                        tol=tol, generator=gen, metric=metric)
    turned = probe_gated(case.setting, case.X, case.y, case.point, gated, r, turns=4 * cfg.probe_descent_starts,
                         generator=gen, metric=metric)
    out = {"all": report, "ball": report}
    if turned is not None:
        out["gated"] = ProbeReport(r, turned[0], turned[0] < -tol, turned[1], turned[2])
        if turned[0] < report.min_delta:
            out["all"] = out["gated"]
    return out


def escape_radii(probes: list[ProbeReport], per_decade: int = 3) -> list[float]:
    """Radii between the largest ball and the first ball without descent, ``per_decade`` a decade."""
    lead = 0
    while lead < len(probes) and probes[lead].descent:
        lead += 1
    if lead == 0 or lead == len(probes):
        return []
    hi, lo = probes[0].radius, probes[lead].radius
    steps = round(per_decade * math.log10(hi / lo))
    have = {p.radius for p in probes}
    grid = [hi * (lo / hi) ** (k / steps) for k in range(1, steps)] if steps > 1 else []
    return [r for r in grid if all(abs(math.log10(r / h)) > 1e-6 for h in have)]


def probe_step(case: Case) -> None:
    t = time.perf_counter()
    gen = torch.Generator().manual_seed(case.seed)
    targeted = _targeted(case, gen)
    gated = gated_units(case.setting, case.params)
    case.ev["gated_units"] = [u[0] for u in gated]
    metric = unit_metric(case)
    case.ev["probe_metric_max"] = float(metric.max())
    found = [probe_radius(case, r, targeted, gated, gen, metric) for r in case.cfg.probe_radii]
    found += [probe_radius(case, r, targeted, gated, gen, metric) for r in escape_radii([f["all"] for f in found])]
    found.sort(key=lambda f: -f["all"].radius)
    case.time("probes", t)
    probes = [f["all"] for f in found]
    case.ev["probes"] = [p.to_dict() for p in probes]
    case.notes["probes"] = probes
    # each family's own series: a power law is fitted per family (their prefactors differ)
    case.notes["families"] = {k: [f[k] for f in found] for k in ("all", "ball", "gated") if k in found[0]}
