"""Batched L-BFGS in float64 for a population, each member with its own history and line search."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import torch

from arena.engine.devices import resolve_device, sync
from arena.engine.objective import PopulationLoss, PopulationResult, prepare, within_limits
from arena.landscape.setting import Setting


def polish_lbfgs(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor], *,
                 max_iter: int = 200, history: int = 10, tol_grad: float = 1e-12,
                 max_radius: float | None = None, device: str | torch.device = "auto",
                 c1: float = 1e-4, max_backtracks: int = 50, fused: bool = True) -> PopulationResult:
    """Batched L-BFGS in float64 from each member's point; members stop independently.

    X: [n, d], y: [n]; params: name -> [K, *shape]. Each member runs its own two-loop recursion on
    its row of the [K, P] iterate (``history`` pairs) and its own backtracking Armijo line search
    (sufficient decrease ``c1``, step shrunk by quadratic interpolation within [1/10, 1/2], up to
    ``max_backtracks`` times). Once the decrease to
    expect is below float64 rounding of L (near a minimum), a step is accepted instead when L stays
    within rounding and ‖∇L‖ shrinks, so smooth problems reach gradients near 1e-12.

    A member stops when ‖∇L‖ <= ``tol_grad`` (``converged``), or when neither test accepts any step
    along steepest descent (a kink, a non-smooth loss, saturation): it keeps its last point, never
    NaN. ``max_radius``: every trial point is projected onto the Euclidean ball of that radius
    around the member's start, so ‖θ - θ_start‖ <= max_radius throughout.
    """
    if max_iter < 0 or history < 1 or max_backtracks < 1:
        raise ValueError(f"need max_iter >= 0, history >= 1, max_backtracks >= 1; got {max_iter}, {history}, "
                         f"{max_backtracks}")
    if max_radius is not None and not max_radius >= 0:
        raise ValueError(f"max_radius must be >= 0, got {max_radius}")
    dev = resolve_device(device)
    x, X, y = prepare(setting, X, y, params, dev, torch.float64)
    x, max_iter, limits = within_limits(x, max_iter)
    stopped = False
    objective = PopulationLoss(setting, X, y, fused=fused)
    sync(dev)
    start = time.perf_counter()
    K, P = x.shape
    search = _LineSearch(objective, x.clone(), max_radius, c1, max_backtracks)
    f, g = objective.value_and_grad(x)
    gnorm = g.norm(dim=-1)
    finite = torch.isfinite(f) & torch.isfinite(gnorm)
    converged = finite & (gnorm <= tol_grad)
    active = finite & ~converged
    iterations = torch.zeros(K, dtype=torch.long, device=dev)
    # History as a ring buffer shared by all members; rho = 0 marks a slot a member did not fill.
    S, Yh = x.new_zeros(K, history, P), x.new_zeros(K, history, P)
    rho, gamma = x.new_zeros(K, history), x.new_ones(K)
    slot, done = 0, 0
    for _ in range(max_iter):
        if not bool(active.any()):
            break
        if limits is not None and limits.expired():
            stopped = True
            break
        done += 1
        d = -_two_loop(g, S, Yh, rho, gamma, slot)
        # Without usable curvature pairs (none yet, or a non-descent direction) use -g.
        fresh = ~((g * d).sum(-1) < 0) | (rho == 0).all(-1)
        d = torch.where(fresh[:, None], -g, d)
        # First step length 1/‖g‖ (capped at 1) without curvature information, as torch's LBFGS.
        t = torch.where(fresh, torch.clamp(1.0 / gnorm, max=1.0), torch.ones_like(gnorm))
        x_new, f_new, g_new, moved = search(x, f, g, gnorm, d, t, active)
        failed = active & ~moved
        # A failed quasi-Newton direction gets one more chance as steepest descent next iteration;
        # a failed steepest-descent step ends the member.
        forget = failed & ~fresh
        rho = torch.where(forget[:, None], torch.zeros_like(rho), rho)
        gamma = torch.where(forget, torch.ones_like(gamma), gamma)
        s, yv = x_new - x, g_new - g
        sy, yy = (s * yv).sum(-1), (yv * yv).sum(-1)
        # Only pairs with positive curvature keep the implicit inverse Hessian positive definite.
        keep = moved & torch.isfinite(sy) & (yy > 0) & (sy > 1e-10 * torch.sqrt(yy * (s * s).sum(-1)))
        S[:, slot] = torch.where(keep[:, None], s, S[:, slot])
        Yh[:, slot] = torch.where(keep[:, None], yv, Yh[:, slot])
        rho[:, slot] = torch.where(keep, 1.0 / torch.where(keep, sy, torch.ones_like(sy)), torch.zeros_like(sy))
        gamma = torch.where(keep, sy / torch.where(keep, yy, torch.ones_like(yy)), gamma)
        slot = (slot + 1) % history
        x = torch.where(moved[:, None], x_new, x)
        f = torch.where(moved, f_new, f)
        g = torch.where(moved[:, None], g_new, g)
        gnorm = g.norm(dim=-1)
        iterations += moved.long()
        converged = converged | (moved & (gnorm <= tol_grad))
        active = (moved & (gnorm > tol_grad)) | forget
    sync(dev)
    seconds = time.perf_counter() - start
    if limits is not None:
        limits.record(K, done, stopped)
    return PopulationResult(setting.unflatten(x), f, gnorm, done, seconds, converged=converged,
                            iterations=iterations, distance=(x - search.center).norm(dim=-1),
                            extra={"stopped_at_deadline": True} if stopped else {})


@dataclass
class _LineSearch:
    """Batched backtracking for :func:`polish_lbfgs`; every tensor is per member ([K] or [K, P])."""

    objective: PopulationLoss
    center: torch.Tensor  # [K, P] start points, for max_radius
    radius: float | None
    c1: float
    max_backtracks: int

    def trial(self, x: torch.Tensor, d: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        point = x + t[:, None] * d
        return point if self.radius is None else _project(point, self.center, self.radius)

    def __call__(self, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, gnorm: torch.Tensor, d: torch.Tensor,
                 t: torch.Tensor, active: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_new, f_new, g_new, moved): members not moved keep x, f, g."""
        # Rounding error of L: a change smaller than this is no evidence of a decrease.
        noise = 16 * torch.finfo(f.dtype).eps * f.abs()
        t0 = t
        x_new, f_new, pending, searching = x.clone(), f.clone(), active.clone(), active.clone()
        first_decrease = None
        for _ in range(self.max_backtracks):
            trial = self.trial(x, d, t)
            decrease = (g * (trial - x)).sum(-1)  # < 0 for a descent move, also after projection
            if first_decrease is None:
                first_decrease = decrease
            f_trial = self.objective.value(trial)
            # Armijo, and a drop beyond rounding: noise-level "decreases" at tiny steps would feed
            # meaningless (s, y) pairs into the history.
            ok = (searching & torch.isfinite(f_trial) & (decrease < 0) & (f_trial <= f + self.c1 * decrease)
                  & (f_trial < f - noise))
            x_new = torch.where(ok[:, None], trial, x_new)
            f_new = torch.where(ok, f_trial, f_new)
            pending = pending & ~ok
            # Halving further cannot help once the decrease to expect (about |g·step|/2 for a
            # quadratic) is below rounding.
            searching = pending & ~((decrease < 0) & (-decrease <= 2 * noise))
            if not bool(searching.any()):
                break
            # Minimiser of the quadratic through L(x), its slope and L(trial), kept in [t/10, t/2]:
            # a far too long step shrinks tenfold per trial instead of twofold.
            curvature = f_trial - f - decrease
            quad = -decrease * t / (2 * torch.where(curvature > 0, curvature, torch.ones_like(curvature)))
            shrink = torch.where(torch.isfinite(f_trial) & (curvature > 0), quad, 0.1 * t)
            t = torch.where(searching, torch.minimum(torch.maximum(shrink, 0.1 * t), 0.5 * t), t)
        f_new, g_new = self.objective.value_and_grad(x_new)
        # Only members whose full step promised a decrease near rounding are near a minimum; a
        # failure with a large promised decrease is a kink, where the gradient is no better a guide.
        assert first_decrease is not None  # max_backtracks >= 1: the loop ran
        near_minimum = pending & (-first_decrease <= 1e3 * noise)
        if bool(near_minimum.any()):
            x_new, f_new, g_new, rescued = self._by_gradient(x, f, g, gnorm, d, t0, noise, near_minimum,
                                                             x_new, f_new, g_new)
            pending = pending & ~rescued
        return x_new, f_new, g_new, active & ~pending

    def _by_gradient(self, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, gnorm: torch.Tensor,
                     d: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, pending: torch.Tensor,
                     x_new: torch.Tensor, f_new: torch.Tensor, g_new: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Backtracking with ‖∇L‖ as the merit, for members whose decrease of L is below rounding.

        A step is taken if L drops measurably, or stays within rounding while ‖∇L‖ shrinks
        (strictly, so this cannot cycle). Costs one gradient per trial, only near convergence.
        Returns (x_new, f_new, g_new, accepted).
        """
        candidates = pending
        for _ in range(min(self.max_backtracks, 8)):  # then a restart from -g is the better bet
            trial = self.trial(x, d, t)
            f_trial, g_trial = self.objective.value_and_grad(trial)
            ok = (pending & torch.isfinite(f_trial) & torch.isfinite(g_trial).all(-1)
                  & ((g * (trial - x)).sum(-1) < 0)
                  & ((f_trial < f - noise) | ((f_trial <= f + noise) & (g_trial.norm(dim=-1) < gnorm))))
            x_new = torch.where(ok[:, None], trial, x_new)
            f_new = torch.where(ok, f_trial, f_new)
            g_new = torch.where(ok[:, None], g_trial, g_new)
            pending = pending & ~ok
            if not bool(pending.any()):
                break
            t = torch.where(pending, 0.5 * t, t)
        return x_new, f_new, g_new, candidates & ~pending


def _two_loop(g: torch.Tensor, S: torch.Tensor, Yh: torch.Tensor, rho: torch.Tensor, gamma: torch.Tensor,
              slot: int) -> torch.Tensor:
    """H_k g for every member by the L-BFGS two-loop recursion (empty slots have rho = 0).

    g: [K, P]; S, Yh: [K, m, P]; rho: [K, m]; gamma: [K] initial scaling s·y / y·y; slot: the next
    slot to write, so the newest pair sits at slot - 1.
    """
    m = S.shape[1]
    order = [(slot - 1 - j) % m for j in range(m)]  # newest first
    q = g.clone()
    alphas = []
    for j in order:
        a = rho[:, j] * (S[:, j] * q).sum(-1)
        q = q - a[:, None] * Yh[:, j]
        alphas.append(a)
    r = gamma[:, None] * q
    for j, a in zip(reversed(order), reversed(alphas)):
        b = rho[:, j] * (Yh[:, j] * r).sum(-1)
        r = r + (a - b)[:, None] * S[:, j]
    return r


def _project(x: torch.Tensor, center: torch.Tensor, radius: float) -> torch.Tensor:
    """Rows of x projected onto the ball ‖x - center‖ <= radius: [K, P]."""
    delta = x - center
    norm = delta.norm(dim=-1, keepdim=True)
    scale = torch.clamp(radius / torch.clamp(norm, min=torch.finfo(x.dtype).tiny), max=1.0)
    return center + delta * scale
