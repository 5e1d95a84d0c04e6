"""A user's own data file: CSV, NPZ or safetensors (``data=file data.path=...``).

* ``.csv``: numbers separated by commas, an optional header line; ``data.label`` is the label
  column (an index, default -1: the last column); every other column is a feature.
* ``.npz``: arrays ``X`` ``[n, d]`` and ``y`` ``[n]`` (read without pickle).
* ``.safetensors``: tensors ``X`` ``[n, d]`` and ``y`` ``[n]``.

Labels are mapped to ±1 by :func:`arena.data.dataset.binarize`. Anything else gets one line
naming the problem (``ValueError``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

SUFFIXES = (".csv", ".npz", ".safetensors")


def read_file(path: Any, label: Any = -1) -> tuple[np.ndarray, np.ndarray]:
    """(X [n, d] float64, labels [n]) from ``path``; ValueError with one line on bad input."""
    if path in (None, "", "???"):
        raise ValueError("data=file needs data.path=<a .csv, .npz or .safetensors file>")
    p = Path(str(path)).expanduser()
    if not p.is_file():
        raise ValueError(f"data.path: {p} is not a file")
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"data.path: {p.name}: unknown file type {suffix or '(none)'!r}; use {', '.join(SUFFIXES)}")
    try:
        X, y = {".csv": _csv, ".npz": _npz, ".safetensors": _safetensors}[suffix](p, label)
    except ValueError as exc:
        raise ValueError(f"data.path: {p.name}: {' '.join(str(exc).split())}") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one line
        raise ValueError(f"data.path: {p.name}: unreadable ({exc.__class__.__name__}: {exc})") from None
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1) if np.asarray(y).ndim == 2 and 1 in np.asarray(y).shape else np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"data.path: {p.name}: X must be [n, d] and y [n] with n, d >= 1; got X {tuple(X.shape)}, "
                         f"y {tuple(y.shape)}")
    if not np.isfinite(X).all():
        raise ValueError(f"data.path: {p.name}: X has NaN or infinite entries")
    return X, y


def _csv(p: Path, label: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(label, bool) or not isinstance(label, int):
        raise ValueError(f"data.label must be a column index for a CSV file, got {label!r}")
    lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
    if not lines:
        raise ValueError("the file is empty")
    rows = [ln.split(",") for ln in lines]
    if not _numeric(rows[0]):
        rows = rows[1:]  # a header line
    width = len(rows[0]) if rows else 0
    if width < 2:
        raise ValueError("a CSV needs at least one feature column and one label column")
    for i, row in enumerate(rows):
        if len(row) != width or not _numeric(row):
            raise ValueError(f"line {i + 1 + (len(lines) - len(rows))}: expected {width} numbers, got {','.join(row)[:60]!r}")
    table = np.asarray([[float(v) for v in row] for row in rows])
    if not -width <= label < width:
        raise ValueError(f"data.label={label} is outside the {width} columns")
    col = label % width
    return np.delete(table, col, axis=1), table[:, col]


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def _npz(p: Path, label: Any) -> tuple[np.ndarray, np.ndarray]:
    with np.load(p, allow_pickle=False) as z:
        missing = [k for k in ("X", "y") if k not in z.files]
        if missing:
            raise ValueError(f"missing array(s) {missing}; an NPZ file needs X [n, d] and y [n] (has {z.files})")
        return z["X"], z["y"]


def _safetensors(p: Path, label: Any) -> tuple[np.ndarray, np.ndarray]:
    from safetensors.numpy import load_file

    tensors = load_file(str(p))
    missing = [k for k in ("X", "y") if k not in tensors]
    if missing:
        raise ValueError(f"missing tensor(s) {missing}; a safetensors file needs X [n, d] and y [n] "
                         f"(has {sorted(tensors)})")
    return tensors["X"], tensors["y"]
