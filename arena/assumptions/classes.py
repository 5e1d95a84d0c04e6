"""Class checks on neurons and losses: read from the registered families (a proof: a class fact), with
a float64 autograd grid on [-30, 30] reported beside them as a cross-check (a finite grid cannot
prove a global property, so it never decides).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from arena.assumptions.base import AssumptionResult, undecided
from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Setting

GRID = (-30.0, 30.0, 6001)  # neuron/loss cross-check grid: lo, hi, points (step 0.01)
_RESOLVABLE = 1.0  # |z| <= this: derivatives of every registered family are far from underflow


# -- neurons ---------------------------------------------------------------------------------------
def neuron_grid(neuron: Any, lo: float = GRID[0], hi: float = GRID[1], num: int = GRID[2]) -> dict[str, Any]:
    """σ, σ', σ'' by float64 autograd on a grid: extremes over the finite points, the largest jump of σ'
    between neighbours, and how many points overflowed (reported, excluded)."""
    z = torch.linspace(lo, hi, num, dtype=torch.float64, requires_grad=True)
    s = neuron(z)
    (d1,) = torch.autograd.grad(s.sum(), z, create_graph=True)
    d2 = torch.autograd.grad(d1.sum(), z, allow_unused=True)[0] if d1.requires_grad else None
    d2 = torch.zeros_like(z) if d2 is None else d2
    z, s, d1, d2 = z.detach(), s.detach(), d1.detach(), d2.detach()
    ok = torch.isfinite(s) & torch.isfinite(d1) & torch.isfinite(d2)
    out: dict[str, Any] = {"grid": [lo, hi, num], "nonfinite_points": int((~ok).sum())}
    if not bool(ok.all()):
        out["first_nonfinite_z"] = float(z[~ok][0])  # overflow in the neuron's own formula
    z, d1, d2 = z[ok], d1[ok], d2[ok]
    centre = z.abs() <= _RESOLVABLE
    out.update({
        "min_d1": float(d1.min()), "max_d1": float(d1.max()), "min_d1_centre": float(d1[centre].min()),
        "min_d2": float(d2.min()), "max_d2": float(d2.max()), "min_d2_centre": float(d2[centre].min()),
        "max_d1_jump": float((d1[1:] - d1[:-1]).abs().max()),
    })
    return out


def _positive_on_grid(grid: Mapping[str, float], order: int) -> bool:
    # exact zeros far out are float64 underflow (e.g. softplus'' at z = 30 with a large beta),
    # so only negative values, or zeros near the origin, contradict a positive derivative
    return grid[f"min_d{order}"] >= 0 and grid[f"min_d{order}_centre"] > 0


def _neuron_or_reason(setting: Setting) -> tuple[Any, str]:
    if not setting.builtin:
        return None, f"custom network {setting.network.get('_target_')!r}: its neuron is not known to the arena"
    return setting.neuron, ""


def _check_neuron(setting: Setting, X: Any, y: Any, *, prop: str) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return undecided(why)
    declared = bool(getattr(neuron, prop))
    grid = neuron_grid(neuron)
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "declared": declared, **grid}
    if prop in ("increasing", "strictly_convex"):
        order = 1 if prop == "increasing" else 2
        evidence["grid_consistent"] = _positive_on_grid(grid, order) == declared
        if not evidence["grid_consistent"]:
            evidence["warning"] = f"σ^({order}) on the grid disagrees with the declared property"
    if grid["nonfinite_points"]:
        evidence["warning"] = (evidence.get("warning", "") + f" {neuron.name} overflows to inf/nan from "
                               f"z = {grid['first_nonfinite_z']:g} on").strip()
    if not declared:
        evidence["reason"] = f"neuron {neuron.name} is not {prop.replace('_', ' ')}"
    return AssumptionResult(declared, evidence, proved=True)


def _check_neuron_smooth(setting: Setting, X: Any, y: Any, *, k: int = 1) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return undecided(why)
    holds = neuron.smoothness >= k
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "smoothness": neuron.smoothness,
                                "kinks": list(neuron.kinks), **neuron_grid(neuron)}
    if not holds:
        evidence["reason"] = f"neuron {neuron.name} is C^{neuron.smoothness}, not C^{k}"
    return AssumptionResult(holds, evidence, proved=True)


# -- losses ----------------------------------------------------------------------------------------
def loss_grid(loss: Any, lo: float = GRID[0], hi: float = GRID[1], num: int = GRID[2]) -> dict[str, Any]:
    """ℓ'(m) by float64 autograd on a margin grid: its extremes and where it becomes identically 0."""
    m = torch.linspace(lo, hi, num, dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(loss(m).sum(), m)
    zero = (d1 == 0).flip(0).to(torch.int64).cumprod(0).flip(0).bool()  # ℓ' = 0 from here on
    m = m.detach()
    zero_from = float(m[zero][0]) if bool(zero.any()) else None
    return {"grid": [lo, hi, num], "max_d1": float(d1.max()), "min_d1": float(d1.min()),
            "zero_from": zero_from, "value_at_hi": float(loss(m[-1:].detach())[0])}


def _check_loss(setting: Setting, X: Any, y: Any, *, prop: str) -> AssumptionResult:
    loss = setting.loss_fn
    declared = bool(getattr(loss, prop))
    grid = loss_grid(loss)
    evidence: dict[str, Any] = {"loss": loss.spec(), "declared": declared, **grid}
    if prop == "monotone":
        evidence["grid_consistent"] = not declared or grid["max_d1"] <= 0
    if prop == "hinge_type":
        flat_from = grid["zero_from"]
        evidence["grid_consistent"] = not declared or (
            grid["max_d1"] <= 0 and flat_from is not None and flat_from > 0)
    if not declared:
        what = {"monotone": "non-increasing in the margin", "hinge_type": "of hinge type "
                "(ℓ' < 0 up to a margin m0 > 0, then ℓ' = 0)", "attains_minimum": "minimum-attaining"}[prop]
        evidence["reason"] = f"loss {loss.name} is not {what}"
    return AssumptionResult(declared, evidence, proved=True)


def _check_loss_smooth(setting: Setting, X: Any, y: Any, *, k: int = 1) -> AssumptionResult:
    loss = setting.loss_fn
    holds = loss.smoothness >= k
    evidence = {"loss": loss.spec(), "smoothness": loss.smoothness}
    if not holds:
        evidence["reason"] = f"loss {loss.name} is C^{loss.smoothness}, not C^{k}"
    return AssumptionResult(holds, evidence, proved=True)


def _check_loss_convex(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    loss = setting.loss_fn
    lo, hi, num = GRID
    m = torch.linspace(lo, hi, num, dtype=torch.float64)
    v = loss(m)
    ok = torch.isfinite(v)
    # second differences of a convex function are >= 0; the tolerance absorbs float64 rounding of ℓ
    d2 = (v[2:] - 2 * v[1:-1] + v[:-2])[ok[2:] & ok[1:-1] & ok[:-2]]
    tol = 64 * np.finfo(np.float64).eps * float(v[ok].abs().max())
    min_d2 = float(d2.min())
    evidence: dict[str, Any] = {"loss": loss.spec(), "declared": loss.convex, "grid": list(GRID),
                                "min_second_difference": min_d2, "tolerance": tol,
                                "grid_consistent": not loss.convex or min_d2 >= -tol}
    if not loss.convex:
        evidence["reason"] = f"loss {loss.name} is not convex in the margin"
    elif not evidence["grid_consistent"]:
        evidence["warning"] = "a negative second difference on the grid contradicts the declared convexity"
    return AssumptionResult(loss.convex, evidence, proved=True)


def _check_neuron_continuous(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return undecided(why)
    lo, hi, num = GRID
    s = neuron(torch.linspace(lo, hi, num, dtype=torch.float64))
    finite = s[torch.isfinite(s)]
    # every registered family is at least C^0 (smoothness >= 0); the largest step between grid
    # neighbours (spacing 0.01) is reported as a cross-check against a hidden jump
    holds = neuron.smoothness >= 0
    evidence = {"neuron": neuron.spec(), "smoothness": neuron.smoothness, "grid": list(GRID),
                "max_step_between_neighbours": float((finite[1:] - finite[:-1]).abs().max())}
    if not holds:
        evidence["reason"] = f"neuron {neuron.name} is not continuous"
    return AssumptionResult(holds, evidence, proved=True)


def _check_neuron_linear(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return undecided(why)
    m = setting.mlp
    z = torch.linspace(GRID[0], GRID[1], GRID[2], dtype=torch.float64)
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "exp_neuron": m.exp_neuron,
                                "max_deviation_from_identity": float((neuron(z) - z).abs().max()),
                                "note": "biases and a linear skip keep f affine in x (a deep linear network)"}
    reasons = []
    if neuron.name != "linear":
        reasons.append(f"hidden neuron is {neuron.name}, not linear")
    if m.exp_neuron:
        reasons.append(f"the special skip unit ({_spec_name(m.special_neuron)}) is not linear")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence, proved=True)


def _spec_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else str(spec.get("name"))


def make_neuron_spec(spec: Any) -> dict[str, Any]:
    """A neuron spec with its defaults filled in, e.g. ``"softplus"`` -> ``{"name": "softplus", "beta": 1.0}``."""
    return make_neuron(spec).spec()

