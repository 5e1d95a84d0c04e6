"""Population engine: train K parameter sets of one setting on one dataset at once (docs/design.md).

A population is the setting's parameter dict with a leading batch axis ``K`` (``[K, *shape]``), or
its flat form ``[K, P]`` (``setting.flatten``). The K networks are independent, so the gradient of
Σ_k L(θ_k) with respect to the stacked parameters holds every network's own gradient in its row: one
forward and one backward pass train the whole population, and elementwise optimizers (Adam, SGD)
applied to the stacked tensor do exactly what K separate runs would do.

Public API (this module gathers it; each part lives in its own module):

* :func:`resolve_device` — ``"auto" | "cpu" | "cuda" | "cuda:i"`` -> ``torch.device``
  (:mod:`arena.engine.devices`);
* :class:`PopulationLoss` — L(θ_k) for every member, ``[K, P] -> [K]``, differentiable, and
  :class:`PopulationResult` — what the runs return (:mod:`arena.engine.objective`);
* :func:`train_population` — Adam or SGD (momentum) for a fixed number of steps, full batch or in
  mini-batches shared by the members (:mod:`arena.engine.training`, :mod:`arena.engine.batches`);
* :func:`polish_lbfgs` — batched L-BFGS in float64, optionally kept inside a ball around the start
  (:mod:`arena.engine.lbfgs`).

Speed: for the built-in MLP the loss goes through :class:`arena.engine.fused.FusedMLP`, a
hand-written forward and backward laid out as ``[K, width, n]`` (batch first, samples last), so the
first layer is one GEMM over all K networks, the ReLU derivative is applied in place and no bool
masks touch the big tensors (bool kernels are slow on CPU). It matches ``setting.empirical_loss`` to
rounding (tests check it); ``fused=False`` uses the setting's own autograd path instead, and custom
``_target_`` networks always do.
"""
from __future__ import annotations

from arena.engine.devices import resolve_device
from arena.engine.devices import sync as _sync
from arena.engine.fused import FusedMLP as _FusedMLP
from arena.engine.fused import MLPPlan as _MLPPlan
from arena.engine.fused import Workspace as _Workspace
from arena.engine.lbfgs import polish_lbfgs
from arena.engine.objective import PopulationLoss, PopulationResult
from arena.engine.training import OPTIMIZERS, ProgressFn, make_optimizer, train_population

__all__ = ["OPTIMIZERS", "PopulationLoss", "PopulationResult", "ProgressFn", "make_optimizer", "polish_lbfgs",
           "resolve_device", "train_population"]
# the kernel's private names, for callers that imported them from here before the split
_REEXPORTED = (_sync, _FusedMLP, _MLPPlan, _Workspace)
