"""Parameter helpers shared by the referee's protocols (local minima and paths).

Parameters travel as dicts ``name -> tensor`` (``Setting.param_shapes`` order) or as flat vectors
``[P]``; these helpers check a claim's dicts, convert them to float64 and name flat directions.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from arena.landscape.setting import Setting


def check_params(label: str, params: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, ...]],
                 cfg: Any) -> list[str]:
    """Problems with one parameter dict (names, shapes, dtype, finiteness, |value| <= cfg.max_abs_value)."""
    problems = []
    missing = [k for k in shapes if k not in params]
    extra = [k for k in params if k not in shapes]
    if missing:
        problems.append(f"{label}: missing parameters {missing}")
    if extra:
        problems.append(f"{label}: unknown parameters {extra} (the setting has {list(shapes)})")
    for k, shape in shapes.items():
        if k not in params:
            continue
        t = params[k]
        if tuple(t.shape) != tuple(shape):
            problems.append(f"{label}.{k}: shape {list(t.shape)}, expected {list(shape)}")
        elif not t.is_floating_point():
            problems.append(f"{label}.{k}: dtype {t.dtype} is not floating point")
        elif not torch.isfinite(t).all():
            problems.append(f"{label}.{k}: non-finite entries (NaN or inf)")
        elif t.numel() and t.abs().max() > cfg.max_abs_value:
            problems.append(f"{label}.{k}: |value| exceeds max_abs_value={cfg.max_abs_value:g}")
    return problems


def to64(params: Mapping[str, torch.Tensor], device: torch.device | str) -> dict[str, torch.Tensor]:
    """Detached float64 copies on ``device``."""
    return {k: v.detach().to(device=device, dtype=torch.float64) for k, v in params.items()}


def offsets(setting: Setting) -> dict[str, int]:
    """Where each parameter starts in the flat vector ``[P]``."""
    out, i = {}, 0
    for k, shape in setting.param_shapes.items():
        out[k] = i
        i += math.prod(shape)
    return out


def flat_names(setting: Setting) -> list[str]:
    """One name per flat entry, e.g. ``layers.0.weight[1,0]`` (scalars keep their plain name)."""
    names: list[str] = []
    for k, shape in setting.param_shapes.items():
        if math.prod(shape) == 1:
            names.append(k)
        else:
            names += [f"{k}[{','.join(map(str, idx))}]" for idx in _indices(shape)]
    return names


def named(setting: Setting, v: torch.Tensor, top: int = 6) -> dict[str, float]:
    """The largest components of a flat direction v [P], by parameter name (for humans)."""
    names = flat_names(setting)
    order = torch.argsort(v.abs(), descending=True)[:top].tolist()
    return {names[i]: round(float(v[i]), 6) for i in order if abs(float(v[i])) > 1e-12}


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for s in shape:
        out = [i + (j,) for i in out for j in range(s)]
    return out
