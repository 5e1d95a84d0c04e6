"""What each picture of a match plots, computed from its claim and verdict (no drawing here).

Every function returns a JSON-ready dict of plain lists and numbers; :mod:`arena.report.figures`
draws them and :func:`arena.report.build.draw_match` writes both beside ``verdict.json``.

The point at the centre of every picture is the claim re-polished with the verdict's own
tolerances (the same deterministic step the referee ran), so its loss is the verdict's ``loss``.
The "target" of a local-minimum claim is the witness when the claim has one, else the best point
of the referee's own search (recomputed with the verdict's seed), else the lowest point a probe
found; it is the other end of the segment and the first axis of the 2-D slice.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from arena.claims import Claim, ClaimFileError, load_claim
from arena.landscape.setting import Setting
from arena.referee.curvature import Spectrum, gradient, hessian_spectrum, loss_of_flat
from arena.referee.judge import RefereeConfig, badness_search
from arena.referee.polish import polish
from arena.referee.probes import gated_units, kink_directions, probe_gated, unit_rows

MAX_BATCH_ENTRIES = 20_000_000  # points x parameters evaluated at once (memory bound)


@dataclass
class MatchData:
    """One judged claim, in float64. X: [n, d], y: [n]; ``verdict`` as written in verdict.json."""

    match_dir: Path
    result: dict[str, Any]
    verdict: dict[str, Any]
    claim: Claim
    setting: Setting
    X: torch.Tensor
    y: torch.Tensor
    cfg: RefereeConfig

    @property
    def evidence(self) -> dict[str, Any]:
        return self.verdict.get("evidence") or {}

    def loss(self, v: torch.Tensor) -> torch.Tensor:
        """L at flat points v [*B, P] -> [*B], evaluated in chunks."""
        f = loss_of_flat(self.setting, self.X, self.y)
        if v.dim() == 1:
            return f(v)
        flat = v.reshape(-1, v.shape[-1])
        step = max(1, MAX_BATCH_ENTRIES // max(1, v.shape[-1] * self.X.shape[0]))
        with torch.no_grad():
            out = torch.cat([f(flat[i:i + step]) for i in range(0, flat.shape[0], step)])
        return out.reshape(v.shape[:-1])


def load_match(match_dir: str | Path) -> MatchData | None:
    """The judged claim of a match folder, or None when it has no claim or verdict to draw.

    Raises ValueError (one line naming the file) when the files exist but cannot be read.
    """
    match_dir = Path(match_dir)
    if not all((match_dir / n).is_file() for n in ("result.json", "verdict.json", "claim.json")):
        return None
    try:
        result = json.loads((match_dir / "result.json").read_text())
        verdict = json.loads((match_dir / "verdict.json").read_text())
        claim = load_claim(match_dir / "claim.json")
        setting = Setting.from_config(claim.setting)
        cfg = RefereeConfig.from_mapping({k: v for k, v in (verdict.get("tolerances") or {}).items()
                                          if k in RefereeConfig.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError, ClaimFileError) as exc:
        raise ValueError(f"cannot read the judged claim ({exc})") from exc
    if verdict.get("verdict") in ("invalid", "error"):
        return None
    X = claim.X.to(torch.float64)
    y = claim.y.to(torch.float64)
    return MatchData(match_dir, result, verdict, claim, setting, X, y, cfg)


def flat_point(md: MatchData, params: dict[str, torch.Tensor] | None) -> torch.Tensor | None:
    if params is None:
        return None
    return md.setting.flatten({k: v.to(torch.float64) for k, v in params.items()})


def centre(md: MatchData) -> torch.Tensor:
    """The claim re-polished exactly as the referee did (its loss is the verdict's ``loss``): [P]."""
    v0 = flat_point(md, md.claim.theta)
    radius = md.cfg.polish_radius * max(1.0, float(v0.norm()))
    return polish(md.setting, md.X, md.y, v0, radius=radius, max_iter=md.cfg.polish_iters,
                  exact_max_params=md.cfg.hessian_exact_max_params).v


def param_names(setting: Setting) -> list[str]:
    """One readable name per flat coordinate, e.g. ``layers.0.weight[2,1]``."""
    names: list[str] = []
    for k, shape in setting.param_shapes.items():
        if math.prod(shape) == 1:
            names.append(k)
            continue
        idx: list[tuple[int, ...]] = [()]
        for s in shape:
            idx = [i + (j,) for i in idx for j in range(s)]
        names += [f"{k}[{','.join(map(str, i))}]" for i in idx]
    return names


def named_components(setting: Setting, d: torch.Tensor, top: int = 4) -> dict[str, float]:
    """The largest components of a direction d [P], by parameter name."""
    names = param_names(setting)
    order = torch.argsort(d.abs(), descending=True)[:top].tolist()
    return {names[i]: round(float(d[i]), 4) for i in order if abs(float(d[i])) > 1e-9}


# --------------------------------------------------------------------------------------------
# filter normalisation (Li, Xu, Taylor, Studer, Goldstein, NeurIPS 2018)


def units(setting: Setting) -> list[tuple[str, list[int]]]:
    """The units of a network as flat index groups: (name, indices).

    Unit j of a layer ``L`` is row j of ``L.weight`` together with ``L.bias[j]`` (a neuron, the
    "filter" of Li et al.); any other parameter tensor is grouped with the tensors sharing its
    prefix (``exp.w``, ``exp.b``, ``exp.a`` form the unit ``exp``).
    """
    offsets, i = {}, 0
    for k, shape in setting.param_shapes.items():
        offsets[k] = (i, shape)
        i += math.prod(shape)
    groups: dict[str, list[int]] = {}
    for k, (start, shape) in offsets.items():
        prefix, _, leaf = k.rpartition(".")
        if leaf == "weight" and len(shape) == 2:
            rows, cols = shape
            bias = offsets.get(f"{prefix}.bias")
            for j in range(rows):
                idx = list(range(start + j * cols, start + (j + 1) * cols))
                if bias is not None and bias[1] == (rows,):
                    idx.append(bias[0] + j)
                groups[f"{prefix}[{j}]"] = idx
        elif leaf == "bias" and f"{prefix}.weight" in offsets and len(offsets[f"{prefix}.weight"][1]) == 2 \
                and shape == (offsets[f"{prefix}.weight"][1][0],):
            continue  # already with its weight rows
        else:
            groups.setdefault(prefix or k, []).extend(range(start, start + math.prod(shape)))
    return list(groups.items())


def filter_normalise(setting: Setting, d: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """d [P] rescaled per unit u: d_u ← d_u / ‖d_u‖ · ‖v_u‖ (units where d_u = 0 stay 0)."""
    out = torch.zeros_like(d)
    for _, idx in units(setting):
        du = d[idx]
        n = float(du.norm())
        if n > 0:
            out[idx] = du / n * float(v[idx].norm())
    return out


# --------------------------------------------------------------------------------------------
# the point, its target and the Hessian


def spectrum(md: MatchData, v: torch.Tensor) -> Spectrum:
    return hessian_spectrum(md.setting, md.X, md.y, v, exact_max_params=md.cfg.hessian_exact_max_params)


def target(md: MatchData, v: torch.Tensor, descent: list[tuple[str, torch.Tensor]]) -> tuple[torch.Tensor, str] | None:
    """The other end of the segment: (point [P], label), or None when there is none."""
    w = flat_point(md, md.claim.witness)
    best = md.evidence.get("best_loss")
    if w is not None and (best is None or float(md.loss(w)) <= best + 1e-12):
        return w, "witness"
    if md.evidence.get("search") and md.cfg.restarts > 0:
        found = badness_search(md.setting, md.X, md.y, md.cfg, torch.device("cpu"))
        return flat_point(md, found["best_params"]), "referee's best point"
    if w is not None:
        return w, "witness"
    if descent:
        label, p = descent[0]  # the largest ball with descent
        return p, f"descent ({label})"
    return None


def segment(md: MatchData, v: torch.Tensor, tgt: torch.Tensor, label: str) -> dict[str, Any]:
    """L(v + t (w − v)) for t in [−0.25, 1.25] (t = 0 and t = 1 sampled exactly)."""
    t = torch.arange(-20, 101, dtype=torch.float64) / 80
    losses = md.loss(v + t.unsqueeze(1) * (tgt - v))
    return {"t": t.tolist(), "loss": losses.tolist(), "loss_claim": float(md.loss(v)),
            "loss_target": float(md.loss(tgt)), "target": label, "distance": float((tgt - v).norm()),
            "verdict_loss": md.evidence.get("loss"), "verdict_best_loss": md.evidence.get("best_loss")}


def spectrum_data(md: MatchData, spec: Spectrum) -> dict[str, Any]:
    """All eigenvalues when exact, the Lanczos extremes otherwise; flat directions by name."""
    values = spec.all_values if spec.all_values is not None else spec.values
    flat = [i for i, lam in enumerate(spec.values) if abs(lam) <= md.cfg.eig_tol]
    named = [named_components(md.setting, torch.as_tensor(spec.vectors[:, i])) for i in flat[:6]]
    low = int(spec.values.argmin())
    return {"method": spec.method, "eigenvalues": sorted(float(x) for x in values), "eig_tol": md.cfg.eig_tol,
            "flat_directions": len(flat), "flat_named": named,
            "min_eig": float(spec.values.min()), "min_named": named_components(md.setting, torch.as_tensor(spec.vectors[:, low])),
            "verdict_flat_basis": md.evidence.get("flat_basis")}


# --------------------------------------------------------------------------------------------
# the referee's probes, family by family


def probe_directions(md: MatchData, v: torch.Tensor, spec: Spectrum) -> dict[str, torch.Tensor]:
    """The referee's direction families at v (unit rows [m, P]), built as the referee builds them."""
    cfg, P = md.cfg, v.numel()
    vals = torch.as_tensor(spec.values)
    vecs = torch.as_tensor(spec.vectors.T, dtype=torch.float64)
    neg = vecs[vals < -cfg.eig_tol]
    flat = vecs[vals.abs() <= cfg.eig_tol]
    if flat.shape[0]:
        mix = torch.randn(cfg.probe_descent_starts, flat.shape[0], dtype=torch.float64,
                          generator=torch.Generator().manual_seed(cfg.seed + 1)) @ flat
        flat = torch.cat([flat, -flat, mix])
    kink, _ = kink_directions(md.setting, md.setting.unflatten(v), md.X, cfg.kink_tol)
    fams = {"random": torch.randn(cfg.probe_random, P, generator=torch.Generator().manual_seed(cfg.seed), dtype=torch.float64),
            "gradient": -gradient(md.setting, md.X, md.y, v).unsqueeze(0),
            "hessian_negative": torch.cat([neg, -neg]), "kink": kink, "flat": flat}
    w = flat_point(md, md.claim.witness)
    if w is not None:
        fams["witness"] = (w - v).unsqueeze(0)
    out = {}
    for name, D in fams.items():
        rows = unit_rows(D) if D.numel() else D
        if rows.shape[0]:
            out[name] = rows
    return out


def power_fit(radii: list[float], deltas: list[float]) -> dict[str, float] | None:
    """Least-squares fit of −ΔL = c·r^p over the radii with descent (at least two)."""
    pts = [(math.log(r), math.log(-d)) for r, d in zip(radii, deltas) if d < 0]
    if len(pts) < 2:
        return None
    xs, ys = torch.tensor(pts, dtype=torch.float64).T
    A = torch.stack([xs, torch.ones_like(xs)], 1)
    p, c = torch.linalg.lstsq(A, ys.unsqueeze(1)).solution.flatten().tolist()
    return {"power": p, "coef": math.exp(c), "points": len(pts)}


def probes(md: MatchData, v: torch.Tensor, spec: Spectrum) -> tuple[dict[str, Any], list[tuple[str, torch.Tensor]]]:
    """min ΔL per radius and family (no descent runs), the referee's own numbers beside them.

    Returns (data, descent points [(label, point [P])] from the largest radius down).
    """
    cfg = md.cfg
    base = float(md.loss(v))
    tol = cfg.descent_tol * max(1.0, abs(base))
    recorded = [p["radius"] for p in md.verdict.get("evidence", {}).get("probes", []) if "radius" in p]
    radii = recorded or list(cfg.probe_radii)  # the radii the referee probed at, when it recorded them
    fams: dict[str, list[float]] = {}
    found: list[tuple[float, str, torch.Tensor]] = []
    gen = torch.Generator().manual_seed(cfg.seed)
    gated = gated_units(md.setting, md.setting.unflatten(v))
    for name, D in probe_directions(md, v, spec).items():
        fams[name] = []
        for r in radii:
            deltas = md.loss(v + r * D) - base
            k = int(torch.argmin(deltas))
            fams[name].append(float(deltas[k]))
            if float(deltas[k]) < -tol:
                found.append((r, name, v + r * D[k]))
    if gated:
        fams["gated"] = []
        for r in radii:
            delta, source, d = probe_gated(md.setting, md.X, md.y, v, gated, r, turns=cfg.probe_descent_starts, generator=gen)
            fams["gated"].append(delta)
            if delta < -tol:
                found.append((r, source, v + r * d))
    referee = md.evidence.get("probes") or []
    data = {"radii": radii, "tol": tol, "families": fams,
            "fits": {k: power_fit(radii, d) for k, d in fams.items()},
            "referee": {"radii": [p["radius"] for p in referee], "min_delta": [p["min_delta"] for p in referee],
                        "source": [p["source"] for p in referee], "descent": [p["descent"] for p in referee]}}
    found.sort(key=lambda f: -f[0])
    return data, [(f"{name} r={r:g}", p) for r, name, p in found]


# --------------------------------------------------------------------------------------------
# the 2-D slice


def second_axis(md: MatchData, v: torch.Tensor, a: torch.Tensor, spec: Spectrum) -> tuple[torch.Tensor, str]:
    """The most negative Hessian direction, else the flat one least aligned with a; filter-normalised."""
    vals = torch.as_tensor(spec.values)
    vecs = torch.as_tensor(spec.vectors.T, dtype=torch.float64)
    if float(vals.min()) < -md.cfg.eig_tol:
        order, kind = [int(vals.argmin())], "most negative"
    else:
        flat = (vals.abs() <= md.cfg.eig_tol).nonzero().flatten().tolist()
        order, kind = (flat, "flat") if flat else ([int(vals.abs().argmin())], "flattest")
    best: tuple[float, torch.Tensor, int] | None = None
    an = a / a.norm().clamp(min=1e-300)
    for i in order:
        b = filter_normalise(md.setting, vecs[i], v)
        if float(b.norm()) == 0:
            continue
        cos = abs(float(an @ b) / float(b.norm()))
        if best is None or cos < best[0]:
            best = (cos, b, i)
    if best is None:  # every unit it touches has zero weights: no per-unit scale exists
        i = order[0]
        return vecs[i] * float(a.norm()), f"{kind} Hessian direction (λ = {float(vals[i]):.3g}), scaled to ‖a‖"
    return best[1], f"{kind} Hessian direction (λ = {float(vals[best[2]]):.3g}), filter-normalised"


def slice_2d(md: MatchData, v: torch.Tensor, tgt: tuple[torch.Tensor, str] | None, spec: Spectrum,
             descent: list[tuple[str, torch.Tensor]]) -> dict[str, Any]:
    """L(v + α a + β b) on a grid, a = target − v (the target sits at (1, 0)), b from :func:`second_axis`.

    α ∈ [−0.5, 1.5] and β ∈ [−1, 1] in steps of 0.05; (0, 0) is sampled exactly.
    """
    if tgt is not None:
        a, a_label = tgt[0] - v, tgt[1]
    else:
        rand = torch.randn(v.numel(), generator=torch.Generator().manual_seed(md.cfg.seed), dtype=torch.float64)
        a, a_label = filter_normalise(md.setting, rand, v), "random direction, filter-normalised"
    b, b_label = second_axis(md, v, a, spec)
    alpha = torch.arange(-10, 31, dtype=torch.float64) / 20
    beta = torch.arange(-20, 21, dtype=torch.float64) / 20
    pts = v + alpha.reshape(1, -1, 1) * a + beta.reshape(-1, 1, 1) * b  # [beta, alpha, P]
    grid = md.loss(pts)
    basis = torch.stack([a, b], 1)  # [P, 2]
    marks = []
    for label, p in descent[:8]:
        coef = torch.linalg.lstsq(basis, (p - v).unsqueeze(1)).solution.flatten()
        off = float(((p - v) - basis @ coef).norm() / (p - v).norm().clamp(min=1e-300))
        marks.append({"label": label, "alpha": float(coef[0]), "beta": float(coef[1]), "off_plane": off})
    return {"alpha": alpha.tolist(), "beta": beta.tolist(), "loss": grid.tolist(), "centre_loss": float(md.loss(v)),
            "axis_a": a_label, "axis_b": b_label, "target": None if tgt is None else tgt[1],
            "target_loss": None if tgt is None else float(md.loss(tgt[0])), "descent_marks": marks}


# --------------------------------------------------------------------------------------------
# the data and the decision function; paths


def decision(md: MatchData, v: torch.Tensor, tgt: tuple[torch.Tensor, str] | None) -> dict[str, Any] | None:
    """f(x) at the claim and at the target on a grid over the inputs (1-D and 2-D inputs only)."""
    d = md.X.shape[1]
    if d not in (1, 2):
        return None
    lo, hi = md.X.min(0).values, md.X.max(0).values
    pad = 0.2 * (hi - lo) + 0.5
    n = 400 if d == 1 else 81
    axes = [torch.linspace(float(lo[i] - pad[i]), float(hi[i] + pad[i]), n, dtype=torch.float64) for i in range(d)]
    grid = axes[0].unsqueeze(1) if d == 1 else torch.stack(torch.meshgrid(axes[0], axes[1], indexing="xy"), -1).reshape(-1, 2)
    out = lambda p: md.setting.output(md.setting.unflatten(p), grid).detach()  # noqa: E731
    shape = (n,) if d == 1 else (n, n)
    data = {"dim": d, "X": md.X.tolist(), "y": md.y.tolist(), "axes": [ax.tolist() for ax in axes],
            "f_claim": out(v).reshape(shape).tolist(), "target": None, "f_target": None,
            "dead_units_claim": dead_units(md, v)}
    if tgt is not None:
        data.update(target=tgt[1], f_target=out(tgt[0]).reshape(shape).tolist())
    return data


def dead_units(md: MatchData, v: torch.Tensor) -> list[str]:
    """Hidden units of a kinked neuron inactive (z <= kink) on every sample."""
    s = md.setting
    if not s.builtin or s.neuron is None or not s.neuron.kinks:
        return []
    pre = s.preactivations(s.unflatten(v), md.X)
    kink = min(s.neuron.kinks)
    return [f"{k}[{j}]" for k, z in pre.items() if k.startswith("layers.")
            for j in range(z.shape[-1]) if bool((z[:, j] <= kink).all())]


def path_curve(md: MatchData) -> dict[str, Any]:
    """L(t) and ‖θ(t)‖ along a path claim, densified and extended as the referee does."""
    from arena.referee.paths import path_points

    t, pts, closed = path_points(md.claim, md.setting)
    if closed:
        dense = md.claim.extra["path"] | {"t": torch.linspace(float(t[0]), float(t[-1]), 40 * len(t)).tolist()}
        probe = Claim(md.claim.setting, md.claim.X, md.claim.y, md.claim.theta, extra={"path": dense})
        t, pts, _ = path_points(probe, md.setting, extend=(2.0, 4.0, 8.0, 16.0, 32.0))
    with torch.no_grad():
        losses = md.setting.empirical_loss(pts, md.X, md.y)
        norms = md.setting.flatten(pts).norm(dim=-1)
    ev = md.evidence
    return {"t": t.tolist(), "loss": losses.tolist(), "norm": norms.tolist(), "closed_form": closed,
            "best_loss": ev.get("best_loss"), "limit": ev.get("limit"), "limit_error": ev.get("limit_error")}
