"""Exact arguments the referee can add to a numerical verdict, labelled as certificates.

Only one family so far, the all-dead network (docs/catalogue.md §6.2, "dead-unit certificate"): if every
first-layer unit of a network whose neuron is constant on (−∞, 0] has pre-activation <= −m < 0 on
every sample, then a perturbation of norm < r₀ = m / max_i ‖(x_i, 1)‖ keeps every unit dead (each
pre-activation moves by at most ‖Δθ‖·‖(x_i, 1)‖), so the output stays one constant c(θ') on all
samples and L(θ') = G(c(θ')) with G(c) = (1/n) Σ ℓ(y_i c). When ℓ is convex and G'(c(θ)) = 0, c(θ)
minimises G, hence L(θ') >= L(θ) on the whole ball: a (non-strict) local minimum. The arithmetic
is float64, so "G' = 0" means "below ``slope_tol``".
"""
from __future__ import annotations

from typing import Any

import torch

from arena.landscape.setting import Setting


def dead_network(setting: Setting, params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor, *,
                 slope_tol: float = 1e-12) -> dict[str, Any] | None:
    """The dead-unit certificate for θ (params, float64), or None when it does not apply."""
    if not setting.builtin or setting.regularizers:
        return None
    m = setting.mlp
    neuron = setting.neuron
    if not m.hidden or not m.bias or m.skip or m.exp_neuron or m.multiplicative_exp:
        return None
    if not (neuron.dead_region and setting.loss_fn.convex):
        return None
    zero = torch.zeros(1, dtype=X.dtype, device=X.device)
    probe = torch.tensor([-1.0, -1e-3, 0.0], dtype=X.dtype, device=X.device)
    if not bool((neuron(probe) == neuron(zero)).all()):  # constant on (−∞, 0]: a truly dead region
        return None
    z = setting.preactivations(params, X)["layers.0"]
    margin = float(-z.max())
    if not margin > 0:
        return None
    radius = margin / float(torch.cat([X, torch.ones_like(X[:, :1])], dim=1).norm(dim=1).max())
    f = setting.output(params, X)
    c = f[0].detach().clone().requires_grad_(True)
    if not bool((f == f[0]).all()):
        return None
    (g,) = torch.autograd.grad(setting.loss_fn(y * c).mean(), c)
    constant, slope = float(c.detach()), float(g)
    if abs(slope) > slope_tol:
        return None
    return {"kind": "dead_units", "label": "certificate (exact argument, float64 arithmetic)",
            "radius": radius, "dead_margin": margin, "constant_output": constant, "slope_of_G": slope,
            "statement": (f"every first-layer unit has pre-activation <= -{margin:.3g} on every sample, so within "
                          f"radius {radius:.3g} the output is one constant c; G(c) = mean loss(y c) is convex with "
                          f"G'({constant:.6g}) = {slope:.2g}: L >= L(θ) on the whole ball")}
