"""Exact checks on the dataset itself (distinct inputs): proved by computation."""
from __future__ import annotations

from typing import Any

import numpy as np

from arena.assumptions.base import AssumptionResult, as_data
from arena.landscape.setting import Setting

# -- data: distinct inputs -------------------------------------------------------------------------
def _check_distinct(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, yn = as_data(X, y)
    _, inverse, counts = np.unique(Xn, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    groups = [np.flatnonzero(inverse == g).tolist() for g in np.flatnonzero(counts > 1)]
    conflicting = [g for g in groups if len(set(yn[g].tolist())) > 1]
    evidence: dict[str, Any] = {"n": len(yn), "n_distinct": int(len(counts)), "duplicate_groups": groups[:20],
                                "conflicting_groups": conflicting[:20]}
    if groups:
        evidence["reason"] = f"{len(yn) - len(counts)} repeated inputs, e.g. samples {groups[0]}"
    return AssumptionResult(not groups, evidence, proved=True)


def _check_distinct_coordinate(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, yn = as_data(X, y)
    n = len(yn)
    distinct = [int(len(np.unique(Xn[:, k]))) for k in range(Xn.shape[1])]
    good = [k for k, c in enumerate(distinct) if c == n]
    evidence: dict[str, Any] = {"n": n, "distinct_values_per_coordinate": distinct[:50],
                                "coordinate": good[0] if good else None}
    if not good:
        evidence["reason"] = f"every coordinate repeats a value (most distinct: {max(distinct)} of {n})"
    return AssumptionResult(bool(good), evidence, proved=True)

