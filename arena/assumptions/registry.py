"""Assumptions by name: :func:`make_assumption`, :data:`ASSUMPTION_NAMES`, :func:`catalogue`, :func:`check_all`."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Mapping, Sequence

from arena.assumptions.architecture import (_check_exp_regularized, _check_has_exp_neuron, _check_has_shortcut,
                                            _check_last_width, _check_mult_regularized, _check_regularizer_coercive,
                                            _check_special_exponential, _check_structure, _check_unregularized)
from arena.assumptions.classes import (_check_loss, _check_loss_convex, _check_loss_smooth, _check_neuron,
                                       _check_neuron_continuous, _check_neuron_linear, _check_neuron_smooth)
from arena.assumptions.data import _check_distinct, _check_distinct_coordinate
from arena.assumptions.realizability import _check_objective_min_zero, _check_realizable
from arena.assumptions.separability import _check_separable
from arena.assumptions.base import Assumption, AssumptionResult
from arena.landscape.setting import Setting

# -- registry --------------------------------------------------------------------------------------
_REGISTRY: dict[str, tuple[Callable[..., AssumptionResult], str]] = {
    "data_linearly_separable": (functools.partial(_check_separable, bias=True),
                                "some hyperplane with bias separates the labels strictly: y_i(u·x_i + c) > 0"),
    "data_linearly_separable_through_origin": (functools.partial(_check_separable, bias=False),
                                               "some hyperplane through the origin separates the labels strictly"),
    "neuron_increasing": (functools.partial(_check_neuron, prop="increasing"), "σ'(z) > 0 for all z"),
    "neuron_strictly_convex": (functools.partial(_check_neuron, prop="strictly_convex"), "σ is strictly convex"),
    "neuron_analytic": (functools.partial(_check_neuron, prop="analytic"), "σ is real-analytic"),
    "neuron_smooth": (_check_neuron_smooth, "σ is C^{k}"),
    "loss_hinge_type": (functools.partial(_check_loss, prop="hinge_type"),
                        "ℓ' < 0 below some margin m0 > 0 and ℓ' = 0 from m0 on (attains its minimum)"),
    "loss_non_increasing": (functools.partial(_check_loss, prop="monotone"), "ℓ is non-increasing in the margin"),
    "loss_attains_minimum": (functools.partial(_check_loss, prop="attains_minimum"),
                             "ℓ attains its infimum at a finite margin"),
    "loss_smooth": (_check_loss_smooth, "ℓ is C^{k}"),
    "single_hidden_layer_or_shortcut": (_check_structure,
                                        "one hidden layer, or any network plus a linear skip (a shortcut "
                                        "block)"),
    "inputs_distinct": (_check_distinct, "the inputs x_1..x_n are pairwise distinct"),
    "realizable": (_check_realizable, "some parameters of the network reach zero training error (and zero "
                                      "loss for hinge-type losses){base}"),
    "has_exp_neuron": (_check_has_exp_neuron,
                       "an exponential neuron a·exp(w·x + b) on the raw input is added to the output"),
    "exp_neuron_regularized": (_check_exp_regularized,
                               "(λ/2)a² with λ > 0 on the exponential neuron's output weight, and no other "
                               "penalty on its w, b"),
    "has_linear_shortcut": (_check_has_shortcut,
                            "a linear skip s·x is added to the output (P1's shortcut block with σ = id)"),
    "last_hidden_width_at_least_n": (_check_last_width, "the last hidden layer has at least n units"),
    "loss_convex": (_check_loss_convex, "ℓ is convex (hence continuous) in the margin"),
    "neuron_continuous": (_check_neuron_continuous, "σ is continuous"),
    "neuron_linear": (_check_neuron_linear, "every unit is linear: σ(z) = z and no nonlinear special unit"),
    "inputs_distinct_in_one_coordinate": (_check_distinct_coordinate,
                                          "some coordinate k has x_1k..x_nk pairwise distinct"),
    "regularizer_coercive": (_check_regularizer_coercive,
                             "every parameter carries a positive quadratic penalty (R is coercive)"),
    "special_neuron_exponential": (_check_special_exponential,
                                   "the special skip neuron is present and exponential"),
    "multiplicative_exp_regularized": (_check_mult_regularized,
                                       "the pair (a, b) of L·(1 + (a·e^b − 1)²) + λa² is present, λ > 0"),
    "objective_min_zero": (_check_objective_min_zero,
                           "ℓ ≥ 0 and min over θ of data loss + inner regularizers is 0 (a witness)"),
    "unregularized": (_check_unregularized, "the objective is the plain mean margin loss"),
}
ASSUMPTION_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def assumption_from_dict(d: Mapping[str, Any]) -> Assumption:
    """The assumption ``Assumption.to_dict()`` describes (rebuilt by name: data never names code)."""
    return make_assumption(d["name"], **dict(d.get("params") or {}))


def make_assumption(name: str, **params: Any) -> Assumption:
    """An assumption by name, its check's keyword arguments bound (e.g. ``loss_smooth``, ``k=1``)."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown assumption {name!r}; known: {', '.join(ASSUMPTION_NAMES)}")
    fn, template = _REGISTRY[name]
    try:
        check = functools.partial(fn, **params)
        description = template.format(k=params.get("k", 1),
                                      base=" (base network, without the exponential neuron)"
                                      if params.get("base_network") else "")
        inspect.signature(fn).bind(None, None, None, **params)
    except TypeError as exc:
        raise ValueError(f"assumption {name!r}: bad parameters {params}: {exc}") from exc
    return Assumption(name=name, description=description, check=check, params=dict(params))


def catalogue() -> list[tuple[str, dict[str, Any], str]]:
    """Every assumption as (name, its parameters -> defaults, what it states), in registry order."""
    out = []
    for name, (fn, template) in _REGISTRY.items():
        bound = getattr(fn, "keywords", {})
        params = {p.name: p.default for p in list(inspect.signature(fn).parameters.values())[3:]
                  if p.name not in bound and p.default is not inspect.Parameter.empty}
        out.append((name, params, template.format(k="k", base="")))
    return out


def check_all(assumptions: Sequence[Assumption], setting: Setting, X: Any, y: Any) -> dict[str, AssumptionResult]:
    """Run every check; keys are the assumptions' labels."""
    return {a.label: a(setting, X, y) for a in assumptions}
