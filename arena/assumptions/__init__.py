"""Checkable assumptions of the defenders' guarantees, one module per kind of check.

An :class:`Assumption` is a named predicate on (setting, dataset); ``assumption(setting, X, y)``
returns an :class:`AssumptionResult` with ``holds`` (True, False or None), ``proved`` (whether that
answer is established) and JSON-ready evidence. Build them by name with :func:`make_assumption`; the
names are in :data:`ASSUMPTION_NAMES`.

Modules: :mod:`~arena.assumptions.base` (the types, dataset validation),
:mod:`~arena.assumptions.separability` (the LP), :mod:`~arena.assumptions.realizability` (witness
search), :mod:`~arena.assumptions.classes` (neurons, losses), :mod:`~arena.assumptions.architecture`
(structure, regularizers), :mod:`~arena.assumptions.data` (distinct inputs),
:mod:`~arena.assumptions.registry` (names).
"""
from arena.landscape.edits import regularizer_specs
from arena.assumptions.base import Assumption, AssumptionResult, CheckFn, as_data
from arena.assumptions.classes import GRID, loss_grid, make_neuron_spec, neuron_grid
from arena.assumptions.realizability import (affine_witness, output_linear_names, scale_to_margin, search_witness,
                                             strip_exp_neuron)
from arena.assumptions.registry import ASSUMPTION_NAMES, assumption_from_dict, check_all, make_assumption
from arena.assumptions.separability import Separator, linear_separability, max_margin_separator

__all__ = ["ASSUMPTION_NAMES", "Assumption", "AssumptionResult", "CheckFn", "GRID", "Separator", "affine_witness",
           "as_data", "assumption_from_dict", "check_all", "linear_separability", "loss_grid", "make_assumption", "make_neuron_spec",
           "max_margin_separator", "neuron_grid", "output_linear_names", "regularizer_specs", "scale_to_margin",
           "search_witness", "strip_exp_neuron"]
