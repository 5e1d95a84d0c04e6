"""Dead-unit points: every first-layer unit switched off on a blind spot H (or on every sample),
deeper layers kept active, the output the best constant c* on H (docs/catalogue.md §5, A1 and A1b).

The construction of the type in Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (their ReLU
counterexample): :func:`dead_relu_point` places the units, :func:`all_dead_claim` builds the
all-dead claim with a witness, :func:`why_not_all_dead` says when a setting cannot hold one.
X is ``[n, d]`` float64, y ``[n]`` in {-1, +1}.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from arena.assumptions import affine_witness, linear_separability
from arena.claims import Claim
from arena.landscape.constant_fit import closed_form, constant_fit, constant_fit_slope, constant_fit_value, one_sided_slopes
from arena.landscape.neurons import make_neuron
from arena.landscape.edits import unplaced_parts
from arena.landscape.setting import Params, Setting
from arena.search.output_fit import fit_output_layer, witness_margin

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")



def dead_relu_point(setting: Setting, X: np.ndarray, y: np.ndarray, in_H: np.ndarray, rng: np.random.Generator,
                    *, direction: np.ndarray | None = None, dead_margin: float = 0.5, live_margin: float = 2.0
                    ) -> tuple[Params, dict[str, Any]]:
    """Parameters of the blind-spot point (all-dead when ``in_H`` is all True), and its bookkeeping.

    X [n, d], y [n] in {-1, +1}, in_H [n] bool: the blind spot, holding both labels; the rest (A)
    must be one label and strictly above H along ``direction`` [d] (required when A is non-empty).
    Every first-layer pre-activation has |z| >= ``dead_margin``; deeper pre-activations are >= 1.
    """
    why = why_not_dead(setting)
    if why:
        raise ValueError(why)
    m = setting.mlp
    n, d = X.shape
    in_A = ~in_H
    yH = y[in_H]
    n_pos, n_neg = int((yH > 0).sum()), int((yH < 0).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"the blind spot must hold both labels, got {n_pos} positive, {n_neg} negative")
    live = np.unique(y[in_A])
    if len(live) > 1:
        raise ValueError("samples outside the blind spot must share one label")
    h0 = m.hidden[0]
    W0, b0 = np.zeros((h0, d)), np.zeros(h0)
    for j in range(h0):
        if in_A.any():
            if direction is None:
                raise ValueError("a direction separating the blind spot from the other samples is required")
            base = direction / np.linalg.norm(direction)
            w = base if j == 0 else base + 0.3 * rng.normal(size=d) / math.sqrt(d)
            p = X @ w
            if not p[in_A].min() > p[in_H].max():  # the perturbed direction mixes H and A: keep the base
                w, p = base, X @ base
            lo, hi = p[in_H].max(), p[in_A].min()
            if not hi > lo:
                raise ValueError("direction does not put the blind spot strictly below the other samples")
            kappa = dead_margin / ((hi - lo) / 2) * rng.uniform(1.0, 2.0)
            W0[j], b0[j] = kappa * w, -kappa * (lo + hi) / 2
        else:
            w = rng.normal(size=d)
            w /= np.linalg.norm(w)
            W0[j], b0[j] = w, -(X @ w).max() - dead_margin * rng.uniform(1.0, 2.0)
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    if m.exp_neuron and make_neuron(m.special_neuron).dead_region:
        # a special unit with a dead region is switched off strictly inside it (docs/catalogue.md A14):
        # w = 0, b = -dead_margin, so no small move wakes it
        params["exp.b"] = torch.tensor(-dead_margin, dtype=torch.float64)
    params["layers.0.weight"], params["layers.0.bias"] = torch.as_tensor(W0), torch.as_tensor(b0)
    widths = (d, *m.hidden)
    for i in range(1, len(m.hidden)):
        # positive weights and bias 1 on non-negative inputs: active on every sample, pattern fixed
        params[f"layers.{i}.weight"] = torch.as_tensor(rng.uniform(0.5, 1.5, size=(widths[i + 1], widths[i])))
        params[f"layers.{i}.bias"] = torch.ones(widths[i + 1], dtype=torch.float64)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    pre = setting.preactivations(params, Xt)
    h = setting.neuron(pre[f"layers.{len(m.hidden) - 1}"])  # [n, h_last]
    if bool((h < 0).any()):
        raise ValueError(f"neuron {setting.neuron.name} takes negative values: deeper layers cannot be kept active")
    hH = h[torch.as_tensor(in_H)]
    # exactly constant for dead units; within float64 noise for saturated ones (smooth neurons)
    if bool(((hH - hH[0]).abs() > 1e-12).any()):
        raise RuntimeError("hidden representation is not constant on the blind spot")
    loss = setting.loss_fn
    c_star = constant_fit(loss, n_pos, n_neg)
    v = torch.as_tensor(rng.uniform(0.5, 1.5, size=h.shape[1]))
    last = len(m.hidden)
    if in_A.any():
        y_live = float(live[0])
        delta = (h[torch.as_tensor(in_A)] - hH[0]) @ v  # > 0: live units only add on A
        if not bool((delta > 0).all()):
            raise RuntimeError("some sample outside the blind spot has no active unit")
        scale = max(float(((live_margin - y_live * c_star) / delta).max()), 1.0)
        wL = y_live * scale * v
    else:
        wL = v
    params[f"layers.{last}.weight"] = wL[None, :].clone()
    params[f"layers.{last}.bias"] = torch.tensor([c_star - float(wL @ hH[0])], dtype=torch.float64)
    info = _bookkeeping(setting, params, Xt, yt, in_H, c_star, n_pos, n_neg)
    return params, info



def _bookkeeping(setting: Setting, params: Params, X: torch.Tensor, y: torch.Tensor, in_H: np.ndarray,
                 c_star: float, n_pos: int, n_neg: int) -> dict[str, Any]:
    n = len(y)
    mask = torch.as_tensor(in_H)
    z0 = setting.preactivations(params, X)["layers.0"]
    margins = setting.margins(params, X, y)
    loss = setting.loss_fn
    predicted = constant_fit_value(loss, c_star, n_pos, n_neg) / n
    return {
        "n": n, "n_blind": int(in_H.sum()), "n_pos_blind": n_pos, "n_neg_blind": n_neg, "c_star": c_star,
        "slope_at_c_star": constant_fit_slope(loss, c_star, n_pos, n_neg),
        "one_sided_slopes": one_sided_slopes(loss, c_star, n_pos, n_neg),
        "predicted_loss": predicted, "loss": float(setting.empirical_loss(params, X, y)),
        "train_error": float(setting.train_error(params, X, y)),
        "max_first_layer_preactivation_blind": float(z0[mask].max()),
        "min_abs_first_layer_preactivation": float(z0.abs().min()),
        "min_margin_outside_blind": float(margins[~mask].min()) if (~mask).any() else None,
    }



def why_not_dead(setting: Setting) -> str:
    if not setting.builtin:
        return (f"custom network {setting.network.get('_target_')!r}: the attack places the units of the "
                "built-in MLP")
    m = setting.mlp
    if not m.hidden:
        return "network has no hidden layer: no unit can be dead"
    if not setting.neuron.dead_region and not setting.neuron.saturates:
        return (f"neuron {setting.neuron.name} has no dead region and does not saturate: no unit can be "
                "switched off")
    if not m.bias:
        return "network has no biases: units cannot be made dead on a half-space, nor the output constant tuned"
    if not setting.neuron.dead_region and float(setting.neuron(torch.tensor(-40.0, dtype=torch.float64))) < 0:
        return (f"neuron {setting.neuron.name} is negative where it saturates: the switched-off units' outputs "
                "cannot be kept non-negative, which the construction needs")
    if m.skip:
        return "network has a linear skip connection, which is never dead and sees the blind spot"
    others = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if others:
        return f"regularizer {others} pulls on the dead units' parameters, so the point is not stationary"
    return ""



def why_not_all_dead(setting: Setting) -> str:
    """'' when every first-layer unit can be made dead and the output a free constant, else why not."""
    if not setting.builtin:
        return (f"custom network {setting.network.get('_target_')!r}: the attack places the units of the "
                "built-in MLP")
    m = setting.mlp
    if not m.hidden:
        return "network has no hidden layer: no unit can be dead"
    if not setting.neuron.dead_region:
        return (f"neuron {setting.neuron.name} has no dead region: no unit is exactly constant, so the point "
                "would only look stationary (saturation, docs/catalogue.md §6.4)")
    if not m.bias:
        return "network has no biases: units cannot be made dead on every sample, nor the output constant tuned"
    if m.skip:
        return "network has a linear skip connection, which is never dead: the output is not constant"
    if why := unplaced_parts(setting):
        return why
    # (λ/2)a² of a switched-off exponential neuron (a = w = b = 0, the attack's best try against
    # Liang et al. 2018's defense) leaves the point stationary; other penalties do not
    others = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if others:
        return f"regularizer {others} pulls on the dead units' parameters, so the point is not stationary"
    if setting.loss_fn.smoothness < 1:
        return (f"loss {setting.loss_fn.name} is not C¹: its best constant sits on the loss's kink, where "
                "a gradient-based referee cannot certify the minimum")
    return ""



def all_dead_claim(setting: Setting, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, *,
                   attacker: str, seed: int, config: dict[str, Any], dead_margin: float = 0.5,
                   tag: str = "A1b all-dead") -> Claim:
    """The all-dead point on X [n, d], y [n] (both labels), with a witness when one is lower."""
    everything = np.ones(len(y), dtype=bool)
    params, info = dead_relu_point(setting, X, y, everything, rng, dead_margin=dead_margin)
    n_pos, n_neg = info["n_pos_blind"], info["n_neg_blind"]
    exact = closed_form(setting.loss_fn, n_pos, n_neg)
    if exact is not None:
        info["closed_form_c_star"], info["closed_form_loss"] = exact
    info["max_first_layer_preactivation"] = info.pop("max_first_layer_preactivation_blind")
    for key in ("n_blind", "n_pos_blind", "n_neg_blind", "min_margin_outside_blind"):
        info.pop(key)
    info.update(n_pos=n_pos, n_neg=n_neg)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    info["linearly_separable"] = linear_separability(X, y).holds
    witness = separable_witness(setting, Xt, yt)
    if witness is not None:
        info["witness_loss"] = float(setting.empirical_loss(witness, Xt, yt))
        info["witness_train_error"] = float(setting.train_error(witness, Xt, yt))
        if not info["witness_loss"] < info["loss"]:
            witness = None
    notes = (f"{tag} (docs/catalogue.md §5): every first-layer unit dead on all {info['n']} samples ({n_pos}+, {n_neg}-), "
             f"output constant c* = {info['c_star']:.6g}, loss {info['loss']:.6g}, training error "
             f"{info['train_error']:.4g}; data {'' if info['linearly_separable'] else 'not '}linearly separable")
    return Claim(setting=setting.to_config(), X=Xt, y=yt, theta=params, witness=witness, attacker=attacker,
                 seed=int(seed), notes=notes, extra={"construction": info, "attacker_config": config, "paper": PAPER})



def separable_witness(setting: Setting, X: torch.Tensor, y: torch.Tensor) -> Params | None:
    """A zero-training-error point of the same network (None unless the data are separable)."""
    loss = setting.loss_fn
    witness = affine_witness(setting, X, y, target=witness_margin(loss))
    if witness is not None and loss.name == "squared":
        witness = fit_output_layer(setting, witness, X, y)  # least squares on the live features
    return witness

