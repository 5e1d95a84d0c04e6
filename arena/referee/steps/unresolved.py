"""Step 6b: flat directions the probes cannot resolve are decided in high precision, or left open.

A point that passed the probes may still have an escape of high order: at the origin of a deep
linear network (D = hidden layers + 1 weight factors) the loss drops like −r^D along directions
that move every layer together, by less than float64 resolves in every probe ball. So a flat
direction counts as *flat* only when it is an exact symmetry, or a dead unit's weights (the loss
is constant near the point along them), or when the largest admissible order p_max
(:func:`~arena.referee.steps.escape.max_escape_order`) would still show a visible drop at the
largest probe radius. Any other flat direction is *unresolved*: the loss is evaluated along it
(random mixtures of the unresolved directions, with their signs and their last layer's sign
flipped, since an odd or even number of factors decides which moves descend) in ``dps`` digits
with :func:`arena.referee.highprec.mp_delta`, at the largest probe radius and, for the best few,
at every decade down to the probe floor. A drop in every ball down to the floor is ``not_local_min``
(the rule float64 applies to the probes, now at a resolution that sees the drop); otherwise the
verdict is ``inconclusive``.
"""
from __future__ import annotations

import math
import time
from typing import Any

import torch

from arena.referee.canonical import hidden_units
from arena.referee.config import Verdict
from arena.landscape.setting import Setting
from arena.referee.steps.case import Case
from arena.referee.steps.escape import _fit_power, max_escape_order
from arena.referee.steps.first_order import _unit_signals
from arena.referee.highprec import Unsupported, mp_delta
from arena.referee.steps.probe_step import unit_metric

MAX_WORK = 200_000  # samples × parameters evaluated in high precision per point
DIRECTIONS = 6  # random mixtures (each also with its sign and its last layer's sign flipped)
TOP = 3  # directions followed down to the probe floor


def _dead_coordinates(case: Case) -> torch.Tensor:
    """[P] bool: the weights of units dead on every sample (relu-type, pre-activation below the kink
    by more than the kink tolerance): the loss does not change while they move a little."""
    s = case.setting
    dead = torch.zeros(case.point.numel(), dtype=torch.bool, device=case.dev)
    if not s.builtin or not getattr(s.neuron, "dead_region", False):
        return dead
    pre = s.preactivations(case.params, case.X)
    for name, inc, out in hidden_units(s):
        z = pre[name]  # [n, h]
        scale = z.abs().amax(dim=0).clamp(min=1.0)
        off = (z < -case.cfg.kink_tol * scale).all(dim=0)
        for j in torch.nonzero(off).flatten().tolist():
            dead[torch.as_tensor(inc[j] + out[j], device=case.dev)] = True
    return dead


def _unresolved(case: Case) -> torch.Tensor | None:
    """Orthonormal-ish rows [m, P] of flat directions that are neither symmetry nor dead units."""
    R = case.notes.get("flat_outside_symmetry")
    if R is None:
        R = case.notes["flat"]
    if not R.shape[0]:
        return None
    dead = _dead_coordinates(case)
    live = R * (~dead).to(R)
    keep = live.norm(dim=1) > 1e-6
    return live[keep] if bool(keep.any()) else None


def _directions(case: Case, U: torch.Tensor, gen: torch.Generator, metric: torch.Tensor) -> list[torch.Tensor]:
    """Random mixtures of U's rows, each with ±sign and ±(last layer), unit length in the probe metric."""
    last = torch.zeros_like(case.point, dtype=torch.bool)
    off = 0
    depth = len(case.setting.mlp.hidden)
    for k, shape in case.setting.param_shapes.items():
        n = math.prod(shape)
        if k.startswith(f"layers.{depth}."):
            last[off: off + n] = True
        off += n
    out = []
    for _ in range(DIRECTIONS):
        u = torch.randn(U.shape[0], generator=gen, dtype=torch.float64).to(U) @ U
        flipped = torch.where(last, -u, u)
        for d in (u, -u, flipped, -flipped):
            if float(d.norm()) > 0:
                out.append(d / d.norm() * metric)
    return out


def saturated_samples(setting: Setting, params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor,
                      threshold: float) -> list[dict[str, Any]]:
    """Units of a neuron without an exact flat region (softplus, tanh, sigmoid, elu, ...) whose σ'
    underflows below ``threshold`` on some sample that still carries loss: [{unit, samples}].

    Those samples move the loss by about σ'(z) ~ e^{-|z|} along the unit's weights: never exactly
    zero, yet below anything float64 resolves. A flat direction through such a unit is no evidence
    of a minimum (pushing the unit further into saturation lowers the loss, a path to infinity)."""
    if not setting.builtin or getattr(setting.neuron, "dead_region", False):
        return []
    p = {k: v.detach() for k, v in params.items()}
    found = []
    for name, g_i, slope, _ in _unit_signals(setting, p, X, y):
        hidden = (g_i != 0) & (slope < threshold)
        if bool(hidden.any()):
            found.append({"unit": name, "samples": int(hidden.sum())})
    return found


def numerically_saturated(case: Case) -> list[dict[str, Any]]:
    """:func:`saturated_samples` at the judged point."""
    return saturated_samples(case.setting, case.params, case.X, case.y, case.cfg.saturation_threshold)


def resolve_flat(case: Case, force: bool = False) -> Verdict | None:
    """``not_local_min`` (an escape seen in high precision), ``inconclusive`` (unresolved), or None.

    ``force``: check even where the largest ball would show the highest order (the local verdict
    asks when float64 saw a descent in too few balls to fit its order)."""
    cfg, ev = case.cfg, case.ev
    if not case.setting.builtin:
        return None  # the high-precision form covers the built-in network only (custom: order <= 4)
    saturated = numerically_saturated(case)
    if saturated and _unresolved(case) is not None:
        ev["numerically_saturated"] = saturated
        units = ", ".join(f"{u['unit']} ({u['samples']} samples)" for u in saturated[:4])
        return case.verdict("inconclusive", [
            f"loss-carrying samples sit where σ' underflows (< {cfg.saturation_threshold:g}) in unit(s) {units}: "
            f"along the {case.notes['flat'].shape[0]} flat direction(s) the loss moves by less than float64 "
            "resolves, so 'no descent seen' is no evidence of a minimum (pushing such units further into "
            "saturation is a path to infinity)", "counted as held: a guess is not a verdict"])
    order = ev.get("max_escape_order") or cfg.max_escape_order or max_escape_order(case.setting)
    tol = cfg.descent_tol * case.scale
    r_max = max(cfg.probe_radii)
    if r_max ** order >= cfg.escape_visibility * tol and not force:
        return None  # even the highest admissible order shows in the largest ball
    U = _unresolved(case)
    if U is None:
        return None
    t0 = time.perf_counter()
    ev["unresolved_flat_directions"] = int(U.shape[0])
    why = (f"{U.shape[0]} flat direction(s) are neither exact symmetries nor dead units, and an escape of order up "
           f"to {order} (the architecture's maximum) would stay below float64 resolution ({tol:.2g}) in every probe "
           f"ball (radius <= {r_max:g})")
    if case.X.shape[0] * case.point.numel() > MAX_WORK:
        return case.verdict("inconclusive", [why, f"too large for the high-precision check (n·P > {MAX_WORK})",
                                             "counted as held: a guess is not a verdict"])
    r_min = min(cfg.probe_radii)
    radii = [r_max / 10 ** k for k in range(int(round(math.log10(r_max / r_min))) + 1)]  # down to the probe floor
    dps = 30 + math.ceil(order * math.log10(1 / radii[-1])) + math.ceil(math.log10(case.scale))
    gen = torch.Generator().manual_seed(case.seed)
    dirs = _directions(case, U, gen, unit_metric(case))
    try:
        # every direction at the largest radius; the best few down to the floor
        first = mp_delta(case.setting, case.X, case.y, case.point, [radii[0] * d for d in dirs], dps)
        top = sorted(range(len(dirs)), key=lambda i: first[i])[:TOP]
        top = [i for i in top if first[i] < 0]
        rest = mp_delta(case.setting, case.X, case.y, case.point, [r * dirs[i] for i in top for r in radii[1:]], dps)
    except Unsupported as exc:
        return case.verdict("inconclusive", [why, f"no high-precision check: {exc}",
                                             "counted as held: a guess is not a verdict"])
    case.time("high_precision", t0)
    ev["high_precision"] = {"digits": dps, "directions": len(dirs), "radii": radii}
    best = None
    for j, i in enumerate(top):
        deltas = [first[i], *rest[j * (len(radii) - 1): (j + 1) * (len(radii) - 1)]]
        drops = [float(-x) for x in deltas]
        if min(drops) <= 0:  # a descent must show in every ball down to the floor, as in float64
            continue
        p, resid = _fit_power(list(zip(radii, drops)))
        if best is None or drops[-1] > best[1][-1]:
            best = (dirs[i], drops, p)
    if best is None:
        return case.verdict("inconclusive", [why, f"a {dps}-digit evaluation along {len(dirs)} of them at radii "
                                             f"{', '.join(f'{r:g}' for r in radii)} found no descent in every ball; "
                                             "flatness is not proven", "counted as held: a guess is not a verdict"])
    d, drops, p = best
    ev["high_precision"].update(drops=drops, order=p)
    reason = (f"{why}; evaluated with {dps} digits along one of them the loss drops in every ball down to the "
              f"probe floor: " + ", ".join(f"{-x:.3g} at radius {r:g}" for x, r in zip(drops, radii))
              + f" (like r^{p:.3g}): not a minimum")
    return case.verdict("not_local_min", [reason], direction=d)
