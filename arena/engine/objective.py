"""What every population run shares: the batched loss, the result, the population's set-up.

* :class:`PopulationLoss` — L(θ_k) for every member, ``[K, P] -> [K]``, differentiable;
* :class:`PopulationResult` — what :func:`~arena.engine.training.train_population` and
  :func:`~arena.engine.lbfgs.polish_lbfgs` return;
* :func:`prepare`, :func:`within_limits` — the flat population on its device, clipped to the
  active limits (:mod:`arena.engine.limits`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch

from arena.engine import limits as _limits
from arena.engine.fused import FusedMLP, MLPPlan, Workspace
from arena.landscape.setting import Params, Setting


class PopulationLoss:
    """L(θ_k) = (1/n) Σ_i ℓ(y_i f(x_i; θ_k)) + R(θ_k) for a population of flat parameter vectors.

    X: [n, d], y: [n] in {-1, +1}; both are kept in the dtype/device given (cast them first).
    Calling it maps flat [K, P] -> [K]; the result is differentiable with respect to ``flat``
    (first order only on the fused path: it is for training, not for Hessians). The fused path
    reuses its buffers, so backpropagate a call's loss before the next call (a stale backward
    raises an error rather than returning a wrong gradient); for Hessians or ``torch.func``
    transforms use ``fused=False`` or ``setting.empirical_loss`` directly.

    ``rows`` (a [b] index tensor) evaluates the mean over those samples only (a mini-batch,
    :mod:`arena.engine.batches`), the regularizer unchanged; the fused path keeps one set of
    buffers per batch length.
    """

    def __init__(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, *, fused: bool = True) -> None:
        if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(f"expected X [n, d] and y [n], got {tuple(X.shape)} and {tuple(y.shape)}")
        self.setting = setting
        self.X = X
        self.y = y.to(X.dtype)
        self.fused = bool(fused and setting.builtin)
        if self.fused:
            self._plan = MLPPlan.from_setting(setting)
            self._Xt = X.t().contiguous()
            self._workspace = Workspace()
            self._batch_workspaces: dict[int, Workspace] = {}

    def __call__(self, flat: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """flat: [K, P] -> loss [K]; ``rows`` [b]: the mean over those samples only."""
        if flat.dim() != 2:
            raise ValueError(f"expected flat parameters [K, P], got shape {tuple(flat.shape)}")
        X, y = (self.X, self.y) if rows is None else (self.X.index_select(0, rows), self.y.index_select(0, rows))
        if self.fused:
            if rows is None:
                ws, Xt = self._workspace, self._Xt
            else:
                ws = self._batch_workspaces.setdefault(int(rows.numel()), Workspace())
                Xt = X.t().contiguous()
            out = FusedMLP.apply(self._plan, ws, flat, X, Xt)
            data = self.setting.loss_fn(y * out).mean(-1)
        else:
            data = self.setting.data_loss(self.setting.unflatten(flat), X, y)
        if not self.setting.regularizers and not (self.setting.builtin and self.setting.mlp.multiplicative_exp):
            return data
        return self.setting.combine(data, self.setting.unflatten(flat))

    def value(self, flat: torch.Tensor) -> torch.Tensor:
        """Loss [K] without a graph."""
        with torch.no_grad():
            return self(flat)

    def value_and_grad(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss [K], gradient [K, P]), both detached; ``flat`` itself is not modified."""
        with torch.enable_grad():
            leaf = flat.detach().requires_grad_(True)
            loss = self(leaf)
            (grad,) = torch.autograd.grad(loss.sum(), leaf)
        return loss.detach(), grad


@dataclass
class PopulationResult:
    """Outcome of a population run.

    ``params``: name -> [K, *shape]; ``loss``: [K] empirical loss at ``params``; ``grad_norm``: [K]
    Euclidean norm of ∇L at ``params``; ``steps``: optimizer steps (iterations for L-BFGS) done;
    ``seconds``: wall time of the run. L-BFGS also fills ``converged`` ([K] bool, grad_norm <=
    tol_grad), ``iterations`` ([K] int, accepted steps per member) and ``distance`` ([K], ‖θ - θ_start‖).
    """

    params: Params
    loss: torch.Tensor
    grad_norm: torch.Tensor
    steps: int
    seconds: float
    converged: torch.Tensor | None = None
    iterations: torch.Tensor | None = None
    distance: torch.Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.loss.shape[0])

    def best(self) -> int:
        """Index of the member with the smallest finite loss (NaN counts as +inf)."""
        return int(torch.nan_to_num(self.loss, nan=math.inf).argmin())

    def cpu(self) -> "PopulationResult":
        """A copy with every tensor on the CPU."""
        move = lambda t: t.detach().cpu() if isinstance(t, torch.Tensor) else t  # noqa: E731
        return PopulationResult({k: move(v) for k, v in self.params.items()}, move(self.loss), move(self.grad_norm),
                                self.steps, self.seconds, move(self.converged), move(self.iterations),
                                move(self.distance), dict(self.extra))


def prepare(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
            device: torch.device, dtype: torch.dtype | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat [K, P] copy of the population plus X, y, all on ``device`` in ``dtype``."""
    if set(params) != set(setting.param_shapes):
        raise ValueError(f"parameter names {sorted(params)} do not match the setting's {sorted(setting.param_shapes)}")
    batch = setting.batch_shape(params)
    if len(batch) != 1:
        raise ValueError(f"a population needs exactly one leading batch axis [K, ...], got batch shape {batch}")
    dtype = dtype or next(iter(params.values())).dtype
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be floating point, got {dtype}")
    flat = setting.flatten({k: v.detach() for k, v in params.items()}).to(device=device, dtype=dtype).clone()
    return flat, X.detach().to(device=device, dtype=dtype), y.detach().to(device=device, dtype=dtype)


def within_limits(flat: torch.Tensor, steps: int) -> tuple[torch.Tensor, int, _limits.Limits | None]:
    """The population and step count the active limits allow (arena.engine.limits)."""
    limits = _limits.current()
    if limits is None:
        return flat, steps, None
    k = limits.clip_restarts(flat.shape[0])
    return (flat if k == flat.shape[0] else flat[:k].clone()), limits.clip_steps(steps), limits
