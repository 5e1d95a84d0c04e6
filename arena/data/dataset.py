"""A fixed data set: ``X [n, d]`` float64, ``y [n]`` in {-1, +1}, its name, config and fingerprint.

The fingerprint identifies the exact numbers a match played on (after binarisation, subsampling
and standardisation)::

    sha256(int64_le([n, d]) || float64_le(X, row-major) || float64_le(y)).hexdigest()

i.e. ``hashlib.sha256(np.asarray([n, d], "<i8").tobytes() + X.astype("<f8").tobytes(order="C")
+ y.astype("<f8").tobytes()).hexdigest()``. The shape goes first so that the same bytes split into
a different (n, d) give a different fingerprint.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np


def fingerprint(X: Any, y: Any) -> str:
    """sha256 of the float64 bytes of X [n, d] and y [n], shape first (the recipe above)."""
    X = np.asarray(_numpy(X), dtype="<f8")
    y = np.asarray(_numpy(y), dtype="<f8").reshape(-1)
    if X.ndim != 2:
        raise ValueError(f"data: X must be a matrix [n, d], got shape {tuple(X.shape)}")
    head = np.asarray(X.shape, dtype="<i8").tobytes()
    return hashlib.sha256(head + np.ascontiguousarray(X).tobytes() + y.tobytes()).hexdigest()


def _numpy(a: Any) -> Any:
    if hasattr(a, "detach"):  # a torch tensor
        return a.detach().cpu().double().numpy()
    return a


@dataclass(frozen=True)
class Dataset:
    """Fixed data: ``X [n, d]`` float64, ``y [n]`` float64 in {-1, +1} (both labels present)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)  # the data config node it was built from

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        y = np.ascontiguousarray(self.y, dtype=np.float64).reshape(-1)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(f"data {self.name}: X must be [n, d] and y [n], got {X.shape} and {y.shape}")
        if not np.isfinite(X).all():
            raise ValueError(f"data {self.name}: X has NaN or infinite entries")
        if not np.isin(y, (-1.0, 1.0)).all():
            raise ValueError(f"data {self.name}: labels must be -1 or +1")
        if (y > 0).sum() == 0 or (y < 0).sum() == 0:
            raise ValueError(f"data {self.name}: needs both labels, got only {int(y[0]):+d}")
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.X, self.y)

    def tensors(self) -> tuple[Any, Any]:
        """(X, y) as float64 CPU torch tensors (copies: an attacker cannot edit the data set)."""
        import torch

        return torch.tensor(self.X, dtype=torch.float64), torch.tensor(self.y, dtype=torch.float64)

    def matches(self, X: Any, y: Any) -> bool:
        """Whether (X, y) are exactly these numbers (compared in float64)."""
        X, y = np.asarray(_numpy(X), dtype=np.float64), np.asarray(_numpy(y), dtype=np.float64)
        return X.shape == self.X.shape and y.reshape(-1).shape == self.y.shape and \
            bool(np.array_equal(X, self.X)) and bool(np.array_equal(y.reshape(-1), self.y))

    def summary(self) -> dict[str, Any]:
        """What results, claims and leaderboards record: name, shape, label counts, fingerprint, config."""
        return {"name": self.name, "n": self.n, "d": self.d, "n_pos": int((self.y > 0).sum()),
                "n_neg": int((self.y < 0).sum()), "fingerprint": self.fingerprint, "config": dict(self.config)}


# -- transforms (each a plain function of arrays) ---------------------------------------------------
def binarize(labels: np.ndarray, positive: Sequence[Any] | None, negative: Sequence[Any] | None,
             who: str) -> tuple[np.ndarray, np.ndarray]:
    """Labels -> ±1 and the mask of rows kept.

    ``positive``/``negative``: the label values mapped to +1/-1 (rows with other labels are
    dropped; ``negative`` None: every label not in ``positive``). Both None: the labels must take
    exactly two values; the smaller becomes -1 and the larger +1 ({0, 1} and {-1, +1} keep their sense).
    """
    labels = np.asarray(labels).reshape(-1)
    values = np.unique(labels)
    if positive is None and negative is None:
        if len(values) != 2:
            shown = ", ".join(str(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
            raise ValueError(f"{who}: labels must take exactly two values, got {len(values)} ({shown}); "
                             "pick the classes with data.positive=[...] data.negative=[...]")
        return np.where(labels == values[1], 1.0, -1.0), np.ones(len(labels), dtype=bool)
    pos = _as_values(positive, labels, who, "positive")
    neg = _as_values(negative, labels, who, "negative") if negative is not None else \
        np.setdiff1d(values, pos)
    both = np.intersect1d(pos, neg)
    if len(both):
        raise ValueError(f"{who}: class {both[0]} is both positive and negative")
    is_pos, is_neg = np.isin(labels, pos), np.isin(labels, neg)
    keep = is_pos | is_neg
    return np.where(is_pos, 1.0, -1.0)[keep], keep


def _as_values(values: Any, labels: np.ndarray, who: str, key: str) -> np.ndarray:
    values = np.asarray(list(values) if isinstance(values, (list, tuple)) else [values]).astype(labels.dtype)
    unknown = np.setdiff1d(values, labels)
    if len(values) == 0 or len(unknown):
        raise ValueError(f"{who}: {key} lists {unknown.tolist() or 'no'} class(es); the labels are "
                         f"{np.unique(labels).tolist()}")
    return values


def subsample(X: np.ndarray, y: np.ndarray, k: int, seed: int, who: str) -> tuple[np.ndarray, np.ndarray]:
    """``k`` rows drawn without replacement, each label in proportion (at least one of each), seeded;
    the rows keep their original order."""
    n = len(y)
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise ValueError(f"{who}: subsample must be an integer >= 2 or null, got {k!r}")
    if k >= n:
        return X, y
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y > 0), np.flatnonzero(y < 0)
    k_pos = min(max(1, round(k * len(pos) / n), k - len(neg)), len(pos), k - 1)
    rows = np.concatenate([rng.choice(pos, k_pos, replace=False), rng.choice(neg, k - k_pos, replace=False)])
    rows.sort()
    return X[rows], y[rows]


def standardize(X: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and (population) standard deviation 1; a constant column to 0."""
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    return (X - mean) / np.where(std > 0, std, 1.0)
