"""Perturbation probes around a point: is there lower loss in every small ball?

For each radius r (shrinking to a floor) the loss is evaluated at ``v + r·d`` for random unit
directions and targeted ones (gradient, Hessian eigenvectors, the witness, one-sided moves of units
on a kink), all in one batched evaluation; then short projected descent runs start from the lowest
of those points and stay inside ``B(v, r)``. A ball "has descent" when some point in it has loss
below ``L(v) − tol``. Flat directions (ΔL = 0) are not descent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

from arena.referee.curvature import batched_gradient, loss_of_flat
from arena.landscape.setting import Setting


@dataclass
class ProbeReport:
    radius: float
    min_delta: float  # min over evaluated points of L − L(v)
    descent: bool
    source: str  # which direction family gave min_delta
    direction: torch.Tensor = field(repr=False)  # [P] unit vector from v to the best point
    displacement: torch.Tensor | None = field(default=None, repr=False)  # [P] best point − v, when known

    def to_dict(self) -> dict:
        return {"radius": self.radius, "min_delta": self.min_delta, "descent": self.descent, "source": self.source}


# Memory for one batched loss evaluation (points and activations). Kept so that each activation
# tensor stays near 16 MiB: glibc serves blocks below its 32 MiB mmap ceiling from reused heap memory,
# while every larger tensor is a fresh mapping whose page faults cost more than the arithmetic
# (relu of a [8, 40, 25000] float64 tensor: 20 ms freshly mapped, 1.6 ms in place).
CHUNK_BYTES = 64 * 2**20


def rows_per_chunk(setting: Setting, X: torch.Tensor, P: int, budget: int = CHUNK_BYTES) -> int:
    """How many points of [P] to evaluate at once so that their activations stay within ``budget``.

    A point of a built-in MLP costs about its P floats twice plus four [n, units] activations; a
    custom network is assumed to cost as much as a built-in one with P units.
    """
    units = sum(setting.mlp.hidden) + 1 if setting.builtin else P
    per_row = 8 * (2 * P + 4 * max(1, X.shape[0]) * units)
    return max(1, budget // per_row)


def losses_along(f: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor, steps: torch.Tensor,
                 chunk: int) -> torch.Tensor:
    """f(v + steps[i]) for every row of steps [m, P], ``chunk`` rows at a time: [m]."""
    with torch.no_grad():
        return torch.cat([f(v + steps[i : i + chunk]) for i in range(0, steps.shape[0], chunk)])


def unit_rows(D: torch.Tensor) -> torch.Tensor:
    """Normalise the rows of D [m, P]; zero rows are dropped."""
    norms = D.norm(dim=1)
    keep = norms > 0
    return D[keep] / norms[keep].unsqueeze(1)


def probe_ball(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor,
               targeted: dict[str, torch.Tensor], radius: float, *, n_random: int, descent_steps: int,
               descent_starts: int, tol: float, generator: torch.Generator,
               metric: torch.Tensor | None = None) -> ProbeReport:
    """Probe B(v, radius). ``targeted``: name -> directions [m, P]; v: [P] float64.

    ``metric`` [P] (default ones) stretches the ball per parameter, {v + δ : ‖δ / metric‖ <= r},
    so a unit with large weights is probed at radii relative to its own scale.
    """
    metric = torch.ones_like(v) if metric is None else metric.to(v)
    f = loss_of_flat(setting, X, y)
    base = float(f(v))
    P = v.numel()
    rand = torch.randn(n_random, P, generator=generator, dtype=v.dtype).to(v.device)
    families = {"random": unit_rows(rand)}
    families.update({k: unit_rows(d.to(v)) for k, d in targeted.items() if d.numel()})
    names: list[str] = []
    rows: list[torch.Tensor] = []
    for name, D in families.items():
        names += [name] * D.shape[0]
        rows.append(D)
    D = torch.cat(rows) * metric
    losses = losses_along(f, v, radius * D, rows_per_chunk(setting, X, P))
    deltas = losses - base
    best = int(torch.argmin(deltas))
    min_delta, source, direction = float(deltas[best]), names[best], D[best]
    displacement = radius * D[best]

    # Descent runs: normalised projected gradient steps inside the ball from the lowest points.
    starts = torch.topk(-deltas, k=min(descent_starts, D.shape[0])).indices
    chunk = rows_per_chunk(setting, X, P)
    grad_of = batched_gradient(setting, X, y)
    run_best, run_pts = losses[starts].clone(), (v + radius * D[starts]).clone()
    for c in range(0, starts.numel(), chunk):
        part = slice(c, c + chunk)
        run_best[part], run_pts[part] = _descend(f, grad_of, v, run_pts[part], run_best[part], radius, metric,
                                                     descent_steps)
    j = int(torch.argmin(run_best))
    if float(run_best[j]) - base < min_delta:
        min_delta = float(run_best[j]) - base
        source = f"descent_run({names[int(starts[j])]})"
        d = run_pts[j] - v
        direction = d / d.norm().clamp(min=1e-300)
        displacement = d
    direction = direction / direction.norm().clamp(min=1e-300)
    return ProbeReport(radius, min_delta, min_delta < -tol, source, direction.detach(), displacement.detach())


def _descend(f: Callable[[torch.Tensor], torch.Tensor], grad_of: Callable[[torch.Tensor], torch.Tensor],
             v: torch.Tensor, pts: torch.Tensor,
             best: torch.Tensor, radius: float, metric: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``steps`` normalised projected gradient steps from pts [m, P] inside the (metric) ball B(v, r).

    Returns the lowest loss each run reached [m] (``best``: the loss at its start) and where [m, P].
    ``grad_of``: pts [m, P] -> the gradients [m, P] (:func:`batched_gradient`).
    """
    step = radius / 4
    pts, best, run_pts = pts.detach().clone(), best.clone(), pts.detach().clone()
    for _ in range(steps):
        g = grad_of(pts)
        with torch.no_grad():
            gn = g.norm(dim=1, keepdim=True).clamp(min=1e-300)
            pts = pts - step * g / gn
            off = pts - v
            n = (off / metric).norm(dim=1, keepdim=True)
            pts = torch.where(n > radius, v + off * (radius / n), pts)
            new = f(pts)
            better = new < best
            best = torch.where(better, new, best)
            run_pts[better] = pts[better]
            step *= 0.85
    return best, run_pts


def kink_directions(setting: Setting, params: dict[str, torch.Tensor], X: torch.Tensor,
                    kink_tol: float) -> tuple[torch.Tensor, list[dict]]:
    """One-sided moves for piecewise-linear units sitting on a kink.

    Returns (directions [m, P], units) where each unit is ``{"layer", "unit", "samples"}``. For a
    unit j of layer l with some |z_ij| <= kink_tol·max(1, max_i |z_ij|) (relative to the unit's own
    pre-activation scale) the moves are ±(bias of j), ±(weight row of j
    toward the kink samples' inputs), each alone and combined with ±(j's outgoing weights): a
    first-order descent hides in one of these when autograd's σ'(0) = 0 masks it.
    """
    if not setting.builtin or setting.neuron is None or not setting.neuron.kinks:
        return torch.zeros(0, setting.num_params, dtype=X.dtype, device=X.device), []
    shapes = setting.param_shapes
    offsets, i = {}, 0
    for k, s in shapes.items():
        offsets[k] = i
        i += int(torch.tensor(s).prod()) if s else 1
    P = i
    pre = setting.preactivations(params, X)
    dirs: list[torch.Tensor] = []
    units: list[dict] = []
    for kink in setting.neuron.kinks:
        for li, (lname, z) in enumerate((k, z) for k, z in pre.items() if k.startswith("layers.")):
            unit_scale = z.abs().amax(dim=0).clamp(min=1.0)  # [h]
            near = (z - kink).abs() <= kink_tol * unit_scale  # [n, h]
            for j in torch.nonzero(near.any(dim=0)).flatten().tolist():
                samples = torch.nonzero(near[:, j]).flatten().tolist()
                units.append({"layer": li, "unit": j, "samples": samples})
                moves = []
                if f"layers.{li}.bias" in shapes:
                    e = torch.zeros(P, dtype=X.dtype, device=X.device)
                    e[offsets[f"layers.{li}.bias"] + j] = 1.0
                    moves.append(e)
                if li == 0:
                    e = torch.zeros(P, dtype=X.dtype, device=X.device)
                    d_in = shapes["layers.0.weight"][1]
                    start = offsets["layers.0.weight"] + j * d_in
                    e[start : start + d_in] = X[samples].sum(0)
                    moves.append(e)
                out = torch.zeros(P, dtype=X.dtype, device=X.device)
                w_next = shapes[f"layers.{li + 1}.weight"]
                for r in range(w_next[0]):
                    out[offsets[f"layers.{li + 1}.weight"] + r * w_next[1] + j] = 1.0
                for m in moves:
                    for sign in (1.0, -1.0):
                        dirs.append(sign * m)
                        dirs.append(sign * m + out)
                        dirs.append(sign * m - out)
    if not dirs:
        return torch.zeros(0, P, dtype=X.dtype, device=X.device), units
    return torch.stack(dirs), units


def gated_units(setting: Setting, params: dict[str, torch.Tensor], tol: float = 1e-12) -> list[tuple[str, list[int], list[int]]]:
    """Units whose output weight is zero: (name, incoming flat indices, output flat indices).

    Such a unit can turn at no cost (the loss does not see its incoming weights), and only then
    does moving its output weight pay: an escape of order 4 in the radius that random directions
    and Hessians miss. Covered: the skip unit ``exp.*`` and units of the last hidden layer.
    """
    if not setting.builtin:
        return []
    offsets, i = {}, 0
    for k, s in setting.param_shapes.items():
        offsets[k] = i
        i += math.prod(s)
    out = []
    m = setting.mlp
    if m.exp_neuron and abs(float(params["exp.a"])) <= tol:
        d = m.input_dim
        out.append(("exp", list(range(offsets["exp.w"], offsets["exp.w"] + d)) + [offsets["exp.b"]], [offsets["exp.a"]]))
    if m.hidden:
        last = len(m.hidden)
        h, fan_in = m.hidden[-1], (m.input_dim, *m.hidden)[-2]
        w_out = params[f"layers.{last}.weight"][0]
        for j in range(h):
            if abs(float(w_out[j])) > tol:
                continue
            row = offsets[f"layers.{last - 1}.weight"] + j * fan_in
            incoming = list(range(row, row + fan_in))
            if f"layers.{last - 1}.bias" in offsets:
                incoming.append(offsets[f"layers.{last - 1}.bias"] + j)
            out.append((f"layers.{last - 1}[{j}]", incoming, [offsets[f"layers.{last}.weight"] + j]))
    return out


def probe_gated(setting: Setting, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor,
                units: list[tuple[str, list[int], list[int]]], radius: float, *, turns: int,
                generator: torch.Generator, metric: torch.Tensor | None = None) -> tuple[float, str, torch.Tensor] | None:
    """Turn each gated unit's incoming weights by 0.7·r (free), then line-search its output weight.

    Returns (min ΔL, source, unit direction [P]) over ``turns`` random turns per unit, or None.
    """
    if not units:
        return None
    f = loss_of_flat(setting, X, y)
    base = float(f(v))
    metric = torch.ones_like(v) if metric is None else metric.to(v)
    best: tuple[float, str, torch.Tensor] | None = None
    steps = torch.tensor([2.0 ** -k for k in range(0, 40)], dtype=v.dtype, device=v.device)
    for name, incoming, outgoing in units:
        u = torch.randn(turns, len(incoming), generator=generator, dtype=v.dtype).to(v.device)
        u = 0.7 * radius * u / u.norm(dim=1, keepdim=True) * metric[incoming]
        pts = v.repeat(turns, 1)
        pts[:, incoming] += u
        pts.requires_grad_(True)
        (g,) = torch.autograd.grad(f(pts).sum(), pts)
        g_out = g[:, outgoing].detach()  # [turns, k]
        direction = -g_out / g_out.norm(dim=1, keepdim=True).clamp(min=1e-300)
        # candidates: output weight moved by 0.7 r · 2^{-k} along −∂L/∂(output weight)
        moves = 0.7 * radius * steps.reshape(1, -1, 1) * (direction * metric[outgoing]).unsqueeze(1)  # [turns, S, k]
        vals = torch.empty(turns, len(steps), dtype=v.dtype, device=v.device)
        per_turn = max(1, rows_per_chunk(setting, X, v.numel()) // len(steps))
        for t0 in range(0, turns, per_turn):
            cand = _gated_candidates(pts.detach()[t0 : t0 + per_turn], outgoing, moves[t0 : t0 + per_turn])
            with torch.no_grad():
                vals[t0 : t0 + per_turn] = f(cand.reshape(-1, v.numel())).reshape(-1, len(steps)) - base
        k = int(torch.argmin(vals))
        delta = float(vals.reshape(-1)[k])
        if best is None or delta < best[0]:
            t, s = divmod(k, len(steps))
            d = _gated_candidates(pts.detach()[t : t + 1], outgoing, moves[t : t + 1])[0, s] - v
            best = (delta, f"gated_unit({name})", d / d.norm().clamp(min=1e-300))
    return best


def _gated_candidates(pts: torch.Tensor, outgoing: list[int], moves: torch.Tensor) -> torch.Tensor:
    """pts [t, P] repeated per step, output weights moved by ``moves`` [t, S, k]: [t, S, P]."""
    cand = pts.unsqueeze(1).repeat(1, moves.shape[1], 1)
    cand[:, :, outgoing] += moves
    return cand
