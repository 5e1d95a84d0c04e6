"""Realizability: some parameters fit the data (zero training error, zero loss for hinge-type losses).

Proved when a witness is found (closed form from the LP separator, or a search) and re-evaluated, or
when conflicting duplicates make it impossible. A search that found no witness is *not* a proof of
failure (``proved: false``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from arena.landscape.edits import regularizer_specs
from arena.assumptions.data import _check_distinct
from arena.assumptions.separability import _rounding_tol, max_margin_separator
from arena.assumptions.base import AssumptionResult, _tensors, as_data
from arena.landscape.setting import Params, Setting

# -- data: realizability ---------------------------------------------------------------------------
def strip_exp_neuron(setting: Setting) -> Setting:
    """The base network of an exponential-neuron setting: no exp neuron, no exp_neuron_l2 term."""
    if not (setting.builtin and setting.mlp.exp_neuron):
        return setting
    regs = [r for r in regularizer_specs(setting.regularizer)
            if (r if isinstance(r, str) else r.get("name")) != "exp_neuron_l2"]
    return setting.replace(exp_neuron=False, regularizer=regs or None)


def output_linear_names(setting: Setting) -> list[str]:
    """Parameters in which the built-in f is linear (scaling them all by s scales f by s)."""
    m = setting.mlp
    last = len(m.hidden)
    names = [f"layers.{last}.weight"] + ([f"layers.{last}.bias"] if m.bias else [])
    return names + (["skip.weight"] if m.skip else []) + (["exp.a"] if m.exp_neuron else [])


def scale_to_margin(setting: Setting, params: Params, X: torch.Tensor, y: torch.Tensor,
                    target: float = 2.0) -> Params | None:
    """Rescale the output-linear parameters of an error-free point so min margin = ``target``.

    Returns None if the setting is custom or some margin is <= 0. Params unbatched.
    """
    if not setting.builtin:
        return None
    margin = float(setting.margins(params, X, y).min())
    if not margin > 0:
        return None
    out = {k: v.clone() for k, v in params.items()}
    for name in output_linear_names(setting):
        out[name] = out[name] * (target / margin)
    return out


def affine_witness(setting: Setting, X: Any, y: Any, *, target: float = 2.0) -> Params | None:
    """A zero-training-error point of a built-in setting on linearly separable data, or None.

    The LP separator s(x) = u·x + c is fed through one chain of units kept in [1, 2], where every
    registered neuron is increasing, so the output is an increasing function g of s; subtracting
    g at a point with s = 0 and scaling gives margins >= ``target``. Other units get zero weights.
    """
    if not setting.builtin:
        return None
    m = setting.mlp
    Xt, yt = _tensors(X, y)
    needs_origin = not m.bias
    sep = max_margin_separator(Xt, yt, bias=not needs_origin)
    if not sep.margin > _rounding_tol(Xt.numpy()):
        return None
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    u = torch.as_tensor(sep.u)
    last = len(m.hidden)
    if not m.hidden or m.skip:
        if m.skip:
            params["skip.weight"][0] = u
        else:
            params["layers.0.weight"][0] = u
        if m.bias:
            params[f"layers.{last}.bias"][0] = sep.c
        return scale_to_margin(setting, params, Xt, yt, target)
    if needs_origin:
        return None
    if float(u.abs().max()) == 0:  # one label only: a constant does it
        params[f"layers.{last}.bias"][0] = sep.c
        return scale_to_margin(setting, params, Xt, yt, target)
    s = Xt @ u + sep.c
    lo, hi = min(float(s.min()), 0.0), max(float(s.max()), 0.0)
    params["layers.0.weight"][0] = u / (hi - lo)
    params["layers.0.bias"][0] = 1.0 + (sep.c - lo) / (hi - lo)
    two = setting.neuron(torch.tensor([1.0, 2.0], dtype=torch.float64))
    if not float(two[1] - two[0]) > 0:
        return None
    alpha = 1.0 / float(two[1] - two[0])
    for i in range(1, last):
        params[f"layers.{i}.weight"][0, 0] = alpha
        params[f"layers.{i}.bias"][0] = 1.0 - alpha * float(two[0])
    params[f"layers.{last}.weight"][0, 0] = 1.0
    x_star = (-sep.c / float(u @ u)) * u  # s(x_star) = 0
    g_star = float(setting.output(params, x_star[None, :])[0])
    params[f"layers.{last}.bias"][0] = -g_star
    return scale_to_margin(setting, params, Xt, yt, target)


def search_witness(setting: Setting, X: Any, y: Any, *, restarts: int = 8, steps: int = 1500, lr: float = 0.05,
                   seed: int = 0, device: str | torch.device = "cpu") -> tuple[Params, float, float]:
    """Adam on the data loss from ``restarts`` random inits at once (one batched population).

    Returns the best point (fewest errors, then lowest loss) unbatched on CPU, its training error
    and data loss. Stops early once some restart has zero error and the loss at its minimum.
    """
    Xt, yt = _tensors(X, y, device)
    gen = torch.Generator().manual_seed(int(seed))
    leaves = {k: v.requires_grad_(True) for k, v in
              setting.init_params(restarts, generator=gen, dtype=torch.float64, device=device).items()}
    opt = torch.optim.Adam(list(leaves.values()), lr=lr)
    # hinge-type losses reach their minimum at finite margins; other losses only need zero error
    floor = setting.loss_fn.minimum if setting.loss_fn.hinge_type else math.inf
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = setting.data_loss(leaves, Xt, yt)
        loss.sum().backward()
        if step % 50 == 0:
            with torch.no_grad():
                done = (setting.train_error(leaves, Xt, yt) == 0) & (loss <= floor)
            if bool(done.any()):
                break
        opt.step()
    with torch.no_grad():
        err = setting.train_error(leaves, Xt, yt)
        loss = setting.data_loss(leaves, Xt, yt)
        best = int(np.lexsort((loss.cpu().numpy(), err.cpu().numpy()))[0])
        params = {k: v[best].detach().cpu().clone() for k, v in leaves.items()}
    return params, float(err[best]), float(loss[best])


def _check_realizable(setting: Setting, X: Any, y: Any, *, base_network: bool = False, restarts: int = 8,
                      steps: int = 1500, lr: float = 0.05, seed: int = 0, device: str = "cpu") -> AssumptionResult:
    Xn, yn = as_data(X, y)
    net = strip_exp_neuron(setting) if base_network else setting
    loss = net.loss_fn
    zero_loss = loss.hinge_type  # such losses reach their minimum at finite margins
    evidence: dict[str, Any] = {"network": net.describe(),
                                "criterion": "zero training error" + (" and zero data loss" if zero_loss else "")}
    distinct = _check_distinct(net, Xn, yn).evidence
    if distinct["conflicting_groups"]:
        g = distinct["conflicting_groups"][0]
        evidence.update(method="conflicting_duplicates", proof=True,
                        reason=f"samples {g} share one input but carry both labels: no function fits them")
        return AssumptionResult(False, evidence, proved=bool(evidence.get("proof")))
    Xt, yt = torch.as_tensor(Xn), torch.as_tensor(yn)

    def accept(params: Params | None, method: str) -> AssumptionResult | None:
        if params is None:
            return None
        err = float(net.train_error(params, Xt, yt))
        val = float(net.data_loss(params, Xt, yt))
        if err == 0 and (not zero_loss or val <= loss.minimum):
            evidence.update(method=method, proof=True, train_error=err, data_loss=val,
                            min_margin=float(net.margins(params, Xt, yt).min()))
            return AssumptionResult(True, evidence, witness=params, proved=True)
        return None

    found = accept(affine_witness(net, Xn, yn), "closed_form_separator")
    if found is not None:
        return found
    params, err, val = search_witness(net, Xn, yn, restarts=restarts, steps=steps, lr=lr, seed=seed, device=device)
    found = accept(params, "search") or accept(
        scale_to_margin(net, params, Xt, yt) if err == 0 else None, "search_rescaled")
    if found is not None:
        return found
    evidence.update(method="search", proof=False, train_error=err, data_loss=val, restarts=restarts, steps=steps,
                    reason=f"no witness found: best of {restarts} restarts x {steps} Adam steps has "
                           f"training error {err:.4g}, data loss {val:.4g} (not a proof)")
    return AssumptionResult(False, evidence, proved=bool(evidence.get("proof")))


def _check_objective_min_zero(setting: Setting, X: Any, y: Any, *, restarts: int = 8, steps: int = 1500,
                              seed: int = 0) -> AssumptionResult:
    """min_θ [data loss + regularizers inside D3's product] = 0, shown by a witness."""
    loss = setting.loss_fn
    inner = [r for r in setting.regularizers if r.name != "multiplicative_exp_l2"]
    evidence: dict[str, Any] = {"loss": loss.spec(), "loss_minimum": loss.minimum,
                                "inner_regularizers": [r.spec() for r in inner]}
    if not (loss.attains_minimum and loss.minimum == 0):
        evidence.update(proof=True, reason=f"loss {loss.name} never reaches 0 at a finite margin")
        return AssumptionResult(False, evidence, proved=bool(evidence.get("proof")))
    real = _check_realizable(setting, X, y, restarts=restarts, steps=steps, seed=seed)
    evidence["realizable"] = real.evidence
    if not real.holds or real.witness is None:
        evidence.update(proof=bool(real.evidence.get("proof")),
                        reason="no parameters with zero training loss: " + str(real.evidence.get("reason")))
        return AssumptionResult(False, evidence, proved=bool(evidence.get("proof")))
    Xt, yt = _tensors(X, y)
    data = float(setting.data_loss(real.witness, Xt, yt))
    penalty = float(sum(r(real.witness, setting.param_shapes) for r in inner)) if inner else 0.0
    evidence.update(data_loss=data, inner_penalty=penalty)
    if data == 0 and penalty == 0:
        evidence["proof"] = True
        return AssumptionResult(True, evidence, witness=real.witness, proved=True)
    # a coercive inner penalty vanishes only at θ = 0, where f = 0 and ℓ(0) > 0: a proof of failure
    evidence.update(proof=any(r.coercive for r in inner),
                    reason=f"the witness has data loss {data:.3g} and inner penalty {penalty:.3g} > 0"
                           + ("; a coercive penalty is 0 only at θ = 0, where the data loss is ℓ(0) > 0"
                              if any(r.coercive for r in inner) else ""))
    return AssumptionResult(False, evidence, proved=bool(evidence.get("proof")))

