"""Initialisation schemes for a population: the standard ones, each with its scale as a knob.

``init_population(setting, k, scheme, scale, generator)`` -> name -> [k, *shape] (float64, CPU).
Every weight matrix ``[fan_out, fan_in]`` is drawn by the scheme and multiplied by ``scale``:

* ``torch``: PyTorch's ``nn.Linear`` default, U(±1/√fan_in) for weights *and* biases (what
  :meth:`~arena.landscape.setting.Setting.init_params` draws; the arena's historical default);
* ``kaiming_uniform`` / ``kaiming_normal``: He et al., ICCV 2015 (arXiv 1502.01852), variance
  2/fan_in: U(±√(6/fan_in)) or N(0, 2/fan_in); biases zero;
* ``xavier_uniform`` / ``xavier_normal``: Glorot & Bengio, AISTATS 2010, variance
  2/(fan_in + fan_out): U(±√(6/(fan_in+fan_out))) or N(0, 2/(fan_in+fan_out)); biases zero.

Parameters that are not a weight matrix with a ``.bias`` partner (the skip unit, the
multiplicative factor, a custom network's other tensors) keep the ``torch`` draw times ``scale``,
so every scheme applies to every network.
"""
from __future__ import annotations

import math

import torch

from arena.landscape.setting import Params, Setting

SCHEMES = ("torch", "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal")


def check_scheme(who: str, scheme: object) -> None:
    """One line naming the knob unless ``scheme`` is one of :data:`SCHEMES`."""
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"{who}: init must be one of {', '.join(SCHEMES)}, got {scheme!r}")


def init_population(setting: Setting, k: int, scheme: str = "torch", scale: float = 1.0,
                    generator: torch.Generator | None = None) -> Params:
    """k parameter sets drawn by ``scheme`` times ``scale``: name -> [k, *shape], float64 on the CPU."""
    check_scheme("init_population", scheme)
    params = setting.init_params(k, generator=generator, scale=scale)
    if scheme == "torch":
        return params
    shapes = setting.param_shapes
    for name, shape in shapes.items():
        if len(shape) != 2 or not name.endswith("weight"):
            continue
        fan_out, fan_in = shape
        fans = fan_in if scheme.startswith("kaiming") else fan_in + fan_out
        std = scale * math.sqrt(2.0 / max(fans, 1))
        if scheme.endswith("uniform"):
            u = torch.rand((k, *shape), generator=generator, dtype=torch.float64)
            params[name] = (2 * u - 1) * (std * math.sqrt(3.0))
        else:
            params[name] = torch.randn((k, *shape), generator=generator, dtype=torch.float64) * std
        bias = name[: -len("weight")] + "bias"
        if bias in shapes:
            params[bias] = torch.zeros((k, *shapes[bias]), dtype=torch.float64)
    return params
