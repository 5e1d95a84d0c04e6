"""Where fixed data come from: scikit-learn's bundled tables, seeded generators, a user's file.

Every source returns raw ``(X [n, d], labels [n])``; :func:`arena.data.load_data` binarises,
subsamples and standardises them. Nothing is downloaded: the scikit-learn tables ship inside the
package (``sklearn.datasets.load_*``), the generators are seeded.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from arena.data.files import read_file

SKLEARN = ("breast_cancer", "digits", "wine", "iris")
GENERATED = ("gaussian_mixture", "teacher")
SOURCES = ("synthetic", *SKLEARN, *GENERATED, "file")


def sklearn_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled ``load_<name>()``: (X float64, integer class labels)."""
    try:
        from sklearn import datasets
    except ImportError as exc:  # a core dependency; only a broken install gets here
        raise ValueError(f"data {name}: needs scikit-learn (pip install scikit-learn): {exc}") from None
    bunch = getattr(datasets, f"load_{name}")()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def gaussian_mixture(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in R^d, labels ±1 alternating; each label a mixture of ``components`` Gaussians
    (unit covariance times ``spread``) whose means are drawn on the sphere of radius ``separation``."""
    n, d, k = _int(cfg, "n", 2), _int(cfg, "d", 1), _int(cfg, "components", 1)
    spread, sep = _pos(cfg, "spread"), _pos(cfg, "separation")
    rng = np.random.default_rng(_int(cfg, "seed", 0))
    means = rng.standard_normal((2, k, d))
    means *= sep / np.linalg.norm(means, axis=-1, keepdims=True)
    labels = np.where(np.arange(n) % 2 == 0, 1, -1)
    which = rng.integers(0, k, n)
    centre = means[(labels < 0).astype(int), which]
    return centre + spread * rng.standard_normal((n, d)), labels


def teacher(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by the sign of a random one-hidden-layer teacher network
    x -> Σ_j v_j σ(w_j·x + b_j) with ``width`` units of ``neuron`` (N(0, 1) weights, seeded).
    The labels are realizable by that architecture by construction."""
    from arena.landscape.neurons import make_neuron  # torch: arena.data loads without it (data tables)
    import torch

    n, d, width = _int(cfg, "n", 2), _int(cfg, "d", 1), _int(cfg, "width", 1)
    rng = np.random.default_rng(_int(cfg, "seed", 0))
    X = rng.standard_normal((n, d))
    W, b, v = rng.standard_normal((width, d)), rng.standard_normal(width), rng.standard_normal(width)
    sigma = make_neuron(cfg.get("neuron", "relu"))
    out = sigma(torch.as_tensor(X @ W.T + b)).numpy() @ v
    out -= np.median(out)  # both labels, about half each
    return X, np.where(out > 0, 1, -1)


def _int(cfg: dict[str, Any], key: str, least: int) -> int:
    value = cfg.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"data {cfg.get('name', cfg.get('source'))}: {key} must be an integer >= {least}, got {value!r}")
    return value


def _pos(cfg: dict[str, Any], key: str) -> float:
    value = cfg.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"data {cfg.get('name', cfg.get('source'))}: {key} must be > 0, got {value!r}")
    return float(value)


def raw(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The raw (X, labels) of a data config's ``source``."""
    source = cfg.get("source")
    if source in SKLEARN:
        return sklearn_table(source)
    builders: dict[str, Callable[[dict[str, Any]], tuple[np.ndarray, np.ndarray]]] = {
        "gaussian_mixture": gaussian_mixture, "teacher": teacher}
    if source in builders:
        return builders[source](cfg)
    if source == "file":
        return read_file(cfg.get("path"), label=cfg.get("label", -1))
    raise ValueError(f"data: unknown source {source!r}; known: {', '.join(SOURCES)}")
