"""The referee: judges a claimed bad local minimum in float64 by a fixed, replayable protocol.

Steps (DESIGN.md, "The referee's protocol"):

1. **validate** the setting, names, shapes, finiteness, labels and sizes -> ``invalid``;
2. **polish**: damped Newton (L-BFGS for large nets) inside ``B(θ, polish_radius)``; a drop beyond
   ``polish_drop_tol`` -> ``not_local_min`` with the descent found;
3. **first order**: ‖∇L‖ at the polished point; for piecewise-linear neurons the smallest
   |pre-activation| and the units sitting on a kink; for saturating neurons the units pushed into
   saturation and their gradient rescaled by 1/σ' (the sign float64 noise hides);
4. **second order**: the smallest Hessian eigenvalue (exact, or Lanczos on Hessian-vector products),
   the number of flat directions, strictness;
5. **probes**: random and targeted perturbations (−gradient, negative-curvature and flat Hessian
   directions, the witness, one-sided moves of units on a kink, and "gated" units whose output
   weight is 0, turned first and then paid) over radii shrinking to the floor, plus short descent
   runs inside each ball; descent in every ball -> ``not_local_min``; descent that shrinks like a
   power of the radius until float64 cannot resolve it -> ``not_local_min`` (a higher-order escape);
6. **badness**: the witness's loss and the referee's own search (``restarts`` random initialisations
   trained at once by the population engine, then polished); ``gap = L(θ*) − best``;
7. **verdict**: ``bad_local_min``, ``not_local_min``, ``not_bad`` or ``invalid``, with every number.

The verdict is numerical evidence, not a proof; every tolerance is recorded in it. A local
minimum's evidence says whether it is strict (``strict``, ``flat_directions``). Path claims
(``kind: "path"``) are judged by :func:`arena.referee.paths.judge_path` (through :func:`judge_safely`).
"""
from __future__ import annotations

import math
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import torch

from arena.referee.certificates import dead_network
from arena.claims import Claim
from arena.referee.curvature import gradient, hessian_spectrum, loss_of_flat
from arena.referee.polish import polish
from arena.engine.population import resolve_device
from arena.referee.probes import ProbeReport, gated_units, kink_directions, probe_ball, probe_gated
from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Setting

VERDICTS = ("bad_local_min", "not_local_min", "bad_path_to_infinity", "not_a_descending_path", "not_bad", "invalid")


@dataclass
class RefereeConfig:
    """Every tolerance and budget of the protocol (recorded in each verdict)."""

    max_samples: int = 100_000
    max_params: int = 1_000_000
    max_abs_value: float = 1e6  # |θ| or |X| beyond this is refused as invalid
    polish_radius: float = 1e-2  # relative to max(1, ‖θ‖)
    polish_iters: int = 50
    polish_drop_tol: float = 1e-7  # relative to max(1, |L|)
    grad_tol: float = 1e-6
    hessian_exact_max_params: int = 2000
    eig_tol: float = 1e-7  # |λ| <= eig_tol counts as a flat direction
    kink_tol: float = 1e-9
    saturation_threshold: float = 1e-12  # a unit whose σ' < this on every sample is saturated
    saturation_grad_tol: float = 1e-6
    probe_radii: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
    probe_random: int = 256
    probe_descent_steps: int = 30
    probe_descent_starts: int = 8
    descent_tol: float = 1e-12  # relative to max(1, |L|)
    restarts: int = 64
    restart_steps: int = 1500
    restart_lr: float = 1e-2
    restart_init_scales: tuple[float, ...] = (1.0, 3.0)
    gap_tol: float = 1e-6  # absolute
    gap_rel_tol: float = 1e-4  # relative to max(1e-12, |L|)
    path_norm_growth: float = 2.0  # a path's ‖θ‖ must grow at least this factor
    path_settle_tol: float = 1e-3  # last drop of a path's loss counted as settled, relative
    seed: int = 0

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | None) -> "RefereeConfig":
        if cfg is None:
            return cls()
        names = {f.name for f in cls.__dataclass_fields__.values()}
        unknown = set(cfg) - names
        if unknown:
            raise ValueError(f"referee: unknown settings {sorted(unknown)}")
        kw = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in cfg.items()}
        out = cls(**kw)
        for name in ("polish_radius", "eig_tol", "descent_tol", "gap_tol", "grad_tol"):
            if not getattr(out, name) > 0:
                raise ValueError(f"referee.{name} must be > 0, got {getattr(out, name)!r}")
        return out


@dataclass
class Verdict:
    """The referee's decision and its evidence (JSON-ready via :meth:`to_dict`)."""

    verdict: str
    reasons: list[str]
    evidence: dict[str, Any]
    tolerances: dict[str, Any]
    polished: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    descent_direction: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        keys = ("loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig")
        top = {k: self.evidence.get(k) for k in keys}
        return {"verdict": self.verdict, **top, "reasons": self.reasons, "tolerances": self.tolerances,
                "evidence": self.evidence}

    def summary(self) -> str:
        e = self.evidence
        fmt = lambda v: "-" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))  # noqa: E731
        lines = [f"verdict: {self.verdict}"]
        for k in ("loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig", "flat_directions"):
            if k in e:
                lines.append(f"  {k}: {fmt(e[k])}")
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 1. validation


def validate(claim: Claim, cfg: RefereeConfig) -> tuple[Setting | None, list[str]]:
    """Problems that make a claim unjudgeable (empty list when it can be judged)."""
    problems: list[str] = []
    try:
        setting = Setting.from_config(claim.setting)
    except (ValueError, KeyError, TypeError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return None, [f"setting: {msg}"]
    X, y = claim.X, claim.y
    if not X.is_floating_point() or X.dim() != 2:
        problems.append(f"X must be a float tensor [n, d], got {X.dtype} with shape {list(X.shape)}")
    if y.dim() != 1:
        problems.append(f"y must be a tensor [n], got shape {list(y.shape)}")
    if not problems:
        n, d = X.shape
        if y.shape[0] != n:
            problems.append(f"X has {n} rows but y has {y.shape[0]} labels")
        if n == 0 and not getattr(setting, "population", False):  # population tasks carry no samples
            problems.append("the dataset is empty")
        if n > cfg.max_samples:
            problems.append(f"{n} samples exceed the limit max_samples={cfg.max_samples}")
        if setting.input_dim is not None and d != setting.input_dim:
            problems.append(f"X has {d} columns but the network's input_dim is {setting.input_dim}")
        if not torch.isfinite(X).all():
            problems.append("X has non-finite entries (NaN or inf)")
        elif X.numel() and X.abs().max() > cfg.max_abs_value:
            problems.append(f"|X| exceeds max_abs_value={cfg.max_abs_value:g}")
        yv = y.to(torch.float64)
        if not torch.isfinite(yv).all() or not ((yv == 1) | (yv == -1)).all():
            bad = sorted({float(v) for v in yv[~((yv == 1) | (yv == -1))].tolist()})[:5]
            problems.append(f"labels must be in {{-1, +1}}; found {bad}")
    if setting.num_params > cfg.max_params:
        problems.append(f"{setting.num_params} parameters exceed the limit max_params={cfg.max_params}")
    for label, params in (("theta", claim.theta), ("witness", claim.witness)):
        if params is None:
            continue
        problems += _check_params(label, params, setting.param_shapes, cfg)
    if claim.kind != "local_min":
        problems.append(f"claim kind {claim.kind!r} is judged by the path protocol, not this one")
    return setting, problems


def _check_params(label: str, params: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, ...]],
                  cfg: RefereeConfig) -> list[str]:
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


# ---------------------------------------------------------------------------------------------
# helpers


def _to64(params: Mapping[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.detach().to(device=device, dtype=torch.float64) for k, v in params.items()}


def _named(setting: Setting, v: torch.Tensor, top: int = 6) -> dict[str, Any]:
    """The largest components of a flat direction, by parameter name (for humans)."""
    names = []
    for k, shape in setting.param_shapes.items():
        size = math.prod(shape)
        if size == 1:
            names.append(k)
        else:
            names += [f"{k}[{','.join(map(str, idx))}]" for idx in _indices(shape)]
    order = torch.argsort(v.abs(), descending=True)[:top].tolist()
    return {names[i]: round(float(v[i]), 6) for i in order if abs(float(v[i])) > 1e-12}


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for s in shape:
        out = [i + (j,) for i in out for j in range(s)]
    return out


def saturated_units(setting: Setting, params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor,
                    cfg: RefereeConfig) -> list[dict[str, Any]]:
    """Units whose σ' is below ``saturation_threshold`` on every sample the loss still depends on.

    The gradient of such a unit's incoming weights is Σ_i g_i σ'(z_i)(u_i, 1), with g_i = ∂L/∂h_i
    and u_i the unit's input: every term carries σ'(z_i) ~ e^{-35}, below float64 noise relative
    to the loss. Divided by max σ'(z_i) over the samples with g_i ≠ 0, it shows whether the exact
    gradient vanishes; a non-zero rescaled gradient means the point is not stationary (theory §6.4).
    Samples with g_i = 0 (e.g. past the hinge) cannot move the loss and are ignored.
    """
    if not setting.builtin:
        return []
    m, neuron = setting.mlp, setting.neuron
    depth = len(m.hidden)
    p = {k: v.detach() for k, v in params.items()}
    inputs, pre, post = [], [], []
    h = X
    for i in range(depth):
        z = h @ p[f"layers.{i}.weight"].T + (p[f"layers.{i}.bias"] if m.bias else 0)
        inputs.append(h)
        pre.append(z)
        h = neuron(z).detach().requires_grad_(True)
        post.append(h)
    out = h @ p[f"layers.{depth}.weight"].T + (p[f"layers.{depth}.bias"] if m.bias else 0)
    out = out.squeeze(-1)
    if m.skip:
        out = out + (X @ p["skip.weight"].T).squeeze(-1)
    z_exp = None
    if m.exp_neuron:
        z_exp = X @ p["exp.w"] + p["exp.b"]
        special = torch.exp if m.special_is_exponential else make_neuron(m.special_neuron)
        out = out + p["exp.a"] * special(z_exp)
    out = out.detach().requires_grad_(True)
    (g_out,) = torch.autograd.grad(setting.combine(setting.loss_fn(y * out).mean(), p), out)  # ∂L/∂f_i, [n]
    # back through the layers by hand, so each layer's ∂L/∂h is exact (no chained re-evaluation)
    grads_h = [None] * depth
    g = g_out.unsqueeze(-1) @ p[f"layers.{depth}.weight"]  # [n, h_last]
    for i in reversed(range(depth)):
        grads_h[i] = g
        zz = pre[i].detach().requires_grad_(True)
        (slope,) = torch.autograd.grad(neuron(zz), zz, grad_outputs=torch.ones_like(zz))
        if i > 0:
            g = (g * slope) @ p[f"layers.{i}.weight"]
    found = []
    units: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor]] = []  # name, g [n], slope [n], input [n, k]
    if neuron.saturates:
        for i in range(depth):
            zz = pre[i].detach().requires_grad_(True)
            (slope,) = torch.autograd.grad(neuron(zz), zz, grad_outputs=torch.ones_like(zz))
            feats = torch.cat([inputs[i], torch.ones_like(inputs[i][:, :1])], dim=1)
            for j in range(pre[i].shape[1]):
                units.append((f"layers.{i}[{j}]", grads_h[i][:, j], slope[:, j].abs(), feats))
    if z_exp is not None and m.special_is_exponential:
        feats = torch.cat([X, torch.ones_like(X[:, :1])], dim=1)
        # f = a·e^z: ∂f/∂a = e^z and ∂f/∂(w, b) = a·e^z·(x, 1); both carry the factor e^z
        units.append(("exp", g_out, torch.exp(z_exp), torch.cat([feats * p["exp.a"], torch.ones_like(X[:, :1])], 1)))
    for name, g_i, slope, feats in units:
        live = g_i != 0
        if not bool(live.any()):
            continue
        top = float(slope[live].max())
        if top >= cfg.saturation_threshold:
            continue
        scaled = ((g_i * slope / max(top, 1e-300)).unsqueeze(-1) * feats).sum(0) / X.shape[0]
        found.append({"unit": name, "max_slope": top, "rescaled_grad_norm": float(scaled.norm()),
                      "samples_with_signal": int(live.sum())})
    return found


# ---------------------------------------------------------------------------------------------
# 6. badness search


def badness_search(setting: Setting, X: torch.Tensor, y: torch.Tensor, cfg: RefereeConfig,
                   device: torch.device) -> dict[str, Any]:
    """Best loss the referee finds on its own: random restarts trained at once, then polished."""
    if getattr(setting, "population", False):
        from arena.engine.teacher_student import referee_search

        return referee_search(setting, cfg, device)
    from arena.engine.population import polish_lbfgs, train_population

    gen = torch.Generator().manual_seed(cfg.seed)
    per_scale = max(1, cfg.restarts // len(cfg.restart_init_scales))
    inits = [setting.init_params(per_scale, generator=gen, scale=s) for s in cfg.restart_init_scales]
    params = {k: torch.cat([p[k] for p in inits]).to(device) for k in setting.param_shapes}
    trained = train_population(setting, X, y, params, optimizer="adam", lr=cfg.restart_lr,
                               steps=cfg.restart_steps, device=device)
    polished = polish_lbfgs(setting, X, y, trained.params, max_iter=200, device=device)
    final = _to64(polished.params, device)
    losses = setting.empirical_loss(final, X, y).detach()
    losses = torch.where(torch.isfinite(losses), losses, torch.full_like(losses, math.inf))
    best = int(torch.argmin(losses))
    best_params = {k: v[best] for k, v in final.items()}
    finite = losses[torch.isfinite(losses)]
    quantiles = (torch.quantile(finite, torch.tensor([0.0, 0.5, 1.0], dtype=losses.dtype, device=losses.device)).tolist()
                 if finite.numel() else None)
    return {"best_loss": float(losses[best]),
            "best_train_error": float(setting.train_error(best_params, X, y)),
            "restarts": int(losses.numel()), "restarts_finite": int(finite.numel()),
            "restart_losses_quantiles": quantiles, "best_params": best_params}


def _higher_order_escape(probes: list, tol: float) -> str | None:
    """Descent that shrinks like r^p until float64 cannot resolve it: an escape of order p > 2.

    A point whose only escape is of high order (e.g. ΔL ~ −r⁴ when a switched-off exponential
    neuron must first turn before its weight pays off) shows descent in the larger balls only,
    because below some radius the gain is under float64 resolution. When the descents seen so far
    fall off as a power of r and the power predicts a gain below ``tol`` at the next radius, the
    missing descent there is a resolution limit, not the edge of a basin.
    """
    seen = []
    for p in probes:
        if not p.descent:
            break
        seen.append(p)
    if len(seen) < 2 or len(seen) == len(probes):
        return None
    (r1, d1), (r2, d2) = [(p.radius, -p.min_delta) for p in seen[-2:]]
    power = math.log(d1 / d2) / math.log(r1 / r2)
    r3 = probes[len(seen)].radius
    predicted = d2 * (r3 / r2) ** power
    if power <= 0 or predicted >= tol:
        return None
    return (f"descent in every ball down to radius {r2:g}, shrinking like r^{power:.2g} (ΔL = {-d1:.3g} at "
            f"{r1:g}, {-d2:.3g} at {r2:g}); at radius {r3:g} it would be {predicted:.2g}, below the float64 "
            f"resolution {tol:.2g}: a higher-order escape, not a minimum")


# ---------------------------------------------------------------------------------------------
# the protocol


def judge(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto") -> Verdict:
    """Judge a claimed bad local minimum (see the module docstring for the protocol)."""
    cfg = config if isinstance(config, RefereeConfig) else RefereeConfig.from_mapping(config)
    tol = asdict(cfg)
    setting, problems = validate(claim, cfg)
    if problems:
        return Verdict("invalid", problems, {}, tol)
    dev = resolve_device(device)
    t0 = time.perf_counter()
    X = claim.X.to(device=dev, dtype=torch.float64)
    y = claim.y.to(device=dev, dtype=torch.float64)
    theta = _to64(claim.theta, dev)
    f = loss_of_flat(setting, X, y)
    v0 = setting.flatten(theta)
    loss0 = float(f(v0))
    ev: dict[str, Any] = {"n": int(X.shape[0]), "d": int(X.shape[1]), "num_params": setting.num_params,
                          "setting": setting.describe(), "device": str(dev), "claimed_loss": loss0}
    reasons: list[str] = []
    timings: dict[str, float] = {}
    ev["timings"] = timings
    if not math.isfinite(loss0):
        return Verdict("invalid", [f"the loss at θ is not finite ({loss0})"], ev, tol)

    # 2. polish
    t = time.perf_counter()
    radius = cfg.polish_radius * max(1.0, float(v0.norm()))
    pol = polish(setting, X, y, v0, radius=radius, max_iter=cfg.polish_iters,
                 exact_max_params=cfg.hessian_exact_max_params)
    timings["polish"] = time.perf_counter() - t
    drop = loss0 - pol.loss
    ev.update(polish_method=pol.method, polish_drop=drop, polish_distance=pol.distance,
              polish_radius=radius, polish_iterations=pol.iterations)
    v = pol.v
    params = setting.unflatten(v)
    loss = pol.loss
    ev["loss"] = loss
    ev["train_error"] = float(setting.train_error(params, X, y))
    scale = max(1.0, abs(loss))
    if drop > cfg.polish_drop_tol * scale:
        direction = (v - v0) / max(pol.distance, 1e-300)
        reasons.append(f"polish lowered the loss by {drop:.3g} (from {loss0:.9g} to {pol.loss:.9g}) within "
                       f"distance {pol.distance:.3g}: θ is not a local minimum")
        ev["descent_direction"] = _named(setting, direction)
        ev["grad_norm"] = float(gradient(setting, X, y, v0).norm())
        timings["total"] = time.perf_counter() - t0
        return Verdict("not_local_min", reasons, ev, tol, polished=params,
                       descent_direction=setting.unflatten(direction))

    # 3. first order
    g = gradient(setting, X, y, v)
    ev["grad_norm"] = float(g.norm())
    if setting.builtin and setting.neuron.kinks:
        pre = [z for k, z in setting.preactivations(params, X).items() if k.startswith("layers.")]
        if pre:
            ev["min_abs_preactivation"] = min(float((z - k).abs().min()) for z in pre for k in setting.neuron.kinks)
    kink_dirs, kink_units = kink_directions(setting, params, X, cfg.kink_tol)
    ev["kink_units"] = kink_units
    sat = saturated_units(setting, params, X, y, cfg)
    ev["saturated_units"] = sat
    margins = setting.margins(params, X, y)
    if setting.loss_fn.hinge_type:
        ev["samples_at_hinge_kink"] = int(((margins - 1).abs() <= cfg.kink_tol).sum())

    # 4. second order
    t = time.perf_counter()
    spec = hessian_spectrum(setting, X, y, v, exact_max_params=cfg.hessian_exact_max_params)
    timings["hessian"] = time.perf_counter() - t
    ev["hessian_method"] = spec.method
    ev["hessian_min_eig"] = spec.min_eig
    ev["hessian_max_eig"] = spec.max_eig
    if spec.all_values is not None:
        flat_mask = abs(spec.all_values) <= cfg.eig_tol
        ev["flat_directions"] = int(flat_mask.sum())
        ev["strict"] = bool(spec.min_eig > cfg.eig_tol and not kink_units)
        # the flat directions themselves, by parameter name (an orthonormal basis, the first few)
        ev["flat_basis"] = [_named(setting, torch.as_tensor(spec.vectors[:, i]))
                            for i in list(flat_mask.nonzero()[0])[:4]]
    else:
        ev["strict"] = None  # Lanczos sees the extremes only: strictness is not decided
    eigvecs = torch.as_tensor(spec.vectors.T, dtype=torch.float64, device=dev)
    neg = eigvecs[torch.as_tensor(spec.values < -cfg.eig_tol, device=dev)]

    # 5. probes
    t = time.perf_counter()
    # flat directions are where higher-order escapes hide (a switched-off unit must first turn, at
    # no cost, before its weight pays): probe them and random mixtures of them
    flat_vecs = eigvecs[torch.as_tensor(abs(spec.values) <= cfg.eig_tol, device=dev)]
    if flat_vecs.shape[0]:
        mix = torch.randn(cfg.probe_descent_starts, flat_vecs.shape[0], dtype=torch.float64,
                          generator=torch.Generator().manual_seed(cfg.seed + 1)).to(dev) @ flat_vecs
        flat_vecs = torch.cat([flat_vecs, -flat_vecs, mix])
    targeted = {"gradient": -g.unsqueeze(0), "hessian_negative": torch.cat([neg, -neg]),
                "kink": kink_dirs, "flat": flat_vecs}
    if claim.witness is not None:
        w = setting.flatten(_to64(claim.witness, dev))
        targeted["witness"] = (w - v).unsqueeze(0)
    gen = torch.Generator().manual_seed(cfg.seed)
    gated = gated_units(setting, params)
    ev["gated_units"] = [u[0] for u in gated]
    probes = []
    for r in cfg.probe_radii:
        report = probe_ball(setting, X, y, v, targeted, r, n_random=cfg.probe_random,
                            descent_steps=cfg.probe_descent_steps, descent_starts=cfg.probe_descent_starts,
                            tol=cfg.descent_tol * scale, generator=gen)
        turned = probe_gated(setting, X, y, v, gated, r, turns=cfg.probe_descent_starts, generator=gen)
        if turned is not None and turned[0] < report.min_delta:
            report = ProbeReport(r, turned[0], turned[0] < -cfg.descent_tol * scale, turned[1], turned[2])
        probes.append(report)
    timings["probes"] = time.perf_counter() - t
    ev["probes"] = [p.to_dict() for p in probes]

    not_min: list[str] = []
    direction = None
    if all(p.descent for p in probes):
        p = probes[-1]
        not_min.append(f"descent found in every ball down to radius {p.radius:g} (at the floor: "
                       f"ΔL = {p.min_delta:.3g} via {p.source})")
        direction = p.direction
    escape = _higher_order_escape(probes, cfg.descent_tol * scale)
    if escape and not not_min:
        not_min.append(escape)
        direction = next(p.direction for p in probes if p.descent)
    if spec.min_eig < -cfg.eig_tol:
        confirm = [p for p in probes if p.descent]
        not_min.append(f"Hessian has a negative eigenvalue {spec.min_eig:.3g}: a saddle"
                       + (f" (descent confirmed at radius {confirm[0].radius:g})" if confirm else ""))
        if direction is None:
            direction = torch.as_tensor(spec.min_vector(), dtype=torch.float64, device=dev)
    awake = [u for u in sat if u["rescaled_grad_norm"] > cfg.saturation_grad_tol]
    if awake:
        u = awake[0]
        not_min.append(f"unit {u['unit']} is saturated (σ' <= {u['max_slope']:.2g} on every sample): its "
                       f"gradient is below float64 noise but rescaled by 1/σ' it is {u['rescaled_grad_norm']:.3g} "
                       f"≠ 0, so the point is not stationary (a path to infinity, theory §6.4)")
    if not_min:
        if direction is not None:
            ev["descent_direction"] = _named(setting, direction)
        timings["total"] = time.perf_counter() - t0
        return Verdict("not_local_min", not_min, ev, tol, polished=params,
                       descent_direction=None if direction is None else setting.unflatten(direction))
    if ev["grad_norm"] > cfg.grad_tol:
        # autograd picks one one-sided derivative at a kink (of ℓ or σ); the probes above test
        # both sides, and found no descent, so this is a non-smooth minimum, not a slope
        reasons.append(f"autograd gradient norm {ev['grad_norm']:.3g} > grad_tol={cfg.grad_tol:g} at a kink, but "
                       "no direction descends: a non-smooth point")
        ev["nonsmooth"] = True
    lowest = [p for p in probes if not p.descent]
    reasons.append(f"no descent in the balls of radius <= {lowest[0].radius:g}; gradient norm "
                   f"{ev['grad_norm']:.3g}; smallest Hessian eigenvalue {spec.min_eig:.3g}"
                   + (f" with {ev['flat_directions']} flat direction(s)" if ev.get("flat_directions") else ""))

    # 6. badness
    t = time.perf_counter()
    best = loss
    ev["witness_loss"] = None
    if claim.witness is not None:
        wparams = _to64(claim.witness, dev)
        ev["witness_loss"] = float(setting.empirical_loss(wparams, X, y))
        ev["witness_train_error"] = float(setting.train_error(wparams, X, y))
        best = min(best, ev["witness_loss"])
    search = badness_search(setting, X, y, cfg, dev) if cfg.restarts > 0 else None
    if search is not None:
        search.pop("best_params")
        ev["search"] = search
        best = min(best, search["best_loss"])
    timings["badness"] = time.perf_counter() - t
    ev["best_loss"] = best
    ev["gap"] = loss - best
    timings["total"] = time.perf_counter() - t0
    gap_needed = cfg.gap_tol + cfg.gap_rel_tol * abs(loss)
    if ev["gap"] <= gap_needed:
        reasons.append(f"gap {ev['gap']:.3g} <= {gap_needed:.3g}: no lower loss found, so not bad")
        return Verdict("not_bad", reasons, ev, tol, polished=params)
    certificate = dead_network(setting, params, X, y)
    if certificate is not None:
        ev["certificate"] = certificate
        reasons.append(f"{certificate['label']}: {certificate['statement']}")
    source = "witness" if ev["witness_loss"] is not None and ev["witness_loss"] <= best else "referee search"
    reasons.append(f"lower loss {best:.6g} found by the {source}: gap {ev['gap']:.6g}")
    if ev["train_error"] > 0:
        reasons.append(f"training error {ev['train_error']:.3g} at the minimum")
    return Verdict("bad_local_min", reasons, ev, tol, polished=params)


def judge_safely(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto") -> Verdict:
    """:func:`judge` (or :func:`arena.referee.paths.judge_path` for path claims); a crash inside the
    protocol becomes an ``invalid`` verdict with its traceback."""
    try:
        if claim.kind == "path":
            from arena.referee.paths import judge_path

            return judge_path(claim, config, device)
        return judge(claim, config, device)
    except Exception as exc:  # noqa: BLE001 - any failure must leave a verdict behind
        return Verdict("invalid", [f"referee failed: {exc.__class__.__name__}: {exc}"],
                       {"traceback": traceback.format_exc()}, asdict(RefereeConfig()))
