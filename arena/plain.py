"""Plain data: configs and evidence as Python dicts, lists, numbers and strings (JSON-ready).

One helper for everything that crosses into a result, a claim file or a config node: OmegaConf
containers are resolved, numpy scalars and arrays become Python numbers and lists, mappings become
dicts and tuples become lists, recursively. Nothing else is touched (tensors stay tensors).
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["is_plain", "plain", "write_csv"]


def plain(value: Any) -> Any:
    """``value`` with every OmegaConf container, mapping, tuple and numpy value made plain."""
    value = _from_omegaconf(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return _from_numpy(value)


def is_plain(value: Any) -> bool:
    """True for None, bool, int, float, str and lists, tuples and str-keyed dicts of those."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(x) for x in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(x) for k, x in value.items())
    return False


def _from_omegaconf(value: Any) -> Any:
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - omegaconf ships with hydra-core
        return value
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _from_numpy(value: Any) -> Any:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """One header line of ``columns``, then one line per row (None written as an empty field)."""
    with Path(path).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row[k] is None else row[k]) for k in columns})
