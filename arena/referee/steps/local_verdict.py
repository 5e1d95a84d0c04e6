"""Step 6: is the point a local minimum? Descent at the floor, a higher-order escape, negative
curvature or a hidden slope of a saturated unit say no; evidence that cannot decide says so."""
from __future__ import annotations

import torch

from arena.referee.config import Verdict
from arena.referee.steps.case import Case
from arena.referee.steps.escape import EscapeCall, classify_escape, max_escape_order
from arena.referee.steps.expansion import expansion_holds, sufficient_second_order
from arena.referee.steps.unresolved import resolve_flat


def _escape(case: Case) -> EscapeCall | None:
    cfg = case.cfg
    order = cfg.max_escape_order or max_escape_order(case.setting)
    case.ev["max_escape_order"] = order
    calls = {}
    for family, probes in case.notes["families"].items():
        found = _classify(case, probes, order)
        if found is not None:
            calls[family] = found
    # one family escaping cleanly decides; otherwise doubt wins over a basin edge
    call = next((c for kind in ("escape", "inconclusive", "basin_edge") for c in calls.values() if c.kind == kind), None)
    if call is not None:
        case.ev["escape"] = {"kind": call.kind, "order": call.order}
    return call


def _classify(case: Case, probes: list, order: int) -> EscapeCall | None:
    """One family's call; an escape is fitted only from the descending radii inside the region
    where the local expansion holds (:func:`~arena.referee.steps.expansion.expansion_holds`)."""
    cfg = case.cfg
    args = (cfg.descent_tol * case.scale, order, cfg.escape_min_radii, cfg.escape_fit_tol, cfg.escape_visibility)
    series = [(p.radius, p.min_delta, p.descent) for p in probes]
    found = classify_escape(series, *args)
    if found is None or found.kind != "escape":
        return found
    lead = next((i for i, p in enumerate(probes) if not p.descent), len(probes))
    outside = [i for i in range(lead) if not expansion_holds(case, probes[i].displacement)]
    if not outside:
        return found
    first = outside[-1] + 1  # the radii below the last one outside the expansion region
    case.ev["escape_radii_outside_expansion"] = [probes[i].radius for i in outside]
    inner = classify_escape(series[first:], *args) if first < lead else None
    if inner is not None and inner.kind == "escape":
        return inner
    return EscapeCall("inconclusive", f"descent in the balls of radius >= {probes[outside[-1]].radius:g} lies where the "
                      "second-order expansion no longer describes the loss off the flat directions (outside the local "
                      f"region), and too few radii inside it ({lead - first}) show an escape", found.order)


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
    confirm = [p for p in probes if p.descent]
    # a one-sided Hessian limit (a non-smooth point) speaks only where a probe confirms the descent
    if spec.min_eig < -tol and (confirm or not case.notes.get("nonsmooth_hessian")):
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
    sufficient = sufficient_second_order(case)
    case.ev["second_order_sufficient"] = sufficient is not None
    # a positive-definite Hessian at a smooth stationary point decides; an escape fit may not override it
    call = None if sufficient else _escape(case)
    reasons, direction = _not_min_reasons(case, call)
    if sufficient and reasons:
        # descent even in the smallest ball, against a strict minimum's expansion: the basin is
        # below the probes' resolution, or the expansion fails there; neither side is shown
        return case.verdict("inconclusive", [sufficient, *reasons, "the probes contradict the second-order condition "
                                             "at their smallest radius: counted as held, a guess is not a verdict"])
    if reasons:
        return case.verdict("not_local_min", reasons, direction)
    if call is not None and call.kind == "inconclusive":
        # the descent float64 saw may be fitted in high precision, where smaller radii resolve it
        decided = resolve_flat(case, force=True)
        if decided is not None and decided.verdict == "not_local_min":
            return decided
        return case.verdict("inconclusive", [call.reason, "counted as held: a guess is not a verdict"])
    if case.notes.get("nonsmooth_hessian") and case.notes["spectrum"].min_eig < -case.notes["eig_tol"]:
        return case.verdict("inconclusive", ["every one-sided Hessian limit at this non-smooth point has a negative "
                                             "eigenvalue, but no probe found the descent", "counted as held"])
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
    if sufficient:
        notes.append(sufficient)
        wide = [p.radius for p in probes if p.descent]
        if wide:
            notes.append(f"descent in the balls of radius {', '.join(f'{r:g}' for r in wide)} lies outside the basin")
    lowest = next(p for p in probes if not p.descent)
    notes.append(f"no descent in the balls of radius <= {lowest.radius:g}; gradient norm {ev['grad_norm']:.3g}; "
                 f"smallest Hessian eigenvalue {ev['hessian_min_eig']:.3g}"
                 + (f" with {ev['flat_directions']} flat direction(s)" if ev.get("flat_directions") else ""))
    case.notes["passed"] = notes
    return None
