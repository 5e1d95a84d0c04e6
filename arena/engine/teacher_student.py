"""Population engine of the teacher–student task: K restarts of the Safran–Shamir protocol at once.

Protocol (Safran & Shamir, ICML 2018, arXiv 1712.08968): wᵢ ~ N(0, I/k), plain gradient descent
with step 5/k (5/n for students wider than the teacher, see :func:`default_step`) on the closed-form population gradient, until ‖∇F‖ ≤ 1e-12; then merge the end
points equal up to a permutation of the neurons and classify each as global (F ≈ 0) or spurious
(F > 0 with a positive definite Hessian).

Speed-ups that reach the same points (docs/search.md gives the checks): every restart is one row
of a batched tensor [K, n, d], stepped in cache-sized blocks of rows; a restart stops as soon as it
is done (‖∇F‖ ≤ ``grad_tol``, or F ≤ ``global_tol``: it has reached the global value, which no
later step changes); a damped Newton finish (:func:`_damped_newton`) takes over near strict minima
(‖∇F‖ < ``newton_from``, Hessian positive definite all the way, all or nothing) and, for wide
students, where descent has slowed down below F = ``handoff_loss`` (the degenerate global minima).
Every GD or Newton step counts against ``steps``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from arena.engine.newton_cg import DENSE_MAX, damped_newton_cg, smallest_eigenvalue
from arena.landscape.teacher_student import population_grad, population_hessian, population_loss

GLOBAL_TOL = 1e-10  # F below this is the global value 0 (spurious minima sit near 1e-2)
MIN_EIG = 1e-4  # a spurious minimum's smallest Hessian eigenvalue must exceed this (as in the paper)
MERGE_TOL = 1e-6  # points closer than this, up to permutations, are one minimum
FLOOR_TOL = 1e-9  # Newton stalled below this ‖∇F‖: float64 resolves no more (n·d ~ 10³ terms, λ_min ~ 1e-4)
NEWTON_MAX_STEP = 0.5  # a Newton step longer than this is refused (gradient descent goes on)
HANDOFF_LOSS = 1e-3  # F below this: damped Newton with any Hessian (every spurious minimum seen has F > 1e-2)
STALL = 0.8  # ... once descent is slow there: F fell by less than this factor over the last check_every steps
GRAD_BLOCK = 150_000  # entries of a [rows, n, n + k] gradient temporary: about 1 MiB, cache-sized
HESSIAN_BLOCK = 20_000_000  # entries of the Hessians built at once in the finish (160 MiB in float64)


@dataclass
class Descent:
    """End points of K restarts. W [K, n, d]; loss, grad_norm [K]; steps [K] (GD + Newton)."""

    W: torch.Tensor
    loss: torch.Tensor
    grad_norm: torch.Tensor
    steps: torch.Tensor
    newton: torch.Tensor  # [K] bool: finished by Newton steps
    converged: torch.Tensor  # [K] bool
    floor: torch.Tensor  # [K] bool: converged at float64's floor (Newton stalled with ‖∇F‖ <= floor_tol)


def default_step(k: int, n: int) -> float:
    """The paper's step 5/k for n = k; 5/n for wider students, whose largest Hessian eigenvalue grows
    like n (about 0.35·n at the initialisation), so 5/k would overshoot (lr·λ_max > 2) and diverge."""
    return 5.0 / max(k, n)


def descend(V: torch.Tensor, n: int, restarts: int, *, steps: int, generator: torch.Generator,
            lr: float | None = None, grad_tol: float = 1e-12, global_tol: float = GLOBAL_TOL,
            newton_from: float = 1e-3, handoff_loss: float = HANDOFF_LOSS, floor_tol: float = FLOOR_TOL,
            check_every: int = 25, device: str | torch.device = "cpu") -> Descent:
    """Run the protocol from ``restarts`` fresh initialisations (W₀ ~ N(0, I/k)); V [k, d]."""
    k, d = V.shape
    V = V.to(device=device, dtype=torch.float64)
    W = (torch.randn(restarts, n, d, generator=generator, dtype=torch.float64) / math.sqrt(k)).to(device)
    return descend_from(W, V, steps=steps, lr=default_step(k, n) if lr is None else lr, grad_tol=grad_tol,
                        global_tol=global_tol, newton_from=newton_from, handoff_loss=handoff_loss, floor_tol=floor_tol,
                        check_every=check_every)


def descend_from(W: torch.Tensor, V: torch.Tensor, *, steps: int, lr: float, grad_tol: float = 1e-12,
                 global_tol: float = GLOBAL_TOL, newton_from: float = 1e-3, handoff_loss: float = HANDOFF_LOSS,
                 floor_tol: float = FLOOR_TOL, check_every: int = 25, retry_after: int = 500) -> Descent:
    """Gradient descent (+ damped Newton finish) from W [K, n, d]; stopped rows are frozen.

    The finish is tried on a row once ‖∇F‖ < ``newton_from`` (where its Hessian is positive
    definite) or once F < ``handoff_loss`` (any Hessian: see :func:`_finish`); after a try that
    takes no step, again only ``retry_after`` descent steps later.
    """
    W = W.clone()
    K = W.shape[0]
    used = torch.zeros(K, dtype=torch.long, device=W.device)
    newton = torch.zeros(K, dtype=torch.bool, device=W.device)
    done = torch.zeros(K, dtype=torch.bool, device=W.device)
    floor = torch.zeros(K, dtype=torch.bool, device=W.device)
    next_try = torch.zeros(K, dtype=torch.long, device=W.device)
    last_F = torch.full((K,), math.inf, dtype=W.dtype, device=W.device)
    active = torch.arange(K, device=W.device)
    Wa = W[active]
    while active.numel():
        room = int(steps - used[active].max())
        burst = min(check_every, room)
        _gradient_steps(Wa, V, lr, burst)
        used[active] += burst
        gn = population_grad(Wa, V).flatten(1).norm(dim=1)
        F = population_loss(Wa, V)
        low = (F < handoff_loss) & (F > STALL * last_F[active])
        last_F[active] = F
        near = (gn < newton_from) | low
        near &= (used[active] >= next_try[active]) & (F > global_tol) & (gn > grad_tol)
        if near.any():
            sub = near.nonzero().flatten()
            Wa[sub], gn[sub], took = _finish(Wa[sub], V, gn[sub], grad_tol, global_tol, floor_tol, room - burst,
                                            low[sub])
            newton[active[sub]] |= took > 0
            used[active[sub]] += took
            stuck = took == 0
            next_try[active[sub[stuck]]] = used[active[sub[stuck]]] + retry_after
            F[sub] = population_loss(Wa[sub], V)
            floor[active[sub[stuck & (gn[sub] <= floor_tol)]]] = True
        finished = (gn <= grad_tol) | (F <= global_tol) | floor[active]
        done[active] = finished
        W[active] = Wa
        keep = ~(finished | (used[active] >= steps))
        active, Wa = active[keep], Wa[keep]
    return Descent(W, population_loss(W, V), population_grad(W, V).flatten(1).norm(dim=1), used, newton, done, floor)


def _gradient_steps(W: torch.Tensor, V: torch.Tensor, lr: float, steps: int) -> None:
    """``steps`` plain gradient steps on W [K, n, d] in place, a cache-sized block of rows at a time:
    the gradient's [rows, n, n + k] temporaries stay in cache (about 1.5× faster at n = 40)."""
    K, n, _ = W.shape
    rows = K if W.is_cuda else max(8, GRAD_BLOCK // (n * (n + V.shape[0])))  # a GPU wants one big batch
    for i in range(0, K, rows):
        block = W[i:i + rows]
        for _ in range(steps):
            block -= lr * population_grad(block, V)


def _finish(W: torch.Tensor, V: torch.Tensor, gn: torch.Tensor, grad_tol: float, global_tol: float,
            floor_tol: float, room: int, any_curvature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The damped Newton finish on W [m, n, d], in blocks whose Hessians fit in memory.

    Returns (W, ‖∇F‖, steps taken) [m]. See :func:`_damped_newton`.
    """
    m, n, d = W.shape
    if n * d > DENSE_MAX:
        return damped_newton_cg(W, V, gn, grad_tol, global_tol, floor_tol, room, any_curvature)
    rows = max(1, HESSIAN_BLOCK // (n * d) ** 2)
    W, gn = W.clone(), gn.clone()  # filled block by block
    took = torch.zeros(m, dtype=torch.long, device=W.device)
    for i in range(0, m, rows):
        part = slice(i, i + rows)
        W[part], gn[part], took[part] = _damped_newton(W[part], V, gn[part], grad_tol, global_tol, floor_tol,
                                                       room, any_curvature[part])
    return W, gn, took


def _damped_newton(W: torch.Tensor, V: torch.Tensor, gn: torch.Tensor, grad_tol: float, global_tol: float,
                   floor_tol: float, room: int, any_curvature: torch.Tensor, max_iter: int = 32,
                   max_step: float = NEWTON_MAX_STEP) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Levenberg–Marquardt-damped Newton steps (H + μI)⁻¹∇F.

    Two kinds of rows:

    * near a strict minimum (‖∇F‖ small): only rows whose Hessian is positive definite where the
      finish starts and at every point it steps to (so the iterates stay inside the convex part of
      the basin and land on the strict minimum gradient descent converges to); μ starts at 1e-8;
    * ``any_curvature`` rows (F below ``HANDOFF_LOSS``, far below every spurious minimum): any
      Hessian, μ starts at ‖∇F‖ (regularised Newton, Li–Fukushima): these approach the degenerate
      global minima of wide students, where F grows like the cube of the angle between split copies
      of a teacher unit, so gradient descent is sublinear there and damped Newton linear.

    A step is taken when it is shorter than ``max_step`` and lowers F (or, once F is flat to
    rounding, lowers ‖∇F‖); μ falls to min(μ/8, ‖∇F‖) after a taken step and grows ×16 after a
    refused one, so the steps are Newton's near the minimum and gradient steps far from it. A
    strict-minimum row that ends above ``floor_tol`` is put back where it started (steps taken 0).
    Returns (W, ‖∇F‖, steps taken) [m].
    """
    m, n, d = W.shape
    start, start_gn, W, gn = W, gn, W.clone(), gn.clone()
    took = torch.zeros(m, dtype=torch.long, device=W.device)
    mu = torch.where(any_curvature, gn, torch.full_like(gn, 1e-8))
    eye = torch.eye(n * d, dtype=W.dtype, device=W.device)
    H = population_hessian(W, V)
    live = _positive_definite(H, skip=any_curvature)
    F = population_loss(W, V)
    for _ in range(min(max_iter, room)):
        idx = (live & (gn > grad_tol) & (F > global_tol)).nonzero().flatten()
        if not idx.numel():
            break
        g = population_grad(W[idx], V).reshape(idx.numel(), n * d, 1)
        L, info = torch.linalg.cholesky_ex(H[idx] + mu[idx].view(-1, 1, 1) * eye)
        ok = info == 0
        step = torch.zeros_like(W[idx])
        if ok.any():
            step[ok] = torch.cholesky_solve(g[ok], L[ok]).reshape(-1, n, d)
        cand = W[idx] - step
        cand_F = population_loss(cand, V)
        cand_gn = population_grad(cand, V).flatten(1).norm(dim=1)
        slack = 1e-15 * F[idx].abs().clamp_min(1.0)
        lower = (cand_F < F[idx] - slack) | ((cand_F <= F[idx] + slack) & (cand_gn < gn[idx]))
        ok &= lower & (step.flatten(1).norm(dim=1) <= max_step)
        # a strict-minimum row never leaves the region where H ≻ 0: a Newton step may otherwise
        # head for a nearby saddle (a stationary point too) that gradient descent would leave
        pre = ok.nonzero().flatten()
        if pre.numel():
            cand_H = population_hessian(cand[pre], V)
            convex = _positive_definite(cand_H, skip=any_curvature[idx[pre]])
            ok[pre[~convex]] = False
            pre, cand_H = pre[convex], cand_H[convex]
            acc = idx[pre]
            W[acc], F[acc], gn[acc], H[acc] = cand[pre], cand_F[pre], cand_gn[pre], cand_H
        acc = idx[ok]
        took[acc] += 1
        mu[acc] = torch.minimum(mu[acc] / 8, gn[acc]).clamp_min(1e-12)
        mu[idx[~ok]] *= 16
        live &= mu < 1.0  # μ this large: the finish is a slow gradient step; leave it to descent
    # all or nothing near strict minima: a finish that stalls short of float64's floor may be creeping
    # up to a degenerate saddle, so the row goes back to where it started and descent goes on
    undo = ~any_curvature & (gn > floor_tol) & (F > global_tol)
    W[undo], gn[undo], took[undo] = start[undo], start_gn[undo], 0
    return W, gn, took


def _positive_definite(H: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """[m] bool: a Cholesky factorisation of H [m, p, p] exists; True without trying where ``skip``."""
    out = skip.clone()
    if not bool(skip.all()):
        out[~skip] = torch.linalg.cholesky_ex(H[~skip])[1] == 0
    return out


# ---------------------------------------------------------------------------------------------
# classification and merging


@dataclass
class Minimum:
    """One distinct spurious minimum: a representative W [n, d], its loss, λ_min and how many restarts reached it."""

    W: torch.Tensor
    loss: float
    min_eig: float
    grad_norm: float
    count: int
    restarts: list[int] = field(default_factory=list)


@dataclass
class Census:
    """What K restarts ended at (counts over restarts) and the distinct spurious minima, worst first."""

    restarts: int
    global_: int
    spurious: int
    saddle_or_flat: int
    unconverged: int
    minima: list[Minimum]
    distinct_up_to_neurons: int
    losses: list[float]

    def summary(self) -> dict[str, Any]:
        return {"restarts": self.restarts, "global": self.global_, "spurious": self.spurious,
                "saddle_or_flat": self.saddle_or_flat, "unconverged": self.unconverged,
                "distinct_minima": len(self.minima), "distinct_up_to_neurons": self.distinct_up_to_neurons,
                "minima": [{"loss": m.loss, "min_eig": m.min_eig, "grad_norm": m.grad_norm, "restarts": m.count}
                           for m in self.minima]}


def classify(res: Descent, V: torch.Tensor, *, global_tol: float = GLOBAL_TOL, min_eig: float = MIN_EIG,
             merge_tol: float = MERGE_TOL) -> Census:
    """Sort the end points: global (F ≤ global_tol), spurious (converged, F > 0, λ_min(∇²F) > min_eig),
    saddle or flat (converged otherwise), unconverged; merge spurious points up to symmetry.

    Stationary points are merged first (equal up to permutations: the same spectrum), so λ_min is
    computed once per distinct point (:func:`arena.engine.newton_cg.smallest_eigenvalue`: dense up to
    ``DENSE_MAX`` parameters, Lanczos above)."""
    K = res.W.shape[0]
    is_global = res.loss <= global_tol
    stationary = res.converged & ~is_global
    idx = stationary.nonzero().flatten().tolist()
    by_neurons = _merge([(i, res.W[i].cpu(), float(res.loss[i])) for i in idx], merge_tol, symmetric_teacher=False)
    orbits = _merge([(g[0][0], res.W[g[0][0]].cpu(), float(res.loss[g[0][0]])) for g in by_neurons], merge_tol,
                    symmetric_teacher=_is_identity(V), members=by_neurons)
    eig_of = {g[0][0]: smallest_eigenvalue(res.W[g[0][0]], V) for g in orbits}
    spurious_orbits = [g for g in orbits if eig_of[g[0][0]] > min_eig]
    spurious = sorted(m[0] for g in spurious_orbits for m in g)
    neuron_classes = sum(1 for g in by_neurons if any(g[0][0] in {m[0] for m in o} for o in spurious_orbits))
    minima = [Minimum(res.W[g[0][0]].cpu().clone(), float(res.loss[g[0][0]]), eig_of[g[0][0]],
                      float(res.grad_norm[g[0][0]]), len(g), [m[0] for m in g]) for g in spurious_orbits]
    minima.sort(key=lambda m: -m.loss)
    return Census(K, int(is_global.sum()), len(spurious), len(idx) - len(spurious),
                  int((~res.converged).sum()), minima, neuron_classes, sorted(float(res.loss[i]) for i in spurious))


def _is_identity(V: torch.Tensor) -> bool:
    k, d = V.shape
    return k == d and bool(torch.equal(V.cpu(), torch.eye(k, dtype=V.dtype)))


def _merge(points: list[tuple[int, torch.Tensor, float]], tol: float, *, symmetric_teacher: bool,
           members: list[list[tuple[int, torch.Tensor, float]]] | None = None) -> list[list[tuple[int, torch.Tensor, float]]]:
    """Group points equal up to a permutation of the rows (and of the coordinates, with V = I)."""
    groups: list[list[tuple[int, torch.Tensor, float]]] = []
    reps: list[tuple[torch.Tensor, float]] = []
    for j, (i, W, F) in enumerate(points):
        for g, (R, FR) in enumerate(reps):
            if abs(F - FR) <= tol and _equivalent(W, R, tol, symmetric_teacher):
                groups[g] += members[j] if members else [(i, W, F)]
                break
        else:
            reps.append((W, F))
            groups.append(list(members[j]) if members else [(i, W, F)])
    return groups


def _equivalent(A: torch.Tensor, B: torch.Tensor, tol: float, symmetric_teacher: bool) -> bool:
    """A = P B (rows permuted), or with a symmetric teacher A = P B Q (Q permutes coordinates too).

    Rows are matched by an assignment on row distances; for the coordinate permutation the columns
    are matched the same way on the column multisets (sorted entries), then rows again.
    """
    from scipy.optimize import linear_sum_assignment

    a, b = A.numpy(), B.numpy()
    if symmetric_teacher:
        ca, cb = np.sort(a, axis=0).T, np.sort(b, axis=0).T
        cost = np.abs(ca[:, None, :] - cb[None, :, :]).max(-1)
        r, c = linear_sum_assignment(cost)
        if cost[r, c].max() > tol:
            return False
        b = b[:, c[np.argsort(r)]]
    cost = np.abs(a[:, None, :] - b[None, :, :]).max(-1)
    r, c = linear_sum_assignment(cost)
    return bool(cost[r, c].max() <= tol)


def wilson(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (fractions)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends: no rounding residue
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def referee_search(setting: Any, cfg: Any, device: Any) -> dict[str, Any]:
    """The referee's badness search on the teacher–student task (the ``badness_search`` result).

    With n >= k the global value is known: F = 0 at the exact minimiser of
    :meth:`TeacherStudentSetting.global_witness` (teacher units, the last one split into parallel
    copies), evaluated here. With n < k the teacher cannot be realised and the referee runs the
    protocol itself from ``cfg.restarts`` initialisations for ``cfg.restart_steps`` steps.
    """
    witness = setting.global_witness()
    if witness is not None:
        best = {"W": witness["W"].to(device)}
        loss = float(setting.empirical_loss(best))
        return {"best_loss": loss, "best_train_error": 0.0, "restarts": 0, "restarts_finite": 0,
                "restart_losses_quantiles": None, "best_params": best,
                "method": "exact global minimiser (teacher units, the last split into parallel copies): F = 0"}
    V = setting.teacher()
    res = descend(V, setting.n, max(1, cfg.restarts), steps=max(1, cfg.restart_steps),
                  generator=torch.Generator().manual_seed(cfg.seed))
    i_best = int(torch.argmin(res.loss))
    q = torch.quantile(res.loss, torch.tensor([0.0, 0.5, 1.0], dtype=res.loss.dtype)).tolist()
    return {"best_loss": float(res.loss[i_best]), "best_train_error": 0.0, "restarts": int(res.loss.numel()),
            "restarts_finite": int(torch.isfinite(res.loss).sum()), "restart_losses_quantiles": q,
            "best_params": {"W": res.W[i_best].to(device)}, "method": "Safran-Shamir descent from random starts"}
