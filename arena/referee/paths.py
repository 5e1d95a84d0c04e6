"""Decreasing paths to infinity: the second claim kind (theory.md §6.3, attack A12).

A path claim (``"kind": "path"``) gives θ(t) either as samples — tensors ``path.<param>`` of shape
``[T, *shape]`` (parameters absent from the samples stay at ``theta.<param>``), optionally
``path_t`` ``[T]`` — or in closed form in ``claim.json``::

    "path": {"t": [0, 1, 2, 4, 8, 16],
             "theta": {"exp.w": ["t"], "exp.a": "exp(-t)", "exp.b": "0"}}

where each entry is an expression in ``t`` (numbers, ``t``, ``+ - * / **``, ``exp log sqrt sin cos
tanh``; parsed, never executed as code), or a nested list of them for a tensor parameter.

The referee checks that the loss is non-increasing along the path (on the polyline through the
samples, or densely for a closed form), that ‖θ(t)‖ keeps growing (for a closed form also far past
the last given t), and that the loss settles above the best loss found (witness + the referee's
own restarts) by a gap. Verdicts: ``bad_path_to_infinity``, ``not_a_descending_path``, ``not_bad``,
``invalid``.
"""
from __future__ import annotations

import ast
import math
import time
from dataclasses import asdict
from typing import Any, Mapping

import torch

from arena.claims import Claim
from arena.engine.population import resolve_device
from arena.referee.judge import RefereeConfig, Verdict, badness_search
from arena.referee.params import check_params as _check_params, to64 as _to64
from arena.landscape.setting import Setting

_FUNCS = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos,
          "tanh": torch.tanh}
_BINOPS = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div, ast.Pow: torch.pow}


def eval_expr(expr: str, t: torch.Tensor) -> torch.Tensor:
    """Evaluate a closed-form expression in ``t`` ([T] float64) without executing code."""
    try:
        tree = ast.parse(str(expr), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"path expression {expr!r} does not parse: {exc.msg}") from exc

    def ev(node: ast.AST) -> torch.Tensor:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return torch.full_like(t, float(node.value))
        if isinstance(node, ast.Name) and node.id == "t":
            return t
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and len(node.args) == 1 and not node.keywords):
            return _FUNCS[node.func.id](ev(node.args[0]))
        raise ValueError(f"path expression {expr!r}: {ast.dump(node)[:60]} is not allowed "
                         f"(use numbers, t, + - * / **, {', '.join(_FUNCS)})")

    return ev(tree)


def _expr_tensor(spec: Any, t: torch.Tensor, shape: tuple[int, ...], name: str) -> torch.Tensor:
    """[T, *shape] from an expression (scalar params) or nested lists of expressions."""
    if isinstance(spec, (str, int, float)) and not isinstance(spec, bool):
        v = eval_expr(str(spec), t)
        return v.reshape(-1, *([1] * len(shape))).expand(-1, *shape).clone() if shape else v
    if isinstance(spec, list):
        parts = [_expr_tensor(s, t, shape[1:], name) for s in spec]
        if not shape or len(parts) != shape[0]:
            raise ValueError(f"path.theta.{name}: nested list does not match shape {list(shape)}")
        return torch.stack(parts, dim=1)
    raise ValueError(f"path.theta.{name}: expected an expression or a list of them, got {spec!r}")


def path_points(claim: Claim, setting: Setting, extend: tuple[float, ...] = ()) -> tuple[torch.Tensor, dict[str, torch.Tensor], bool]:
    """(t [T], params name -> [T, *shape], closed_form). ``extend`` multiplies the last t (closed form only)."""
    shapes = setting.param_shapes
    spec = claim.extra.get("path")
    samples = {k[len("path."):]: v for k, v in claim.extra_tensors.items() if k.startswith("path.")}
    if spec is not None:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("t"), list) or len(spec["t"]) < 2:
            raise ValueError("path: closed form needs 't' (a list of at least 2 numbers) and 'theta'")
        t = torch.tensor([float(v) for v in spec["t"]], dtype=torch.float64)
        if extend:
            t = torch.cat([t, t[-1] * torch.tensor(extend, dtype=torch.float64)])
        exprs = spec.get("theta") or {}
        unknown = set(exprs) - set(shapes)
        if unknown:
            raise ValueError(f"path.theta: unknown parameters {sorted(unknown)}")
        params = {}
        for k, shape in shapes.items():
            if k in exprs:
                params[k] = _expr_tensor(exprs[k], t, shape, k)
            elif k in claim.theta:
                params[k] = claim.theta[k].to(torch.float64).expand(len(t), *shape).clone()
            else:
                raise ValueError(f"path: parameter {k} has neither an expression nor a theta value")
        return t, params, True
    if not samples:
        raise ValueError("a path claim needs 'path' (closed form) in claim.json or path.<param> tensors")
    unknown = set(samples) - set(shapes)
    if unknown:
        raise ValueError(f"path samples for unknown parameters {sorted(unknown)}")
    T = {int(v.shape[0]) for v in samples.values()}
    if len(T) != 1 or T == {0}:
        raise ValueError(f"path samples must share one leading length T >= 2, got {sorted(T)}")
    n_t = T.pop()
    if n_t < 2:
        raise ValueError("a sampled path needs at least 2 points")
    t = claim.extra_tensors.get("path_t", torch.arange(n_t, dtype=torch.float64)).to(torch.float64)
    params = {}
    for k, shape in shapes.items():
        if k in samples:
            if tuple(samples[k].shape[1:]) != tuple(shape):
                raise ValueError(f"path.{k}: shape {list(samples[k].shape)}, expected [T, {', '.join(map(str, shape))}]")
            params[k] = samples[k].to(torch.float64)
        elif k in claim.theta:
            params[k] = claim.theta[k].to(torch.float64).expand(n_t, *shape).clone()
        else:
            raise ValueError(f"path: parameter {k} has neither samples nor a theta value")
    return t, params, False


def _polyline(params: dict[str, torch.Tensor], sub: int) -> dict[str, torch.Tensor]:
    """Insert ``sub - 1`` evenly spaced points into each segment of a sampled path."""
    out = {}
    w = torch.linspace(0, 1, sub + 1, dtype=torch.float64)[:-1]
    for k, v in params.items():
        a, b = v[:-1], v[1:]
        shape = (-1,) + (1,) * (v.dim() - 1)
        seg = a.unsqueeze(1) + (b - a).unsqueeze(1) * w.reshape(1, *shape)
        out[k] = torch.cat([seg.reshape(-1, *v.shape[1:]), v[-1:]])
    return out


def judge_path(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto") -> Verdict:
    """Judge a claimed decreasing path to infinity (see the module docstring)."""
    cfg = config if isinstance(config, RefereeConfig) else RefereeConfig.from_mapping(config)
    tol = asdict(cfg)
    try:
        setting = Setting.from_config(claim.setting)
    except (ValueError, KeyError, TypeError) as exc:
        return Verdict("invalid", [f"setting: {exc}"], {}, tol)
    problems = _check_params("theta", claim.theta, {k: s for k, s in setting.param_shapes.items() if k in claim.theta}, cfg)
    if claim.witness is not None:
        problems += _check_params("witness", claim.witness, setting.param_shapes, cfg)
    if claim.X.dim() != 2 or claim.y.dim() != 1 or claim.X.shape[0] != claim.y.shape[0]:
        problems.append(f"X [n, d] and y [n] do not match: {list(claim.X.shape)}, {list(claim.y.shape)}")
    elif not ((claim.y == 1) | (claim.y == -1)).all():
        problems.append("labels must be in {-1, +1}")
    try:
        t, pts, closed = path_points(claim, setting)
    except (ValueError, RuntimeError) as exc:
        problems.append(str(exc))
    if problems:
        return Verdict("invalid", problems, {}, tol)
    dev = resolve_device(device)
    start = time.perf_counter()
    X = claim.X.to(dev, torch.float64)
    y = claim.y.to(dev, torch.float64)
    if closed:  # dense in t, and far beyond the last given t
        lo, hi = float(t[0]), float(t[-1])
        dense = claim.extra["path"] | {"t": torch.linspace(lo, hi, 40 * len(t)).tolist()}
        t, pts, _ = path_points(Claim(claim.setting, claim.X, claim.y, claim.theta, extra={"path": dense}),
                                setting, extend=(2.0, 4.0, 8.0, 16.0, 32.0))
    else:
        pts = _polyline(pts, 4)
    pts = {k: v.to(dev) for k, v in pts.items()}
    losses = setting.empirical_loss(pts, X, y)
    norms = setting.flatten(pts).norm(dim=-1)
    ev: dict[str, Any] = {"setting": setting.describe(), "device": str(dev), "closed_form": closed,
                          "points": int(losses.numel()), "loss_start": float(losses[0]), "loss": float(losses[-1]),
                          "norm_start": float(norms[0]), "norm_end": float(norms[-1])}
    if not torch.isfinite(losses).all() or not torch.isfinite(norms).all():
        return Verdict("invalid", ["the loss or the norm is not finite along the path"], ev, tol)
    scale = max(1.0, float(losses.abs().max()))
    rises = losses[1:] - losses[:-1]
    worst = int(torch.argmax(rises))
    ev["max_loss_increase"] = float(rises[worst])
    reasons = []
    if float(rises[worst]) > cfg.descent_tol * scale:
        reasons.append(f"the loss rises by {float(rises[worst]):.3g} between path points {worst} and {worst + 1}")
    tail = norms[len(norms) // 2:]
    ev["norm_ratio"] = float(norms[-1] / norms[0].clamp(min=1e-300))
    if not bool((tail[1:] >= tail[:-1] - 1e-12).all()) or ev["norm_ratio"] < cfg.path_norm_growth:
        reasons.append(f"‖θ(t)‖ does not keep growing (end/start = {ev['norm_ratio']:.3g}, "
                       f"needed >= {cfg.path_norm_growth:g}, increasing over the second half)")
    last_drop = float(losses[-2] - losses[-1])
    ev["last_step_drop"] = last_drop
    ev["settled"] = last_drop <= cfg.path_settle_tol * scale
    if reasons:
        ev["timings"] = {"total": time.perf_counter() - start}
        return Verdict("not_a_descending_path", reasons, ev, tol)
    best = float(losses[-1])
    ev["witness_loss"] = None
    if claim.witness is not None:
        ev["witness_loss"] = float(setting.empirical_loss(_to64(claim.witness, dev), X, y))
        best = min(best, ev["witness_loss"])
    if cfg.restarts > 0:
        search = badness_search(setting, X, y, cfg, dev)
        search.pop("best_params")
        ev["search"] = search
        best = min(best, search["best_loss"])
    ev["best_loss"] = best
    ev["gap"] = float(losses[-1]) - best
    ev["timings"] = {"total": time.perf_counter() - start}
    needed = cfg.gap_tol + cfg.gap_rel_tol * abs(float(losses[-1]))
    desc = (f"loss non-increasing from {float(losses[0]):.6g} to {float(losses[-1]):.6g} over {len(losses)} points; "
            f"‖θ‖ grows {ev['norm_ratio']:.3g}x" + ("" if ev["settled"] else " (the loss is still dropping at the end)"))
    if ev["gap"] <= needed:
        return Verdict("not_bad", [desc, f"gap {ev['gap']:.3g} <= {needed:.3g}: the path's loss is not above the best found"], ev, tol)
    return Verdict("bad_path_to_infinity", [desc, f"the path settles {ev['gap']:.6g} above the best loss {best:.6g}"], ev, tol)
