"""A setting: the network family, the margin loss and the regularizer (docs/design.md, glossary).

A setting is described by a plain config, so it can be saved in a claim and rebuilt::

    {"network": {"input_dim": 2, "hidden": [4], "neuron": "relu", "bias": true, "skip": false,
                 "exp_neuron": false},
     "loss": "quadratic_hinge", "regularizer": null}

``network`` is either the built-in family (:mod:`arena.landscape.network`) or a Hydra node
``{"_target_": "pkg.Module", ...kwargs}`` for any ``nn.Module`` whose forward maps ``[n, d]`` to
``[n]``. Such a node imports and calls code, so it is honoured only from a trusted config
(:meth:`Setting.from_config`); data from a claim file goes through :meth:`Setting.from_claim`,
which refuses every instantiation key unless the user opted in. The empirical loss is L(θ) = (1/n) Σ_i ℓ(y_i f(x_i; θ)) + R(θ).

Every evaluation takes parameters as a dict ``name -> tensor`` with an optional leading batch shape
``B`` (a population of K networks is ``B = (K,)``) and returns ``[*B, ...]``.
"""
from __future__ import annotations

import copy
import functools
import math
import operator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import torch
from torch import nn

from arena.landscape.losses import Loss, make_loss
from arena.landscape.network import MLP, MLPConfig, exp_preactivation, mlp_forward, mlp_preactivations
from arena.landscape.neurons import Neuron, make_neuron
from arena.landscape.regularizers import Regularizer, make_regularizers
from arena.plain import plain
from arena.landscape.teacher_student import TeacherStudentSetting
from torch.func import functional_call, vmap

Params = dict[str, torch.Tensor]

# Hydra's instantiation keys: any of them asks ``hydra.utils.instantiate`` to import or call code
CODE_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")


def code_keys(cfg: Any) -> list[str]:
    """Dotted paths of every Hydra instantiation key anywhere in ``cfg`` (any depth, no recursion)."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", cfg)]
    while stack:
        prefix, node = stack.pop()
        if isinstance(node, Mapping):
            for k, v in node.items():
                path = f"{prefix}{k}"
                if k in CODE_KEYS:
                    found.append(path)
                stack.append((path + ".", v))
        elif isinstance(node, (list, tuple)):
            stack.extend((f"{prefix}{i}.", v) for i, v in enumerate(node))
    return sorted(found, key=lambda p: (not p.endswith("_target_"), p))


def code_refusal(cfg: Any, *, allow_custom_network: bool = False) -> str | None:
    """Why untrusted setting data may not be built (it asks to import or call code), or None.

    Instantiation keys are accepted under ``network`` with the user's opt-in only; elsewhere never.
    """
    found = code_keys(cfg)
    outside = [p for p in found if not p.startswith("network.")]
    if not outside and (not found or allow_custom_network):
        return None
    where = (outside or found)[0]
    return (f"{where} asks to import and call code; a claim is data, so only the built-in network family "
            "is accepted (a custom network needs the user's opt-in: arena verify --allow-custom-network)")


@dataclass(frozen=True)
class Setting:
    """Network family + loss + regularizer. Build with :meth:`from_config`."""

    network: dict[str, Any]
    """The network config: ``input_dim``, ``hidden``, ``neuron``, ``bias``, ``skip``, ``exp_neuron`` (or a ``_target_``)."""
    loss: Any = "quadratic_hinge"
    """The margin loss: a name or ``{"name": ..., **parameters}``."""
    regularizer: Any = None
    """None, a regularizer spec, or a list of specs."""
    _mlp: MLPConfig | None = field(default=None, compare=False, repr=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Setting":
        """Validate a setting config (a dict or an OmegaConf node); raises ValueError/KeyError."""
        cfg = plain(cfg)
        if not isinstance(cfg, Mapping):
            raise ValueError(f"setting must be a mapping, got {type(cfg).__name__}")
        if "task" in cfg:  # a population task (no dataset): arena.landscape.teacher_student
            return TeacherStudentSetting.from_config(cfg)  # type: ignore[return-value]
        unknown = set(cfg) - {"network", "loss", "regularizer", "name"}
        if unknown:
            raise ValueError(f"setting: unknown keys {sorted(unknown)}; known: network, loss, regularizer")
        if "network" not in cfg or not isinstance(cfg["network"], Mapping):
            raise ValueError("setting: 'network' must be a mapping")
        network = dict(cfg["network"])
        mlp = None if "_target_" in network else MLPConfig.from_mapping(network)
        loss = cfg.get("loss", "quadratic_hinge")
        make_loss(loss)
        regularizer = cfg.get("regularizer")
        make_regularizers(regularizer)
        setting = cls(mlp.to_dict() if mlp else network, loss, regularizer, mlp)
        setting.param_shapes  # builds a custom module once, so a bad _target_ fails here
        return setting

    @classmethod
    def from_claim(cls, cfg: Any, *, allow_custom_network: bool = False) -> "Setting":
        """A setting from untrusted data (a claim file): never imports or calls anything.

        Any Hydra instantiation key (``_target_``, ``_partial_``, ``_args_``, ...) anywhere in the
        setting raises ValueError before anything is built. With ``allow_custom_network`` (the
        user's explicit opt-in) such keys are accepted under ``network`` only; the loss, the
        regularizer and the neuron specs are always plain data.
        """
        if not isinstance(cfg, Mapping):
            raise ValueError(f"setting must be a mapping, got {type(cfg).__name__}")
        refusal = code_refusal(cfg, allow_custom_network=allow_custom_network)
        if refusal:
            raise ValueError(refusal)
        return cls.from_config(cfg)

    def to_config(self) -> dict[str, Any]:
        """The setting as plain config (``network``, ``loss``, ``regularizer``): what a claim stores."""
        return {"network": copy.deepcopy(self.network), "loss": copy.deepcopy(self.loss),
                "regularizer": copy.deepcopy(self.regularizer)}

    def replace(self, **changes: Any) -> "Setting":
        """A new setting with some top-level keys or network keys changed (validated again)."""
        cfg = self.to_config()
        for key, value in changes.items():
            if key in ("loss", "regularizer"):
                cfg[key] = value
            else:
                cfg["network"][key] = value
        return Setting.from_config(cfg)

    # -- components ---------------------------------------------------------------------------
    @property
    def builtin(self) -> bool:
        """Whether the network is the arena's built-in MLP (not a custom ``_target_`` module)."""
        return self._mlp is not None

    @property
    def mlp(self) -> MLPConfig:
        """The built-in network's config (``hidden``, ``neuron``, ``bias``, ...); TypeError for a custom network."""
        if self._mlp is None:
            raise TypeError("this setting uses a custom network, not the built-in MLP")
        return self._mlp

    @cached_property
    def neuron(self) -> Neuron:
        """The built-in MLP's hidden neuron (TypeError for a custom network, as :attr:`mlp`)."""
        return make_neuron(self.mlp.neuron)

    @cached_property
    def loss_fn(self) -> Loss:
        """The margin loss ℓ(m) as an object (``.name``, its class facts)."""
        return make_loss(self.loss)

    @cached_property
    def regularizers(self) -> tuple[Regularizer, ...]:
        """The regularizer terms R(θ), possibly none."""
        return make_regularizers(self.regularizer)

    @cached_property
    def _template(self) -> nn.Module:
        # float64 up front: converting a module inside a torch.func transform (the referee's
        # Hessian) trips functorch's level bookkeeping
        return self.build().to(torch.float64)

    def build(self) -> nn.Module:
        """A fresh module of this family (PyTorch's default initialisation)."""
        if self._mlp is not None:
            return MLP(**self._mlp.to_dict())
        from hydra.utils import instantiate  # hydra: only a custom network (its _target_) needs it

        try:
            module = instantiate(self.network)
        except Exception as exc:  # noqa: BLE001 - reported with the target's name
            raise ValueError(f"network _target_ {self.network.get('_target_')!r} failed to build: {exc}") from exc
        if not isinstance(module, nn.Module):
            raise ValueError(f"network _target_ {self.network['_target_']!r} is not an nn.Module")
        return module

    @cached_property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameter names -> shapes, in the module's order."""
        if self._mlp is not None:
            return self._mlp.param_shapes()
        return {k: tuple(p.shape) for k, p in self._template.named_parameters()}

    @property
    def num_params(self) -> int:
        """The number of scalar parameters."""
        return sum(math.prod(s) for s in self.param_shapes.values())

    @property
    def input_dim(self) -> int | None:
        """d, the input dimension (None when a custom network does not state it)."""
        return self._mlp.input_dim if self._mlp else self.network.get("input_dim")

    # -- evaluation ---------------------------------------------------------------------------
    def batch_shape(self, params: Mapping[str, torch.Tensor]) -> tuple[int, ...]:
        """The leading batch dimensions ``B`` of ``params`` (each tensor ``[*B, *shape]``)."""
        name, t = next(iter(params.items()))
        return tuple(t.shape[: t.dim() - len(self.param_shapes[name])])

    def output(self, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """f(X; θ): X [n, d] -> [*B, n]."""
        if self._mlp is not None:
            return mlp_forward(self._mlp, self.neuron, params, X)
        return self._custom_output(params, X)

    def _custom_output(self, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        module = self._template
        first = next(iter(module.parameters()), None)
        if first is not None and (first.dtype != X.dtype or first.device != X.device):
            module = module.to(dtype=X.dtype, device=X.device)
        call = lambda p: functional_call(module, p, (X,)).reshape(X.shape[0])  # noqa: E731
        batch = self.batch_shape(params)
        for _ in batch:
            call = vmap(call)
        return call(dict(params))

    def preactivations(self, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> dict[str, torch.Tensor]:
        """Pre-activations of every hidden unit: ``{"layers.i": [*B, n, h_i], "exp": [*B, n]}``.

        Empty for custom networks (their internals are opaque to the arena).
        """
        if self._mlp is None:
            return {}
        pre, _ = mlp_preactivations(self._mlp, self.neuron, params, X)
        out = {f"layers.{i}": z for i, z in enumerate(pre)}
        if self._mlp.exp_neuron:
            out["exp"] = exp_preactivation(params, X)
        return out

    def margins(self, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """y_i f(x_i; θ): [*B, n]."""
        return y * self.output(params, X)

    def data_loss(self, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(1/n) Σ ℓ(y_i f(x_i)): [*B]."""
        return self.loss_fn(self.margins(params, X, y)).mean(-1)

    def penalty(self, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """R(θ): [*B] (zeros without a regularizer)."""
        if not self.regularizers:
            name, t = next(iter(params.items()))
            return torch.zeros(self.batch_shape(params), dtype=t.dtype, device=t.device)
        terms = [r(params, self.param_shapes) for r in self.regularizers]
        return functools.reduce(operator.add, terms)

    def empirical_loss(self, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """L(θ) = data loss + R(θ): [*B] (see :meth:`combine`)."""
        return self.combine(self.data_loss(params, X, y), params)

    def combine(self, data: torch.Tensor, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The empirical loss from the mean margin loss ``data`` [*B].

        Normally data + R(θ). With ``multiplicative_exp`` (Sohl-Dickstein & Kawaguchi 2019) it is
        (data + R(θ))·(1 + (a·e^b − 1)²) + λa² for (a, b) = (mult.a, mult.b), λ the weight of the
        ``multiplicative_exp_l2`` regularizer, which stays outside the product.
        """
        inner = [r for r in self.regularizers if r.name != "multiplicative_exp_l2"]
        total = data
        for r in inner:
            total = total + r(params, self.param_shapes)
        if self._mlp is not None and self._mlp.multiplicative_exp:
            a, b = params["mult.a"], params["mult.b"]
            total = total * (1 + (a * torch.exp(b) - 1) ** 2)
        for r in self.regularizers:
            if r.name == "multiplicative_exp_l2":
                total = total + r(params, self.param_shapes)
        return total

    def train_error(self, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Fraction of samples with y_i f(x_i) <= 0 (f = 0 counts as an error): [*B]."""
        return (self.margins(params, X, y) <= 0).to(X.dtype).mean(-1)

    # -- parameters ---------------------------------------------------------------------------
    def init_params(self, k: int | None = None, *, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                    scale: float = 1.0) -> Params:
        """Random parameters, PyTorch's fan-in uniform init times ``scale``; ``[k, ...]`` if k."""
        batch = () if k is None else (k,)
        params: Params = {}
        for name, shape in self.param_shapes.items():
            fan_in = shape[-1] if len(shape) == 2 else (shape[0] if name == "exp.w" else 1)
            if name.startswith("layers.") and name.endswith(".bias"):
                fan_in = self.param_shapes[name[: -len("bias")] + "weight"][-1]
            bound = scale / math.sqrt(max(fan_in, 1))
            u = torch.rand(batch + shape, generator=generator, dtype=dtype)
            params[name] = ((2 * u - 1) * bound).to(device)
        return params

    def flatten(self, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """dict -> [*B, P] in ``param_shapes`` order."""
        batch = self.batch_shape(params)
        return torch.cat([params[k].reshape(*batch, -1) for k in self.param_shapes], dim=-1)

    def unflatten(self, flat: torch.Tensor) -> Params:
        """[*B, P] -> dict (views into ``flat``)."""
        out: Params = {}
        i = 0
        batch = flat.shape[:-1]
        for k, shape in self.param_shapes.items():
            size = math.prod(shape)
            out[k] = flat[..., i : i + size].reshape(tuple(batch) + tuple(shape))
            i += size
        if i != flat.shape[-1]:
            raise ValueError(f"flat parameter vector has {flat.shape[-1]} entries, setting needs {i}")
        return out

    def describe(self) -> str:
        """One line, e.g. ``mlp 2-[4]-1 relu | quadratic_hinge | no regularizer``."""
        loss = _spec_str(self.loss)
        reg = " + ".join(_spec_str(r.spec()) for r in self.regularizers) or "no regularizer"
        if self._mlp is None:
            return f"{self.network['_target_']} | {loss} | {reg}"
        m = self._mlp
        special = "" if m.special_is_exponential else f"({_spec_str(m.special_neuron)})"
        extras = "".join([" +skip" if m.skip else "", f" +exp{special}" if m.exp_neuron else "",
                          " +mult" if m.multiplicative_exp else "", "" if m.bias else " nobias"])
        return f"mlp {m.input_dim}-{list(m.hidden)}-1 {_spec_str(m.neuron)}{extras} | {loss} | {reg}"


def _spec_str(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    rest = ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec['name']}({rest})" if rest else spec["name"]
