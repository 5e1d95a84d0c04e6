"""Step 6: is the point a local minimum? Descent at the floor, a higher-order escape, negative
curvature or a hidden slope of a saturated unit say no; evidence that cannot decide says so."""
from __future__ import annotations

import torch

from arena.referee.config import Verdict
from arena.referee.steps.case import Case
from arena.referee.steps.escape import EscapeCall, classify_escape, max_escape_order


def _escape(case: Case) -> EscapeCall | None:
    cfg = case.cfg
    order = cfg.max_escape_order or max_escape_order(case.setting)
    case.ev["max_escape_order"] = order
    calls = {}
    for family, probes in case.notes["families"].items():
        series = [(p.radius, p.min_delta, p.descent) for p in probes]
        found = classify_escape(series, cfg.descent_tol * case.scale, order, cfg.escape_min_radii, cfg.escape_fit_tol,
                                cfg.escape_visibility)
        if found is not None:
            calls[family] = found
    # one family escaping cleanly decides; otherwise doubt wins over a basin edge
    call = next((c for kind in ("escape", "inconclusive", "basin_edge") for c in calls.values() if c.kind == kind), None)
    if call is not None:
        case.ev["escape"] = {"kind": call.kind, "order": call.order}
    return call


def _not_min_reasons(case: Case, call: EscapeCall | None) -> tuple[list[str], torch.Tensor | None]:
    probes, spec, tol = case.notes["probes"], case.notes["spectrum"], case.notes["eig_tol"]
    reasons: list[str] = []
    direction = None
    if all(p.descent for p in probes):
        p = probes[-1]
        reasons.append(f"descent found in every ball down to radius {p.radius:g} (at the floor: "
                       f"ΔL = {p.min_delta:.3g} via {p.source})")
        direction = p.direction
    elif call is not None and call.kind == "escape":
        reasons.append(call.reason)
        direction = next(p.direction for p in probes if p.descent)
    if spec.min_eig < -tol:
        confirm = [p for p in probes if p.descent]
        reasons.append(f"Hessian has a negative eigenvalue {spec.min_eig:.3g} (below -{tol:.2g}): a saddle"
                       + (f" (descent confirmed at radius {confirm[0].radius:g})" if confirm else ""))
        if direction is None:
            direction = torch.as_tensor(spec.min_vector(), dtype=torch.float64, device=case.dev)
    for u in case.ev["saturated_units"]:
        if u["rescaled_grad_norm"] > case.cfg.saturation_grad_tol:
            reasons.append(f"unit {u['unit']} is saturated (σ' <= {u['max_slope']:.2g} on every sample): its "
                           f"gradient is below float64 noise but rescaled by 1/σ' it is {u['rescaled_grad_norm']:.3g} "
                           f"≠ 0, so the point is not stationary (it lies on a path to infinity)")
            break
    return reasons, direction


def local_verdict(case: Case) -> Verdict | None:
    """``not_local_min`` or ``inconclusive`` when decided here; None when the point passed."""
    call = _escape(case)
    reasons, direction = _not_min_reasons(case, call)
    if reasons:
        return case.verdict("not_local_min", reasons, direction)
    if call is not None and call.kind == "inconclusive":
        return case.verdict("inconclusive", [call.reason, "counted as held: a guess is not a verdict"])
    ev, probes = case.ev, case.notes["probes"]
    notes = []
    if ev["grad_norm"] > case.cfg.grad_tol:
        # autograd picks one one-sided derivative at a kink (of ℓ or σ); the probes test both
        # sides and found no descent, so this is a non-smooth minimum, not a slope
        notes.append(f"autograd gradient norm {ev['grad_norm']:.3g} > grad_tol={case.cfg.grad_tol:g} at a kink, but "
                     "no direction descends: a non-smooth point")
        ev["nonsmooth"] = True
    if call is not None and call.kind == "basin_edge":
        notes.append(call.reason)
    lowest = next(p for p in probes if not p.descent)
    notes.append(f"no descent in the balls of radius <= {lowest.radius:g}; gradient norm {ev['grad_norm']:.3g}; "
                 f"smallest Hessian eigenvalue {ev['hessian_min_eig']:.3g}"
                 + (f" with {ev['flat_directions']} flat direction(s)" if ev.get("flat_directions") else ""))
    case.notes["passed"] = notes
    return None
