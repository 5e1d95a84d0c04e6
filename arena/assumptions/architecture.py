"""Class checks on the architecture and the regularizers of a setting (structure, shortcut, widths,
special neurons, penalties): exact facts of the built-in family, so proved; a custom network's
structure is opaque, so those checks answer ``holds=None``, unproved.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from arena.assumptions.classes import make_neuron_spec
from arena.assumptions.base import AssumptionResult, undecided, as_data
from arena.landscape.setting import Setting

# -- architecture ----------------------------------------------------------------------------------
def _check_structure(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    if not setting.builtin:
        return undecided(f"custom network {setting.network.get('_target_')!r}: structure unknown")
    m = setting.mlp
    evidence: dict[str, Any] = {"hidden": list(m.hidden), "bias": m.bias, "skip": m.skip}
    if not m.bias:
        evidence["note"] = "no biases: the matching data assumption is separability through the origin"
    if len(m.hidden) == 1:
        evidence["structure"] = "single_hidden_layer"
        return AssumptionResult(True, evidence, proved=True)
    if m.skip:
        # f = (anything) + s·x (+ b_out): stationarity in (s, b_out) is the P1 argument with σ = id
        evidence["structure"] = "linear_shortcut"
        return AssumptionResult(True, evidence, proved=True)
    evidence["reason"] = f"needs one hidden layer or a linear skip; got hidden={list(m.hidden)}, skip=false"
    return AssumptionResult(False, evidence, proved=True)


def _check_has_exp_neuron(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    if not setting.builtin:
        return undecided("custom network: no built-in exponential neuron that the arena can see")
    holds = setting.mlp.exp_neuron
    evidence: dict[str, Any] = {"exp_neuron": holds, "form": "f(x) + exp.a * exp(exp.w · x + exp.b), x raw input"}
    if not holds:
        evidence["reason"] = "network has no exponential skip neuron (exp_neuron: false)"
    return AssumptionResult(holds, evidence, proved=True)


def _check_exp_regularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    lam = sum(r.params["weight"] for r in setting.regularizers if r.name == "exp_neuron_l2")
    # other regularizers penalise exp.w/exp.b too, which breaks step 1 of P2 (∂L/∂b = a·S)
    others = [r.spec() for r in setting.regularizers if r.name != "exp_neuron_l2"]
    evidence: dict[str, Any] = {"lambda": lam, "other_regularizers": others}
    reasons = []
    if not lam > 0:
        reasons.append("no exp_neuron_l2 regularizer with weight λ > 0 on exp.a")
    if others:
        reasons.append(f"regularizers {[o['name'] for o in others]} also penalise exp.w and exp.b")
    if not (setting.builtin and setting.mlp.exp_neuron):
        reasons.append("network has no exponential neuron")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence, proved=True)


# -- checks of the catalogue defenders (D1 shortcut, D3, D4, D5, D7, A14) ---------------------------
def _builtin_or_reason(setting: Setting) -> str:
    return "" if setting.builtin else (f"custom network {setting.network.get('_target_')!r}: "
                                       "its structure is opaque to the arena")


def _check_has_shortcut(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    why = _builtin_or_reason(setting)
    if why:
        return undecided(why)
    m = setting.mlp
    # f = g(x) + s·x + b_out: the linear skip is P1's block with σ = id (σ' = 1 > 0); the output bias
    # plays a_0, so without biases the matching data assumption is separability through the origin
    evidence: dict[str, Any] = {"skip": m.skip, "bias": m.bias, "hidden": list(m.hidden),
                                "block": "skip.weight · x" + (" + output bias" if m.bias else "")}
    if not m.skip:
        evidence["reason"] = "network has no linear shortcut (skip: false)"
    return AssumptionResult(m.skip, evidence, proved=True)


def _check_last_width(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, _ = as_data(X, y)
    n = Xn.shape[0]
    why = _builtin_or_reason(setting)
    if why:
        return undecided(why, n=n)
    hidden = list(setting.mlp.hidden)
    width = hidden[-1] if hidden else 0
    evidence: dict[str, Any] = {"n": n, "hidden": hidden, "last_hidden_width": width}
    if not hidden:
        evidence["reason"] = "network has no hidden layer"
    elif width < n:
        evidence["reason"] = f"last hidden layer has {width} units < n = {n} samples"
    return AssumptionResult(bool(hidden) and width >= n, evidence, proved=True)


def _unit_penalties(setting: Setting, limit: int = 2048) -> tuple[torch.Tensor, list[int]]:
    """R(e_k) for unit vectors e_k on (at most ``limit``, evenly spread) coordinates: ([K], indices)."""
    p = setting.num_params
    idx = np.unique(np.linspace(0, p - 1, min(p, limit)).round().astype(int)).tolist()
    flat = torch.zeros(len(idx), p, dtype=torch.float64)
    flat[torch.arange(len(idx)), torch.as_tensor(idx)] = 1.0
    return setting.penalty(setting.unflatten(flat)).detach(), idx


def _param_name_of(setting: Setting, k: int) -> str:
    i = 0
    for name, shape in setting.param_shapes.items():
        i += math.prod(shape)
        if k < i:
            return name
    return "?"


def _check_regularizer_coercive(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    regs = [{"spec": r.spec(), "coercive": r.coercive} for r in setting.regularizers]
    evidence: dict[str, Any] = {"regularizers": regs, "num_params": setting.num_params}
    if not regs:
        evidence["reason"] = "no regularizer"
        return AssumptionResult(False, evidence, proved=True)
    # every registered regularizer is a diagonal quadratic Σ_k c_k θ_k², coercive iff every c_k > 0,
    # and c_k = R(e_k): one batched evaluation on the unit vectors decides it
    pen, idx = _unit_penalties(setting)
    zero = [idx[j] for j in torch.nonzero(pen <= 0).flatten().tolist()]
    evidence.update(coordinates_checked=len(idx), min_unit_penalty=float(pen.min()),
                    unpenalised=sorted({_param_name_of(setting, k) for k in zero}))
    if zero:
        evidence["reason"] = (f"{len(zero)} of {len(idx)} checked coordinates carry no penalty, in "
                              f"{evidence['unpenalised'][:8]}: sublevel sets are unbounded along them")
    # a zero coordinate proves failure; success is proved only when every coordinate was checked
    return AssumptionResult(not zero, evidence, proved=bool(zero) or len(idx) == setting.num_params)


def _check_special_exponential(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    why = _builtin_or_reason(setting)
    if why:
        return undecided(why)
    m = setting.mlp
    special = make_neuron_spec(m.special_neuron)
    evidence: dict[str, Any] = {"exp_neuron": m.exp_neuron, "special_neuron": special}
    reasons = []
    if not m.exp_neuron:
        reasons.append("network has no special skip neuron (exp_neuron: false)")
    if not m.special_is_exponential:
        # P2 step 2 needs exponentials with distinct exponents to be linearly independent
        reasons.append(f"special neuron is {special['name']}, not exponential")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence, proved=True)


def _check_mult_regularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    lam = sum(r.params["weight"] for r in setting.regularizers if r.name == "multiplicative_exp_l2")
    present = setting.builtin and setting.mlp.multiplicative_exp
    evidence: dict[str, Any] = {"multiplicative_exp": bool(present), "lambda": lam,
                                "form": "L·(1 + (a·e^b − 1)²) + λa²"}
    reasons = []
    if not present:
        reasons.append("network has no multiplicative pair mult.a, mult.b (multiplicative_exp: false)")
    if not lam > 0:
        reasons.append("no multiplicative_exp_l2 regularizer with weight λ > 0 on mult.a")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence, proved=True)


def _check_unregularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    regs = [r.spec() for r in setting.regularizers]
    mult = setting.builtin and setting.mlp.multiplicative_exp
    evidence: dict[str, Any] = {"regularizers": regs, "multiplicative_exp": bool(mult)}
    reasons = ([f"regularizers {[r['name'] for r in regs]} change the objective"] if regs else []) + \
              (["the multiplicative pair changes the objective"] if mult else [])
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence, proved=True)

