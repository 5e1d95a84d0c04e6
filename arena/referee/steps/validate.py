"""Step 1: is the claim judgeable at all? (setting, names, shapes, finiteness, labels, sizes)."""
from __future__ import annotations

import torch

from arena.claims import Claim
from arena.landscape.setting import Setting
from arena.referee.config import RefereeConfig
from arena.referee.params import check_params


def validate(claim: Claim, cfg: RefereeConfig, setting: Setting | None = None) -> tuple[Setting | None, list[str]]:
    """Problems that make a claim unjudgeable (empty list when it can be judged).

    ``setting``: the trusted setting the claim must be judged in (a tournament passes the user's
    own); without it the claim's setting is read as data and never instantiates code
    (:meth:`Setting.from_claim`). Path claims may leave out parameters their path supplies.
    """
    if setting is None:
        try:
            setting = Setting.from_claim(claim.setting, allow_custom_network=cfg.allow_custom_network)
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            return None, [f"setting: {msg}"]
    if not isinstance(claim.X, torch.Tensor) or not isinstance(claim.y, torch.Tensor):
        return setting, ["X and y must be tensors"]
    problems = _data_problems(claim.X, claim.y, setting, cfg)
    if setting.num_params > cfg.max_params:
        problems.append(f"{setting.num_params} parameters exceed the limit max_params={cfg.max_params}")
        return setting, problems
    shapes = setting.param_shapes
    for label, params in (("theta", claim.theta), ("witness", claim.witness)):
        if params is None:
            continue
        if label == "theta" and claim.kind == "path":  # the path supplies what theta leaves out
            unknown = sorted(set(params) - set(shapes))
            problems += [f"theta: unknown parameters {unknown}"] if unknown else []
            problems += check_params(label, params, {k: s for k, s in shapes.items() if k in params}, cfg)
        else:
            problems += check_params(label, params, shapes, cfg)
    return setting, problems


def _data_problems(X: torch.Tensor, y: torch.Tensor, setting: Setting, cfg: RefereeConfig) -> list[str]:
    if y.is_complex() or y.dtype == torch.bool:
        return [f"y must be a real tensor, got {y.dtype}"]
    if not X.is_floating_point() or X.dim() != 2:
        return [f"X must be a float tensor [n, d], got {X.dtype} with shape {list(X.shape)}"]
    if y.dim() != 1:
        return [f"y must be a tensor [n], got shape {list(y.shape)}"]
    problems = []
    n, d = X.shape
    if y.shape[0] != n:
        problems.append(f"X has {n} rows but y has {y.shape[0]} labels")
    if n == 0 and not getattr(setting, "population", False):  # population tasks carry no samples
        problems.append("the dataset is empty")
    if n > cfg.max_samples:
        problems.append(f"{n} samples exceed the limit max_samples={cfg.max_samples}")
    if setting.input_dim is not None and d != setting.input_dim and not (n == 0 and getattr(setting, "population", False)):
        problems.append(f"X has {d} columns but the network's input_dim is {setting.input_dim}")
    if not torch.isfinite(X).all():
        problems.append("X has non-finite entries (NaN or inf)")
    elif X.numel() and X.abs().max() > cfg.max_abs_value:
        problems.append(f"|X| exceeds max_abs_value={cfg.max_abs_value:g}")
    yv = y.to(torch.float64)
    ok = (yv == 1) | (yv == -1)
    if not torch.isfinite(yv).all() or not ok.all():
        bad = sorted({float(v) for v in yv[~ok].tolist()})[:5]
        problems.append(f"labels must be in {{-1, +1}}; found {bad}")
    return problems
