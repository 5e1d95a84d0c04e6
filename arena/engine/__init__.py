"""The population engine: K parameter sets of one setting trained on one dataset at once.

Public API: :func:`train_population`, :class:`PopulationLoss`, :class:`PopulationResult`,
:func:`polish_lbfgs`, :func:`resolve_device`, gathered in :mod:`arena.engine.population` from the
modules that hold them by role (devices, fused, objective, training, lbfgs). The Lightning wrapper is
:mod:`arena.engine.lightning` (imported on demand: it pulls in pytorch-lightning).
"""
from arena.engine.population import (PopulationLoss, PopulationResult, make_optimizer, polish_lbfgs,
                                     resolve_device, train_population)

__all__ = ["PopulationLoss", "PopulationResult", "make_optimizer", "polish_lbfgs", "resolve_device",
           "train_population"]
