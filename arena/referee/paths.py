"""Decreasing paths to infinity: the second claim kind (the catalogue's A12 and D3 constructions).

A path claim (``"kind": "path"``) gives θ(t) either as samples — tensors ``path.<param>`` of shape
``[T, *shape]`` (parameters absent from the samples stay at ``theta.<param>``), optionally
``path_t`` ``[T]`` — or in closed form in ``claim.json``::

    "path": {"t": [0, 1, 2, 4, 8, 16],
             "theta": {"exp.w": ["t"], "exp.a": "exp(-t)", "exp.b": "0"}}

where each entry is an expression in ``t`` (numbers, ``t``, ``+ - * / **``, ``exp log sqrt sin cos
tanh``; parsed, never executed as code), or a nested list of them for a tensor parameter.

A path claim is validated like a local-minimum claim (sizes, finiteness, ``input_dim``, labels;
``theta`` may leave out what the path supplies), plus a bound on the number of t values
(``max_path_points``) and on the cost of the densified evaluation (``max_path_evaluations``:
points × samples × parameters). Then the referee checks, on the polyline through the samples or
densely for a closed form (which is also evaluated ``path_extend_decades`` decades past its last t):

1. the loss is non-increasing along the path;
2. ‖θ(t)‖ goes to infinity: it keeps growing, by at least ``path_norm_growth``, and its increase per
   decade of t does not die out (at least logarithmic growth) over a t range of at least
   ``path_min_decades`` decades;
3. the tail's limit: L∞ ± error from :func:`arena.referee.tailfit.fit_tail` on the last decade;
   the tail is *settled* when its fitted remaining descent L(t_end) − L∞ is within the error bar
   (plus ``path_settle_tol``);
4. badness: L∞ − best > gap + error, with best the lowest loss found (witness, the referee's own
   restarts, the path itself).

Verdicts: ``bad_path_to_infinity`` (all four hold), ``not_a_descending_path`` (1 or 2 fails),
``not_bad`` (the path reaches, or provably tends to, the best loss), ``inconclusive`` (too short a
t range, a tail still descending, or a gap within the error bar: counted as ``held``), ``invalid``.
"""
from __future__ import annotations

import ast
import math
import time
from dataclasses import asdict
from typing import Any, Callable, Mapping

import torch

from arena.claims import Claim
from arena.engine.population import resolve_device
import numpy as np

from arena.referee.config import RefereeConfig, Verdict
from arena.referee.steps.badness import badness_search
from arena.referee.steps.validate import validate
from arena.referee.params import to64 as _to64
from arena.referee.tailfit import fit_tail
from arena.landscape.setting import Setting

PATH_ERRORS = (ValueError, RuntimeError, TypeError, OverflowError, RecursionError, ZeroDivisionError)

_FUNCS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos,
          "tanh": torch.tanh}
_BINOPS: dict[type, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div, ast.Pow: torch.pow}


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


def path_points(claim: Claim, setting: Setting, extend: tuple[float, ...] = (),
                max_points: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor], bool]:
    """(t [T], params name -> [T, *shape], closed_form). ``extend`` multiplies the last t (closed form only)."""
    spec = claim.extra.get("path")
    if spec is not None:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("t"), list) or len(spec["t"]) < 2:
            raise ValueError("path: closed form needs 't' (a list of at least 2 numbers) and 'theta'")
        if max_points is not None and len(spec["t"]) > max_points:
            raise ValueError(f"path: {len(spec['t'])} t values exceed the limit max_path_points={max_points}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec["t"]):
            raise ValueError("path.t must be a list of numbers")
        t = torch.tensor([float(v) for v in spec["t"]], dtype=torch.float64)
        if extend:
            t = torch.cat([t, t[-1] * torch.tensor(extend, dtype=torch.float64)])
        return t, closed_form_points(claim, setting, t), True
    samples = {k[len("path."):]: v for k, v in claim.extra_tensors.items() if k.startswith("path.")}
    if not samples:
        raise ValueError("a path claim needs 'path' (closed form) in claim.json or path.<param> tensors")
    shapes = setting.param_shapes
    unknown = set(samples) - set(shapes)
    if unknown:
        raise ValueError(f"path samples for unknown parameters {sorted(unknown)}")
    T = {int(v.shape[0]) if v.dim() else 0 for v in samples.values()}
    if len(T) != 1 or T.pop() < 2:
        raise ValueError("path samples must share one leading length T >= 2")
    n_t = int(next(iter(samples.values())).shape[0])
    if max_points is not None and n_t > max_points:
        raise ValueError(f"path: {n_t} samples exceed the limit max_path_points={max_points}")
    t = claim.extra_tensors.get("path_t", torch.arange(n_t, dtype=torch.float64))
    if not t.is_floating_point() and t.dtype != torch.int64 or tuple(t.shape) != (n_t,):
        raise ValueError(f"path_t must be a real tensor [T] = [{n_t}], got {t.dtype} {list(t.shape)}")
    params = {}
    for k, shape in shapes.items():
        if k in samples:
            if tuple(samples[k].shape[1:]) != tuple(shape) or not samples[k].is_floating_point():
                raise ValueError(f"path.{k}: {samples[k].dtype} {list(samples[k].shape)}, expected float "
                                 f"[T, {', '.join(map(str, shape))}]")
            params[k] = samples[k].to(torch.float64)
        elif k in claim.theta:
            params[k] = claim.theta[k].to(torch.float64).expand(n_t, *shape).clone()
        else:
            raise ValueError(f"path: parameter {k} has neither samples nor a theta value")
    return t.to(torch.float64), params, False


def closed_form_points(claim: Claim, setting: Setting, t: torch.Tensor) -> dict[str, torch.Tensor]:
    """The closed-form path ``claim.extra["path"]`` at ``t`` [T]: name -> [T, *shape]."""
    exprs = claim.extra["path"].get("theta") or {}
    if not isinstance(exprs, Mapping):
        raise ValueError("path.theta must be a mapping from parameter names to expressions")
    shapes = setting.param_shapes
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
    return params


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


def _path_problems(t: torch.Tensor, pts: dict[str, torch.Tensor], setting: Setting, n: int,
                   cfg: RefereeConfig) -> list[str]:
    """Path-specific validation: t finite and strictly increasing, points finite, cost bounded."""
    problems = []
    if not bool(torch.isfinite(t).all()) or not bool((t[1:] > t[:-1]).all()):
        problems.append("path t values must be finite and strictly increasing")
    bad = [k for k, v in pts.items() if not bool(torch.isfinite(v).all())]
    if bad:
        problems.append(f"path: non-finite parameter values along the path in {bad[:5]}")
    cost = len(t) * n * setting.num_params
    if cost > cfg.max_path_evaluations:
        problems.append(f"path evaluation cost {len(t)} points × {n} samples × {setting.num_params} parameters "
                        f"= {cost:.3g} exceeds max_path_evaluations={cfg.max_path_evaluations:.3g}")
    return problems


def _densify(claim: Claim, setting: Setting, t: torch.Tensor, pts: dict[str, torch.Tensor], closed: bool,
             n: int, cfg: RefereeConfig) -> tuple[torch.Tensor, dict[str, torch.Tensor], int]:
    """Dense points for the checks: (t, params, index of the first point past the given t range).

    A closed form is sampled 40 times more densely in its given range and geometrically (20 points
    per decade) for ``path_extend_decades`` decades past it; a sampled path gets 4 points per segment
    (its polyline). Both within ``max_path_evaluations``.
    """
    per_point = max(1, n * setting.num_params)
    room = max(1, int(cfg.max_path_evaluations // (len(t) * per_point)))
    if not closed:
        sub = min(4, room)
        t_dense = _polyline({"t": t.unsqueeze(-1)}, sub)["t"].squeeze(-1) if sub > 1 else t
        return t_dense, (_polyline(pts, sub) if sub > 1 else pts), len(t_dense)
    inside = torch.linspace(float(t[0]), float(t[-1]), max(len(t), min(40, room) * len(t)), dtype=torch.float64)
    inside = torch.unique(torch.cat([inside, t]))
    extra = torch.zeros(0, dtype=torch.float64)
    if float(t[-1]) > 0 and cfg.path_extend_decades > 0:
        count = int(20 * cfg.path_extend_decades)
        budget = int(cfg.max_path_evaluations // per_point) - len(inside)
        count = max(0, min(count, budget))
        extra = torch.logspace(0, cfg.path_extend_decades, count + 1, dtype=torch.float64)[1:] * float(t[-1])
    dense = torch.cat([inside, extra])
    return dense, closed_form_points(claim, setting, dense), len(inside)


def _evaluate(setting: Setting, pts: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor,
              chunk_elems: int = 4_000_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss [T] and ‖θ‖ [T] along the points, in chunks that bound the memory."""
    T = int(next(iter(pts.values())).shape[0])
    step = max(1, chunk_elems // max(1, X.shape[0] + setting.num_params))
    losses, norms = [], []
    with torch.no_grad():
        for i in range(0, T, step):
            part = {k: v[i:i + step] for k, v in pts.items()}
            losses.append(setting.empirical_loss(part, X, y))
            norms.append(setting.flatten(part).norm(dim=-1))
    return torch.cat(losses), torch.cat(norms)


def _norm_checks(t: torch.Tensor, norms: torch.Tensor, cfg: RefereeConfig, ev: dict[str, Any]) -> list[str]:
    """Why ‖θ(t)‖ does not go to infinity (empty: it does, as far as the t range shows)."""
    tail = norms[len(norms) // 2:]
    ev["norm_ratio"] = float(norms[-1] / norms[0].clamp(min=1e-300))
    slack = 1e-12 * float(tail.abs().max())
    if not bool((tail[1:] >= tail[:-1] - slack).all()) or ev["norm_ratio"] < cfg.path_norm_growth:
        return [f"‖θ(t)‖ does not keep growing (end/start = {ev['norm_ratio']:.3g}, needed >= "
                f"{cfg.path_norm_growth:g}, increasing over the second half)"]
    if ev["t_decades"] < 2:
        return []  # too short to see how it grows; the caller decides (inconclusive)
    ts, ns = t.cpu().numpy(), norms.cpu().numpy()
    end = float(ts[-1])
    edges = [end / 100.0, end / 10.0, end]
    at = np.interp(edges, ts, ns)
    increments = [float(at[1] - at[0]), float(at[2] - at[1])]
    ev["norm_increase_per_decade"] = increments
    # at least logarithmic growth: the increase over the last decade is not much below the one before
    if not increments[1] > 0 or increments[1] < 0.5 * increments[0]:
        return [f"‖θ(t)‖ levels off: it grows by {increments[0]:.3g} over t in [{edges[0]:.3g}, {edges[1]:.3g}] "
                f"but by {increments[1]:.3g} over [{edges[1]:.3g}, {edges[2]:.3g}] (unbounded growth needs at "
                "least a steady increase per decade)"]
    return []


def _tail_limit(t: torch.Tensor, losses: torch.Tensor, ev: dict[str, Any]) -> tuple[float, float] | None:
    """L∞ and its error bar from the last decade of t (None when fewer than 6 points lie there)."""
    end = float(t[-1])
    mask = (t >= end / 10.0) & (t > 0)
    if int(mask.sum()) < 6:
        mask = torch.zeros_like(mask)
        mask[-6:] = True
        mask &= t > 0
    if int(mask.sum()) < 4:
        return None
    fit = fit_tail(t[mask].cpu().numpy(), losses[mask].cpu().numpy())
    ev["tail_fit"] = fit.to_dict()
    ev.update(limit=fit.limit, limit_error=fit.error, tail_model=fit.model)
    return fit.limit, fit.error


def _best_loss(claim: Claim, setting: Setting, X: torch.Tensor, y: torch.Tensor, losses: torch.Tensor,
               cfg: RefereeConfig, dev: torch.device, ev: dict[str, Any]) -> float:
    best = float(losses.min())
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
    return best


def _decide(ev: dict[str, Any], cfg: RefereeConfig, scale: float) -> tuple[str, list[str]]:
    """The verdict from the evidence: L∞ ± error, settledness, t range, best loss."""
    end, best = ev["loss"], ev["best_loss"]
    limit, err = ev.get("limit"), ev.get("limit_error")
    needed = cfg.gap_tol + cfg.gap_rel_tol * abs(end if limit is None else limit)
    ev["gap"] = (end if limit is None else limit) - best
    long_enough = ev["t_decades"] >= cfg.path_min_decades
    if end - best <= needed:
        return "not_bad", [f"the path reaches loss {end:.6g}, within {needed:.3g} of the best loss {best:.6g}"]
    if limit is None:
        return "inconclusive", ["too few path points with t > 0 in the last decade to estimate the limit"]
    assert err is not None  # the tail fit sets the limit and its error together
    if long_enough and limit + err - best <= needed:
        return "not_bad", [f"the tail tends to L∞ = {limit:.6g} ± {err:.2g} ({ev['tail_model']} fit), which is "
                           f"the best loss {best:.6g} within the gap tolerance {needed:.3g}"]
    if not long_enough:
        return "inconclusive", [f"the path's t range spans {ev['t_decades']:.2g} decades; at least "
                                f"{cfg.path_min_decades:g} are needed to tell where it goes"]
    remaining = end - limit
    ev["remaining_descent"] = remaining
    ev["settled"] = bool(remaining <= err + cfg.path_settle_tol * scale)
    if not ev["settled"]:
        return "inconclusive", [f"the tail still descends: L(t_end) − L∞ = {remaining:.3g} exceeds the error bar "
                                f"{err:.2g}, so the path has not settled"]
    if limit - err - best <= needed:
        return "inconclusive", [f"L∞ − best = {limit - best:.3g} is within the error bar {err:.2g} plus the gap "
                                f"tolerance {needed:.3g}"]
    return "bad_path_to_infinity", [f"the path settles at L∞ = {limit:.6g} ± {err:.2g} ({ev['tail_model']} tail "
                                    f"fit), {limit - best:.6g} above the best loss {best:.6g}"]


def judge_path(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto",
               *, setting: Setting | None = None) -> Verdict:
    """Judge a claimed decreasing path to infinity (see the module docstring)."""
    cfg = config if isinstance(config, RefereeConfig) else RefereeConfig.from_mapping(config)
    tol = asdict(cfg)
    setting, problems = validate(claim, cfg, setting)
    if not problems and setting is not None:
        try:
            t, pts, closed = path_points(claim, setting, max_points=cfg.max_path_points)
            problems += _path_problems(t, pts, setting, int(claim.X.shape[0]), cfg)
        except PATH_ERRORS as exc:
            problems.append(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
    if problems or setting is None:
        return Verdict("invalid", problems, {}, tol)
    dev = resolve_device(device)
    start = time.perf_counter()
    X = claim.X.to(dev, torch.float64)
    y = claim.y.to(dev, torch.float64)
    # decades are counted from the smallest positive t the claim gives, not from densified points
    first = float(t[t > 0].min()) if bool((t > 0).any()) else math.inf
    try:
        t, pts, given = _densify(claim, setting, t, pts, closed, int(X.shape[0]), cfg)
    except PATH_ERRORS as exc:
        return Verdict("invalid", [f"path: {exc}"], {}, tol)
    losses, norms = _evaluate(setting, {k: v.to(dev) for k, v in pts.items()}, X, y)
    finite = torch.isfinite(losses) & torch.isfinite(norms)
    if not bool(finite[:given].all()):
        return Verdict("invalid", ["the loss or the norm is not finite along the given path"], {}, tol)
    if not bool(finite.all()):  # the extension past the claim's range overflowed: stop before it
        keep = int(torch.nonzero(~finite)[0])
        t, losses, norms = t[:keep], losses[:keep], norms[:keep]
    t = t.to(dev)
    decades = max(0.0, math.log10(float(t[-1]) / first)) if math.isfinite(first) and float(t[-1]) > 0 else 0.0
    ev: dict[str, Any] = {"setting": setting.describe(), "device": str(dev), "closed_form": closed,
                          "points": int(losses.numel()), "t_end": float(t[-1]), "t_decades": decades,
                          "loss_start": float(losses[0]), "loss": float(losses[-1]),
                          "norm_start": float(norms[0]), "norm_end": float(norms[-1])}
    scale = max(1.0, float(losses.abs().max()))
    rises = losses[1:] - losses[:-1]
    worst = int(torch.argmax(rises))
    ev["max_loss_increase"] = float(rises[worst])
    reasons = []
    if float(rises[worst]) > cfg.descent_tol * scale:
        reasons.append(f"the loss rises by {float(rises[worst]):.3g} between path points {worst} and {worst + 1}")
    reasons += _norm_checks(t, norms, cfg, ev)
    if reasons:
        ev["timings"] = {"total": time.perf_counter() - start}
        return Verdict("not_a_descending_path", reasons, ev, tol)
    _tail_limit(t, losses, ev)
    _best_loss(claim, setting, X, y, losses, cfg, dev, ev)
    verdict, why = _decide(ev, cfg, scale)
    ev["timings"] = {"total": time.perf_counter() - start}
    desc = (f"loss non-increasing from {ev['loss_start']:.6g} to {ev['loss']:.6g} over {len(losses)} points, "
            f"t up to {ev['t_end']:.3g} ({decades:.2g} decades); ‖θ‖ grows {ev['norm_ratio']:.3g}x")
    return Verdict(verdict, [desc, *why], ev, tol)
