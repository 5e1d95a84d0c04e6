"""The built-in network family: an MLP with optional linear skip and exponential skip neuron.

    f(x) = layers(x) + skip.weight · x + exp.a · exp(exp.w · x + exp.b)

Public parameter names and shapes (``d`` = input_dim, ``h_i`` = hidden[i]):

* ``layers.{i}.weight`` ``[h_i, h_{i-1}]`` and ``layers.{i}.bias`` ``[h_i]``; the last layer maps to
  the scalar output: ``weight [1, h_last]``, ``bias [1]`` (with ``hidden: []`` the model is linear);
* ``skip.weight`` ``[1, d]`` when ``skip`` is true;
* ``exp.a`` ``[]``, ``exp.w`` ``[d]``, ``exp.b`` ``[]`` when ``exp_neuron`` is true (Liang et al.,
  NeurIPS 2018, arXiv 1805.08671): the skip unit a·σ_s(w·x + b) with σ_s = ``special_neuron``
  (exponential unless changed, e.g. to relu for docs/catalogue.md A14);
* ``mult.a`` ``[]``, ``mult.b`` ``[]`` when ``multiplicative_exp`` is true: they do not enter f but
  the loss, L̃ = L·(1 + (a·e^b − 1)²) + λa² (Sohl-Dickstein & Kawaguchi 2019, arXiv 1901.03909; see
  :mod:`arena.landscape.setting`).

:func:`mlp_forward` evaluates the family for parameters with any leading batch shape ``B``
(``weight: [*B, out, in]``), so one call evaluates a whole population of networks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import torch
from torch import nn

from arena.landscape.neurons import Neuron, make_neuron
from arena.plain import plain


@dataclass(frozen=True)
class MLPConfig:
    """The built-in network's config, as it appears under ``setting.network``."""

    input_dim: int
    hidden: tuple[int, ...] = ()
    neuron: Any = "relu"
    bias: bool = True
    skip: bool = False
    exp_neuron: bool = False
    special_neuron: Any = "exponential"  # the neuron of the skip unit exp.* (A14 swaps in relu)
    multiplicative_exp: bool = False  # D3's scalar pair mult.a, mult.b (Sohl-Dickstein & Kawaguchi)

    KEYS = ("input_dim", "hidden", "neuron", "bias", "skip", "exp_neuron", "special_neuron", "multiplicative_exp")

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "MLPConfig":
        unknown = set(cfg) - set(cls.KEYS)
        if unknown:
            raise ValueError(f"network: unknown keys {sorted(unknown)}; known: {list(cls.KEYS)}")
        if "input_dim" not in cfg:
            raise ValueError("network: 'input_dim' is required")
        d = cfg["input_dim"]
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"network.input_dim must be a positive integer, got {d!r}")
        hidden = cfg.get("hidden", ())
        if isinstance(hidden, int):
            hidden = (hidden,)
        hidden = tuple(hidden)
        if any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden):
            raise ValueError(f"network.hidden must be a list of positive integers, got {list(hidden)!r}")
        neuron = cfg.get("neuron", "relu")
        make_neuron(neuron)  # fail early on unknown names and bad parameters
        special = cfg.get("special_neuron", "exponential")
        make_neuron(special)
        flags = {}
        for key in ("bias", "skip", "exp_neuron", "multiplicative_exp"):
            value = cfg.get(key, key == "bias")
            if not isinstance(value, bool):
                raise ValueError(f"network.{key} must be true or false, got {value!r}")
            flags[key] = value
        return cls(d, hidden, plain(neuron), special_neuron=plain(special), **flags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_dim": self.input_dim, "hidden": list(self.hidden), "neuron": plain(self.neuron),
            "bias": self.bias, "skip": self.skip, "exp_neuron": self.exp_neuron,
            "special_neuron": plain(self.special_neuron), "multiplicative_exp": self.multiplicative_exp,
        }

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        widths = (self.input_dim, *self.hidden, 1)
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            shapes[f"layers.{i}.weight"] = (fan_out, fan_in)
            if self.bias:
                shapes[f"layers.{i}.bias"] = (fan_out,)
        if self.skip:
            shapes["skip.weight"] = (1, self.input_dim)
        if self.exp_neuron:
            shapes.update({"exp.a": (), "exp.w": (self.input_dim,), "exp.b": ()})
        if self.multiplicative_exp:
            shapes.update({"mult.a": (), "mult.b": ()})
        return shapes

    @property
    def special_is_exponential(self) -> bool:
        return make_neuron(self.special_neuron).name == "exponential"


def mlp_preactivations(
    cfg: MLPConfig, neuron: Neuron, params: Mapping[str, torch.Tensor], X: torch.Tensor
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Hidden pre-activations and the output.

    X: [n, d]; params with leading batch shape B. Returns ([z_0 [*B, n, h_0], ...], f [*B, n]).
    """
    depth = len(cfg.hidden) + 1
    h = X
    pre: list[torch.Tensor] = []
    for i in range(depth):
        z = torch.matmul(h, params[f"layers.{i}.weight"].transpose(-1, -2))
        if cfg.bias:
            z = z + params[f"layers.{i}.bias"].unsqueeze(-2)
        if i < depth - 1:
            pre.append(z)
            h = neuron(z)
        else:
            h = z
    out = h.squeeze(-1)
    if cfg.skip:
        out = out + torch.matmul(X, params["skip.weight"].transpose(-1, -2)).squeeze(-1)
    if cfg.exp_neuron:
        special = torch.exp if cfg.special_is_exponential else make_neuron(cfg.special_neuron)
        out = out + params["exp.a"].unsqueeze(-1) * special(exp_preactivation(params, X))
    return pre, out


def exp_preactivation(params: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """w·x_i + b of the exponential neuron: [*B, n]."""
    return torch.matmul(X, params["exp.w"].unsqueeze(-1)).squeeze(-1) + params["exp.b"].unsqueeze(-1)


def mlp_forward(cfg: MLPConfig, neuron: Neuron, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """f(X; θ): X [n, d], params with leading batch shape B -> [*B, n]."""
    return mlp_preactivations(cfg, neuron, params, X)[1]


class MLP(nn.Module):
    """The built-in network as an ``nn.Module`` (parameters named as in the module docstring)."""

    def __init__(self, input_dim: int, hidden: Any = (), neuron: Any = "relu", bias: bool = True,
                 skip: bool = False, exp_neuron: bool = False, special_neuron: Any = "exponential",
                 multiplicative_exp: bool = False) -> None:
        super().__init__()
        self.cfg = MLPConfig.from_mapping(dict(input_dim=input_dim, hidden=list(hidden), neuron=neuron,
                                               bias=bias, skip=skip, exp_neuron=exp_neuron,
                                               special_neuron=special_neuron, multiplicative_exp=multiplicative_exp))
        self.neuron = make_neuron(self.cfg.neuron)
        widths = (input_dim, *self.cfg.hidden, 1)
        self.layers = nn.ModuleList(nn.Linear(i, o, bias=bias) for i, o in zip(widths[:-1], widths[1:]))
        if skip:
            self.skip = nn.Linear(input_dim, 1, bias=False)
        if exp_neuron:
            self.exp = nn.Module()
            self.exp.a = nn.Parameter(torch.zeros(()))
            self.exp.w = nn.Parameter(torch.zeros(input_dim))
            self.exp.b = nn.Parameter(torch.zeros(()))
        if multiplicative_exp:
            self.mult = nn.Module()
            self.mult.a = nn.Parameter(torch.zeros(()))
            self.mult.b = nn.Parameter(torch.zeros(()))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """X: [n, d] -> f: [n]."""
        return mlp_forward(self.cfg, self.neuron, dict(self.named_parameters()), X)
