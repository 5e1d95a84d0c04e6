"""Data as a config group (``conf/data/*.yaml``): ``synthetic`` or a fixed data set.

``data=synthetic`` (the default) leaves the data to the attacker, as every construction needs.
Any other choice fixes the data of every match: :func:`load_data` turns the node into a
:class:`Dataset` (``X [n, d]`` float64, ``y [n]`` in {-1, +1}, name, fingerprint), the arena
builds the network for its input dimension, plays only attackers that declare
``fixed_data = True`` (the others are ``incompatible``, with the reason), hands them the data
(``attack(..., data=dataset)``) and checks every assumption of the defender's guarantee on it.

A data node::

    name: breast_cancer      # shown in match folders and leaderboards
    source: breast_cancer    # synthetic | breast_cancer | digits | wine | iris | gaussian_mixture | teacher | file
    positive: [1]            # class labels mapped to +1 (null: see arena.data.dataset.binarize)
    negative: null           # class labels mapped to -1 (null: every other class)
    subsample: null          # keep this many rows (seeded, each label in proportion)
    subsample_seed: 0
    standardize: true        # each feature to mean 0, standard deviation 1 (after subsampling)

Order: binarise, subsample, standardise; the fingerprint is taken of the result.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from arena.data.dataset import Dataset, binarize, fingerprint, standardize, subsample
from arena.data.sources import SOURCES
from arena.plain import plain
from arena.data.sources import raw

__all__ = ["Dataset", "SOURCES", "fingerprint", "is_fixed", "load_data", "node"]

KEYS = {"name", "source", "positive", "negative", "subsample", "subsample_seed", "standardize",
        "n", "d", "components", "spread", "separation", "seed", "width", "neuron", "path", "label"}


def node(cfg: Any) -> dict[str, Any] | None:
    """The data node of a composed config as a plain dict, or None for ``synthetic`` / no node."""
    if cfg is None:
        return None
    data = plain(cfg)
    if not isinstance(data, dict):
        raise ValueError(f"data must be a config node (data=<name>), got {data!r}")
    return None if data.get("source", "synthetic") == "synthetic" else data


def is_fixed(cfg: Any) -> bool:
    return node(cfg) is not None


def load_data(cfg: Any) -> Dataset | None:
    """The fixed data set a data node describes (None for ``synthetic``); ValueError in one line."""
    data = node(cfg)
    if data is None:
        return None
    return _load(json.dumps(data, sort_keys=True))


@functools.lru_cache(maxsize=8)  # a grid loads the same node once per match
def _load(text: str) -> Dataset:
    cfg = json.loads(text)
    name = str(cfg.get("name") or cfg.get("source"))
    who = f"data {name}" + (f" ({Path(str(cfg['path'])).name})" if cfg.get("source") == "file" and cfg.get("path") else "")
    unknown = sorted(set(cfg) - KEYS)
    if unknown:
        raise ValueError(f"{who}: unknown keys {unknown}; known: {sorted(KEYS)}")
    if cfg.get("source") not in SOURCES:
        raise ValueError(f"{who}: unknown source {cfg.get('source')!r}; known: {', '.join(SOURCES)}")
    X, labels = raw(cfg)
    y, keep = binarize(labels, cfg.get("positive"), cfg.get("negative"), who)
    X = X[keep]
    if (y > 0).sum() == 0 or (y < 0).sum() == 0:
        raise ValueError(f"{who}: after binarising only one label is left")
    k = cfg.get("subsample")
    if k is not None:
        X, y = subsample(X, y, k, int(cfg.get("subsample_seed", 0)), who)
    standard = cfg.get("standardize", False)
    if not isinstance(standard, bool):
        raise ValueError(f"{who}: standardize must be true or false, got {standard!r}")
    if standard:
        X = standardize(X)
    return Dataset(name, X, y, cfg)
