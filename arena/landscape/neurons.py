"""Neurons (activation functions) by name, with the properties the theorems ask about.

A neuron spec is a name (``"relu"``) or a mapping with a ``name`` and its parameters
(``{"name": "softplus", "beta": 4}``). :func:`make_neuron` turns a spec into a :class:`Neuron`.
The properties are stated per family (not sampled), because assumption checks must not rely on a
finite grid to prove a global property; tests check them against autograd on a grid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F

Spec = str | Mapping[str, Any]


@dataclass(frozen=True)
class Neuron:
    """An activation σ: R → R applied elementwise.

    ``kinks`` are the points where σ is not differentiable (piecewise-linear neurons); the referee
    probes one-sided moves of units sitting on them. ``saturates`` means σ' → 0 on one side, so a unit
    pushed far there looks stationary without being at a minimum.
    """

    name: str
    params: dict[str, float]
    fn: Callable[[torch.Tensor], torch.Tensor]
    increasing: bool  # σ' > 0 everywhere
    strictly_convex: bool
    smoothness: int  # k such that σ ∈ C^k (99 for C^∞)
    analytic: bool
    kinks: tuple[float, ...] = ()
    saturates: bool = False
    dead_region: bool = False  # σ is constant on a half-line (σ' = 0 there)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)

    @property
    def piecewise_linear(self) -> bool:
        return bool(self.kinks) and self.smoothness == 0

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


def _softplus(beta: float) -> Callable[[torch.Tensor], torch.Tensor]:
    # switching to z only above βz = 40, where e^{-40} is below float64 resolution, keeps the value
    # exact and every derivative finite (logaddexp's double backward gives NaN at |z| ~ 1e3)
    return lambda z: F.softplus(z, beta=beta, threshold=40.0)


def _smooth_relu_huber(h: float) -> Callable[[torch.Tensor], torch.Tensor]:
    def fn(z: torch.Tensor) -> torch.Tensor:
        return torch.where(z <= 0, torch.zeros_like(z), torch.where(z < h, z * z / (2 * h), z - h / 2))

    return fn


def _build(name: str, p: dict[str, float]) -> Neuron:
    if name == "relu":
        return Neuron(name, p, torch.relu, False, False, 0, False, kinks=(0.0,), dead_region=True)
    if name == "leaky_relu":
        slope = float(p.setdefault("slope", 0.01))
        if slope < 0:
            raise ValueError(f"neuron leaky_relu: slope must be >= 0, got {slope}")
        fn = lambda z: torch.where(z >= 0, z, slope * z)  # noqa: E731
        return Neuron(name, p, fn, slope > 0, False, 0, False, kinks=(0.0,), dead_region=slope == 0)
    if name == "softplus":
        beta = float(p.setdefault("beta", 1.0))
        if not beta > 0:
            raise ValueError(f"neuron softplus: beta must be > 0, got {beta}")
        return Neuron(name, p, _softplus(beta), True, True, 99, True, saturates=True)
    if name == "softplus_linear":
        # softplus(z) + c·z: increasing, strictly convex, σ' >= c > 0, so it never saturates.
        beta = float(p.setdefault("beta", 1.0))
        c = float(p.setdefault("c", 0.1))
        if not (beta > 0 and c > 0):
            raise ValueError(f"neuron softplus_linear: beta and c must be > 0, got beta={beta}, c={c}")
        sp = _softplus(beta)
        return Neuron(name, p, lambda z: sp(z) + c * z, True, True, 99, True)
    if name == "sigmoid":
        return Neuron(name, p, torch.sigmoid, True, False, 99, True, saturates=True)
    if name == "tanh":
        return Neuron(name, p, torch.tanh, True, False, 99, True, saturates=True)
    if name == "linear":
        return Neuron(name, p, lambda z: z, True, False, 99, True)
    if name == "quadratic":
        return Neuron(name, p, lambda z: z * z, False, True, 99, True)
    if name in ("exponential", "exp"):
        return Neuron("exponential", p, torch.exp, True, True, 99, True, saturates=True)
    if name == "swish":
        return Neuron(name, p, lambda z: z * torch.sigmoid(z), False, False, 99, True, saturates=True)
    if name == "elu":
        return Neuron(name, p, F.elu, True, False, 1, False, saturates=True)
    if name == "relu_power":
        power = float(p.setdefault("power", 2.0))
        if power < 1:
            raise ValueError(f"neuron relu_power: power must be >= 1, got {power}")
        fn = lambda z: torch.relu(z) ** power  # noqa: E731
        smooth = max(int(math.ceil(power)) - 1, 0)
        kinks = (0.0,) if power == 1 else ()
        return Neuron(name, p, fn, False, False, smooth, False, kinks=kinks, dead_region=True)
    if name == "smooth_relu":
        h = float(p.setdefault("h", 1.0))
        if not h > 0:
            raise ValueError(f"neuron smooth_relu: h must be > 0, got {h}")
        return Neuron(name, p, _smooth_relu_huber(h), False, False, 1, False, dead_region=True)
    raise KeyError(f"unknown neuron {name!r}; known: {', '.join(NEURON_NAMES)}")


NEURON_NAMES = (
    "relu", "leaky_relu", "softplus", "softplus_linear", "sigmoid", "tanh", "linear", "quadratic",
    "exponential", "swish", "elu", "relu_power", "smooth_relu",
)


def make_neuron(spec: Spec) -> Neuron:
    """Build a neuron from ``"name"`` or ``{"name": ..., **params}``; unknown names raise KeyError."""
    name, params = split_spec(spec, "neuron")
    return _build(name, params)


def split_spec(spec: Spec, what: str) -> tuple[str, dict[str, Any]]:
    """``"relu"`` -> ("relu", {}); ``{"name": "softplus", "beta": 4}`` -> ("softplus", {"beta": 4.0})."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        params: dict[str, Any] = {}
        for k, v in spec.items():
            if k == "name":
                continue
            if isinstance(v, bool):
                params[k] = v
            elif isinstance(v, (int, float)):
                params[k] = float(v)
            else:
                raise ValueError(f"{what} {spec['name']!r}: parameter {k!r} must be a number, got {v!r}")
        return spec["name"], params
    raise ValueError(f"{what} must be a name or a mapping with a 'name' key, got {spec!r}")
