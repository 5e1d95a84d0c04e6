"""Small data sets several attackers share: docs/catalogue.md A1's 1-D points and seeded separable data.

``X`` is ``[n, d]`` float64, ``y`` ``[n]`` in {-1, +1} (numpy arrays; attackers turn them into tensors).
"""
from __future__ import annotations

from typing import Any

import numpy as np

NOTES_X = np.array([[-1.0], [0.0], [0.5], [2.0]])  # docs/catalogue.md A1: separable at x = -0.5

NOTES_Y = np.array([-1.0, 1.0, 1.0, 1.0])



def input_dim_of(setting: Any, who: str) -> int:
    """The setting's input dimension; one line naming the attacker when the network declares none."""
    d = setting.input_dim
    if d is None:
        raise ValueError(f"attacker {who}: the network does not declare input_dim, so no dataset can be generated for it")
    return int(d)


def separable_dataset(n: int, d: int, rng: np.random.Generator, gap: float = 0.1
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """X [n, d], y [n] with y_i(u·x_i + c) >= gap, both labels at least twice; returns (X, y, u, c)."""
    if n < 4:
        raise ValueError(f"need n >= 4 samples (two per label), got {n}")
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    c = float(rng.uniform(-0.5, 0.5))
    n_pos = int(rng.integers(2, n - 1))
    y = rng.permutation(np.r_[np.ones(n_pos), -np.ones(n - n_pos)])
    s = y * (gap + np.abs(rng.normal(size=n)))  # target scores u·x + c
    Z = rng.normal(size=(n, d))
    X = Z - np.outer(Z @ u, u) + np.outer(s - c, u)
    return X, y, u, c



def pad(X: np.ndarray, d: int) -> np.ndarray:
    """X [n, k] -> [n, d] with zero columns appended (the same points inside R^d, k <= d)."""
    out = np.zeros((X.shape[0], d))
    out[:, : X.shape[1]] = X
    return out

