"""Step 3: first order: ‖∇L‖, units on a kink, saturated units (whose gradient float64 hides)."""
from __future__ import annotations

from typing import Any

import torch

from arena.landscape.network import exp_preactivation, mlp_preactivations
from arena.landscape.setting import Setting
from arena.referee.config import RefereeConfig
from arena.referee.curvature import gradient
from arena.referee.probes import kink_directions
from arena.referee.steps.case import Case


def first_order(case: Case) -> None:
    """Gradient norm, kink units (relative kink tolerance), saturated units, hinge-kink samples."""
    s, params, X = case.setting, case.params, case.X
    ev = case.ev
    g = gradient(s, X, case.y, case.point)
    ev["grad_norm"] = float(g.norm())
    if s.builtin and s.neuron.kinks:
        # in the claim's own coordinates (a rescaled unit's pre-activations scale with it)
        claim_params = s.unflatten(case.canon.to_claim(case.point))
        pre = [z for k, z in s.preactivations(claim_params, X).items() if k.startswith("layers.")]
        if pre:
            ev["min_abs_preactivation"] = min(float((z - k).abs().min()) for z in pre for k in s.neuron.kinks)
    kink_dirs, kink_units = kink_directions(s, params, X, case.cfg.kink_tol)
    order = case.canon.sample_order.tolist()
    units = case.canon.unit_order
    ev["kink_units"] = [{**u, "unit": units.get(f"layers.{u['layer']}", list(range(u["unit"] + 1)))[u["unit"]],
                         "samples": sorted(order[i] for i in u["samples"])} for u in kink_units]
    ev["saturated_units"] = saturated_units(s, params, X, case.y, case.cfg)
    if s.loss_fn.hinge_type:
        margins = s.margins(params, X, case.y)
        ev["samples_at_hinge_kink"] = int(((margins - 1).abs() <= case.cfg.kink_tol).sum())
    case.notes.update(gradient=g, kink_dirs=kink_dirs, kink_units=kink_units)


def _forward_by_layer(setting: Setting, p: dict[str, torch.Tensor], X: torch.Tensor):
    """(inputs per layer, pre-activations per layer, output f [n], exponential pre-activation or None),
    from the built-in network's one forward pass (:func:`arena.landscape.network.mlp_preactivations`)."""
    m, neuron = setting.mlp, setting.neuron
    pre, out = mlp_preactivations(m, neuron, p, X)
    inputs = [X, *(neuron(z) for z in pre[:-1])]
    z_exp = exp_preactivation(p, X) if m.exp_neuron else None
    return inputs, pre, out, z_exp


def _slope(neuron, z: torch.Tensor) -> torch.Tensor:
    zz = z.detach().requires_grad_(True)
    (s,) = torch.autograd.grad(neuron(zz), zz, grad_outputs=torch.ones_like(zz))
    return s


def _unit_signals(setting: Setting, p, X, y) -> list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Per unit: (name, ∂L/∂(unit output) [n], |σ'| [n], the unit's input features [n, k])."""
    m, neuron = setting.mlp, setting.neuron
    depth = len(m.hidden)
    inputs, pre, out, z_exp = _forward_by_layer(setting, p, X)
    out = out.detach().requires_grad_(True)
    (g_out,) = torch.autograd.grad(setting.combine(setting.loss_fn(y * out).mean(), p), out)  # ∂L/∂f_i, [n]
    # back through the layers by hand, so each layer's ∂L/∂h is exact (no chained re-evaluation)
    grads_h: list = [None] * depth
    g = g_out.unsqueeze(-1) @ p[f"layers.{depth}.weight"]
    for i in reversed(range(depth)):
        grads_h[i] = g
        if i > 0:
            g = (g * _slope(neuron, pre[i])) @ p[f"layers.{i}.weight"]
    units = []
    if neuron.saturates:
        for i in range(depth):
            slope = _slope(neuron, pre[i]).abs()
            feats = torch.cat([inputs[i], torch.ones_like(inputs[i][:, :1])], dim=1)
            units += [(f"layers.{i}[{j}]", grads_h[i][:, j], slope[:, j], feats) for j in range(pre[i].shape[1])]
    if z_exp is not None and m.special_is_exponential:
        ones = torch.ones_like(X[:, :1])
        # f = a·e^z: ∂f/∂a = e^z and ∂f/∂(w, b) = a·e^z·(x, 1); both carry the factor e^z
        units.append(("exp", g_out, torch.exp(z_exp), torch.cat([torch.cat([X, ones], 1) * p["exp.a"], ones], 1)))
    return units


def saturated_units(setting: Setting, params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor,
                    cfg: RefereeConfig) -> list[dict[str, Any]]:
    """Units whose σ' is below ``saturation_threshold`` on every sample the loss still depends on.

    The gradient of such a unit's incoming weights is Σ_i g_i σ'(z_i)(u_i, 1), with g_i = ∂L/∂h_i
    and u_i the unit's input: every term carries σ'(z_i) ~ e^{-35}, below float64 noise relative
    to the loss. Divided by max σ'(z_i) over the samples with g_i ≠ 0, it shows whether the exact
    gradient vanishes; a non-zero rescaled gradient means the point is not stationary.
    Samples with g_i = 0 (e.g. past the hinge) cannot move the loss and are ignored.
    """
    if not setting.builtin:
        return []
    p = {k: v.detach() for k, v in params.items()}
    found = []
    for name, g_i, slope, feats in _unit_signals(setting, p, X, y):
        live = g_i != 0
        if not bool(live.any()):
            continue
        top = float(slope[live].max())
        if top >= cfg.saturation_threshold:
            continue
        scaled = ((g_i * slope / max(top, 1e-300)).unsqueeze(-1) * feats).sum(0) / X.shape[0]
        found.append({"unit": name, "max_slope": top, "rescaled_grad_norm": float(scaled.norm()),
                      "samples_with_signal": int(live.sum())})
    return found
