"""Where second-order information decides, and where the local expansion holds.

Two rules keep the escape fit (:mod:`arena.referee.steps.escape`) from overriding what the
Hessian already says:

* **second-order sufficiency** (:func:`sufficient_second_order`): at a stationary point where the
  loss is twice differentiable and the Hessian is positive definite well beyond the flat tolerance,
  the point is a strict local minimum. Descent seen in larger balls lies outside its basin; no
  power law fitted across radii may override this.
* **the expansion region** (:func:`expansion_holds`): where the Hessian is degenerate an escape is
  fitted, but only from radii where the second-order model still describes the loss off the flat
  directions. A descent found at radius r moves by δ; its part off the flat eigenspace, δ⊥, must
  cost what the model says, L(θ + δ⊥) − L(θ) ≈ gᵀδ⊥ + ½ δ⊥ᵀHδ⊥. When it does not, the ball reached
  past the region where the local expansion holds (e.g. out of a small basin) and its descent says
  nothing about the point's order of escape.
"""
from __future__ import annotations

import torch
from torch.func import grad, jvp

from arena.referee.curvature import loss_of_flat
from arena.referee.steps.case import Case

SUFFICIENT_MARGIN = 10.0  # λ_min must exceed this many times the flat tolerance
EXPANSION_TOL = 0.5  # |remainder| <= this · |quadratic model| (plus the loss resolution)


def curvature_breaks(case: Case) -> int:
    """Samples whose margin sits where the margin loss ℓ is not twice differentiable (a hinge's
    corner), found numerically: ℓ'' differs between m − ε and m + ε, ε = 1e-6·max(1, |m|)."""
    loss = case.setting.loss_fn
    if loss.smoothness >= 2 or not case.setting.builtin or case.X.shape[0] == 0:
        return 0
    m = case.setting.margins(case.params, case.X, case.y).detach()
    eps = 1e-6 * m.abs().clamp(min=1.0)

    def second(at: torch.Tensor) -> torch.Tensor:
        z = at.clone().requires_grad_(True)
        (d1,) = torch.autograd.grad(loss(z).sum(), z, create_graph=True)
        (d2,) = torch.autograd.grad(d1.sum(), z)
        return d2

    lo, mid, hi = second(m - eps), second(m), second(m + eps)
    spread = torch.maximum((hi - lo).abs(), torch.maximum((mid - lo).abs(), (hi - mid).abs()))
    return int((spread > 1e-3 * (1 + mid.abs())).sum())


def sufficient_second_order(case: Case) -> str | None:
    """The reason the second-order sufficient condition holds, or None when it does not apply.

    Requires: a built-in network (the referee knows where it is smooth), no unit on a kink, no
    saturated unit, no sample at a corner of the loss, ‖∇L‖ <= ``grad_tol`` with the most a slope
    could gain, ‖g‖²/(2λ_min), below the loss resolution, and λ_min > ``SUFFICIENT_MARGIN`` × the
    flat tolerance (exact spectrum or Lanczos)."""
    cfg, ev = case.cfg, case.ev
    spec, tol = case.notes["spectrum"], case.notes["eig_tol"]
    lam, g = spec.min_eig, ev["grad_norm"]
    if not case.setting.builtin or getattr(case.setting, "population", False):
        return None
    if not lam > SUFFICIENT_MARGIN * tol or g > cfg.grad_tol:
        return None
    if case.notes["kink_units"] or ev.get("saturated_units") or ev.get("samples_at_hinge_kink"):
        return None
    breaks = curvature_breaks(case)
    ev["samples_at_curvature_break"] = breaks
    if breaks:
        return None
    gain = g * g / (2 * lam)
    if gain > cfg.descent_tol * case.scale:
        return None
    return (f"second-order sufficient condition: ‖∇L‖ = {g:.3g} (the most a slope could gain is {gain:.2g}) and the "
            f"Hessian is positive definite, λ_min = {lam:.3g} > {SUFFICIENT_MARGIN:g} × the flat tolerance {tol:.2g}, "
            "where the loss is twice differentiable: a strict local minimum")


def expansion_holds(case: Case, displacement: torch.Tensor | None) -> bool:
    """Whether a probe's move δ [P] stays where the second-order model holds off the flat directions."""
    if displacement is None:  # a gated-unit move: a turn in flat directions, then the unit's weight
        return True
    flat = case.notes["flat"]  # [m, P] orthonormal rows
    d = displacement - flat.T @ (flat @ displacement) if flat.shape[0] else displacement
    f = loss_of_flat(case.setting, case.X, case.y)
    v = case.point
    _, hd = jvp(grad(f), (v,), (d,))  # type: ignore[misc]  # torch's stub declares the has_aux triple too
    q = float(case.notes["gradient"] @ d + 0.5 * (d @ hd))
    remainder = float(f(v + d)) - case.loss - q
    return abs(remainder) <= EXPANSION_TOL * abs(q) + case.cfg.descent_tol * case.scale
