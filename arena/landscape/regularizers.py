"""Regularizers R(θ), added to the mean margin loss.

* ``l2`` (``weight``, optional ``include_bias``): (weight/2)·Σ θ² over every parameter;
* ``exp_neuron_l2`` (``weight`` = λ): (λ/2)·a² on the exponential neuron's output weight ``exp.a``
  (Liang et al., NeurIPS 2018, arXiv 1805.08671);
* ``multiplicative_exp_l2`` (``weight`` = λ): λ·a² on ``mult.a``, added outside the product
  L·(1 + (a·e^b − 1)²) of Sohl-Dickstein & Kawaguchi 2019 (arXiv 1901.03909);
* ``generic_l2`` (``low``, ``high``, ``seed``): Σ_k λ_k θ_k² with one coefficient per scalar
  parameter drawn log-uniformly in [low, high] from ``seed`` (the generic regularizer of Liang, Sun,
  Srikant 2019, arXiv 1912.13472); coercive, so sublevel sets are bounded.

Parameters carry leading batch dims ``B``; each regularizer returns ``[*B]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch

from arena.landscape.neurons import Spec, split_spec

Params = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class Regularizer:
    name: str
    params: dict[str, float]
    fn: Callable[[Params, Mapping[str, tuple[int, ...]]], torch.Tensor]
    coercive: bool  # every parameter carries a strictly positive quadratic penalty

    def __call__(self, params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
        return self.fn(params, shapes)

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


def _sum_trailing(t: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    return t.sum(dim=tuple(range(t.dim() - len(shape), t.dim()))) if shape else t


def _batch_zero(params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
    name, t = next(iter(params.items()))
    return torch.zeros(t.shape[: t.dim() - len(shapes[name])], dtype=t.dtype, device=t.device)


def generic_coefficients(shapes: Mapping[str, tuple[int, ...]], low: float, high: float, seed: int) -> dict[str, torch.Tensor]:
    """One λ_k per scalar parameter, log-uniform in [low, high], fixed by ``seed`` (float64, CPU)."""
    gen = torch.Generator().manual_seed(int(seed))
    out = {}
    for name in sorted(shapes):
        u = torch.rand(shapes[name], generator=gen, dtype=torch.float64)
        out[name] = torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    return out


def make_regularizer(spec: Spec) -> Regularizer:
    name, p = split_spec(spec, "regularizer")
    if name == "l2":
        weight = float(p.setdefault("weight", 1e-3))
        include_bias = bool(p.setdefault("include_bias", True))
        if weight < 0:
            raise ValueError(f"regularizer l2: weight must be >= 0, got {weight}")

        def l2(params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
            total = _batch_zero(params, shapes)
            for k, t in params.items():
                if include_bias or not k.endswith(".bias"):
                    total = total + _sum_trailing(t * t, shapes[k])
            return 0.5 * weight * total

        return Regularizer(name, p, l2, weight > 0 and include_bias)
    if name == "exp_neuron_l2":
        weight = float(p.setdefault("weight", 0.1))
        if weight < 0:
            raise ValueError(f"regularizer exp_neuron_l2: weight must be >= 0, got {weight}")

        def exp_l2(params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
            if "exp.a" not in params:
                raise ValueError("regularizer exp_neuron_l2 needs a network with exp_neuron: true")
            return 0.5 * weight * params["exp.a"] ** 2

        return Regularizer(name, p, exp_l2, False)
    if name == "multiplicative_exp_l2":
        weight = float(p.setdefault("weight", 0.1))
        if weight < 0:
            raise ValueError(f"regularizer multiplicative_exp_l2: weight must be >= 0, got {weight}")

        def mult_l2(params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
            if "mult.a" not in params:
                raise ValueError("regularizer multiplicative_exp_l2 needs a network with multiplicative_exp: true")
            return weight * params["mult.a"] ** 2

        return Regularizer(name, p, mult_l2, False)
    if name == "generic_l2":
        low, high = float(p.setdefault("low", 1e-4)), float(p.setdefault("high", 1e-2))
        seed = int(p.setdefault("seed", 0))
        if not 0 < low <= high:
            raise ValueError(f"regularizer generic_l2: need 0 < low <= high, got low={low}, high={high}")
        cache: dict[tuple, dict[str, torch.Tensor]] = {}

        def generic(params: Params, shapes: Mapping[str, tuple[int, ...]]) -> torch.Tensor:
            key = tuple(sorted(shapes.items()))
            if key not in cache:
                cache[key] = generic_coefficients(shapes, low, high, seed)
            total = _batch_zero(params, shapes)
            for k, t in params.items():
                lam = cache[key][k].to(dtype=t.dtype, device=t.device)
                total = total + _sum_trailing(lam * t * t, shapes[k])
            return total

        return Regularizer(name, p, generic, True)
    raise KeyError(f"unknown regularizer {name!r}; known: l2, exp_neuron_l2, multiplicative_exp_l2, generic_l2")


def make_regularizers(spec: Spec | Sequence[Spec] | None) -> tuple[Regularizer, ...]:
    """``None`` -> (); one spec -> (R,); a list of specs -> their sum."""
    if spec is None:
        return ()
    if isinstance(spec, (str, Mapping)):
        return (make_regularizer(spec),)
    return tuple(make_regularizer(s) for s in spec)
