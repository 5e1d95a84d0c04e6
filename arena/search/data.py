"""Data search: move the data X so that a trained point θ becomes a bad local minimum.

The nearest published ideas are KKT poisoning (Koh, Steinhardt, Liang, arXiv:1811.00741: choose
poison points so that a decoy θ satisfies the optimality conditions of the training problem) and
gradient matching (Geiping et al., "Witches' Brew", arXiv:2009.02276). Here the decoy is a point
that training actually reached, and the conditions are those of a bad local minimum:

    J(Z, θ) = ‖∇θL(θ; X)‖² + μ Σ_k relu(−λ_k(∇²θL(θ; X)))² − ν min(L(θ; X) − L(θ_w; X), gap) + ρ mean‖x_i‖²,
    X = P(Z),

minimised over the data Z and θ together by Adam, where θ_w is the best point of a witness
population trained on the same X (so the gap is measured against what training reaches) and P keeps
the data inside the defender's assumption when asked: the projection onto
{x : y_i(u·x + c) >= margin} for a fixed separator (u, c), so every X searched is linearly
separable with that margin. Between rounds θ is polished (L-BFGS, float64) and the witness
population is retrained on the new X. Labels stay fixed. Nothing about a construction is built in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from arena.engine.population import polish_lbfgs, train_population
from arena.landscape.setting import Params, Setting


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of one data search (see the module docstring for the objective)."""

    n: int = 16
    rounds: int = 2
    x_steps: int = 15
    lr_x: float = 0.02
    mu: float = 10.0
    nu: float = 1.0
    rho: float = 1e-3
    gap: float = 0.1
    margin: float = 0.1
    separable: bool = True
    lr: float = 0.02
    witness_restarts: int = 8
    init_scales: tuple[float, ...] = (1.0, 2.0, 4.0)


def project_separable(Z: torch.Tensor, y: torch.Tensor, u: torch.Tensor, c: float, margin: float) -> torch.Tensor:
    """Each row moved along u until y_i(u·x_i + c) >= margin (u a unit vector): [n, d] -> [n, d]."""
    short = torch.clamp(margin - y * (Z @ u + c), min=0.0)
    return Z + (short * y)[:, None] * u[None, :]


def _loss(setting: Setting, theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return setting.empirical_loss(setting.unflatten(theta), X, y)


def objective(setting: Setting, theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor, witness_loss: torch.Tensor,
              cfg: SearchConfig) -> tuple[torch.Tensor, dict[str, float]]:
    """J and its parts; differentiable in θ [P] and X [n, d]."""
    L = _loss(setting, theta, X, y)
    (g,) = torch.autograd.grad(L, theta, create_graph=True)
    H = torch.autograd.functional.hessian(lambda t: _loss(setting, t, X, y), theta, create_graph=True,
                                          vectorize=True)
    eig = torch.linalg.eigvalsh(0.5 * (H + H.T))
    gap = L - witness_loss
    J = (g * g).sum() + cfg.mu * (torch.relu(-eig) ** 2).sum() - cfg.nu * torch.clamp(gap, max=cfg.gap) \
        + cfg.rho * (X * X).sum(-1).mean()
    return J, {"loss": float(L.detach()), "grad_norm": float(g.detach().norm()), "min_eig": float(eig[0].detach()),
               "gap": float(gap.detach())}


def train_witnesses(setting: Setting, X: torch.Tensor, y: torch.Tensor, restarts: int, steps: int,
                    gen: torch.Generator, cfg: SearchConfig) -> Params:
    """``restarts`` random starts trained by Adam then polished (float64): name -> [K, *shape]."""
    per = -(-restarts // len(cfg.init_scales))
    inits = [setting.init_params(per, generator=gen, scale=s) for s in cfg.init_scales]
    params = {k: torch.cat([p[k] for p in inits])[:restarts] for k in setting.param_shapes}
    trained = train_population(setting, X, y, params, lr=cfg.lr, steps=steps, device="cpu")
    return polish_lbfgs(setting, X, y, trained.params, max_iter=200, device="cpu").params


def pick(setting: Setting, X: torch.Tensor, y: torch.Tensor, population: Params) -> tuple[int, int, torch.Tensor]:
    """(worst converged-looking member, best member, losses [K]) of a polished population."""
    flat = setting.flatten(population)
    loss = torch.nan_to_num(setting.empirical_loss(population, X, y).detach(), nan=math.inf)
    with torch.enable_grad():
        leaf = flat.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(_loss(setting, leaf, X, y).sum(), leaf)
    gnorm = g.norm(dim=-1)
    best = int(loss.argmin())
    # prefer points that are already nearly stationary, then high loss
    score = torch.where(torch.isfinite(loss), loss - 10.0 * torch.clamp(gnorm, max=1.0), torch.full_like(loss, -math.inf))
    return int(score.argmax()), best, loss


def refine(setting: Setting, Z: torch.Tensor, y: torch.Tensor, theta: torch.Tensor, witness: torch.Tensor,
           u: torch.Tensor, c: float, cfg: SearchConfig) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """One round of Adam on (Z, θ) for J with the witness held fixed; returns (Z, θ, last parts)."""
    Z = Z.clone().requires_grad_(True)
    theta = theta.clone().requires_grad_(True)
    opt = torch.optim.Adam([{"params": [Z], "lr": cfg.lr_x}, {"params": [theta], "lr": cfg.lr_x / 4}])
    parts: dict[str, float] = {}
    for _ in range(cfg.x_steps):
        X = project_separable(Z, y, u, c, cfg.margin) if cfg.separable else Z
        wl = _loss(setting, witness, X, y)
        J, parts = objective(setting, theta, X, y, wl, cfg)
        if not torch.isfinite(J):
            break
        opt.zero_grad()
        J.backward()
        opt.step()
    return Z.detach(), theta.detach(), parts


def search_one(setting: Setting, X0: np.ndarray, y0: np.ndarray, u0: np.ndarray, c0: float, steps: int,
               restarts: int, gen: torch.Generator, cfg: SearchConfig, report: Any = None) -> dict[str, Any]:
    """Train, pick a decoy, move the data for ``cfg.rounds`` rounds; the best (X, θ, witness) seen
    (stationary first, then largest gap) and a log of every round."""
    y = torch.tensor(y0, dtype=torch.float64)
    u = torch.tensor(u0, dtype=torch.float64)
    X = torch.tensor(X0, dtype=torch.float64)
    population = train_witnesses(setting, X, y, restarts, steps, gen, cfg)
    if report is not None:
        report(setting, X, y, population, label="data_search initial population", comparable=True)
    k, best, losses = pick(setting, X, y, population)
    flat = setting.flatten(population)
    theta, witness = flat[k].clone(), flat[best].clone()
    if float(losses[k] - losses[best]) < 1e-3 * cfg.gap:
        # training found no bad point: start the search from the highest-loss point of a short run
        early = train_population(setting, X, y, setting.init_params(restarts, generator=gen), lr=cfg.lr,
                                 steps=max(1, steps // 10), device="cpu")
        theta = setting.flatten(early.params)[int(torch.nan_to_num(early.loss, nan=-math.inf).argmax())].clone()
    log = [_round_entry(0, setting, X, y, theta, witness)]
    kept = (X, theta, witness, log[0])
    Z = X.clone()
    for r in range(1, cfg.rounds + 1):
        Z, theta, parts = refine(setting, Z, y, theta, witness, u, c0, cfg)
        X = project_separable(Z, y, u, c0, cfg.margin) if cfg.separable else Z
        theta = local_polish(setting, X, y, theta, cfg.gap)
        fresh = train_witnesses(setting, X, y, cfg.witness_restarts, max(1, steps // 2), gen, cfg)
        _, b, wl = pick(setting, X, y, fresh)
        moved = polish_lbfgs(setting, X, y, setting.unflatten(witness[None]), max_iter=200, device="cpu")
        witness = flat_min(setting, [(setting.flatten(fresh)[b], float(wl[b])),
                                     (setting.flatten(moved.params)[0], float(moved.loss[0]))])
        log.append({**_round_entry(r, setting, X, y, theta, witness), "objective_parts": parts})
        if _better(log[-1], kept[3]):
            kept = (X.detach().clone(), theta.clone(), witness.clone(), log[-1])
    X, theta, witness, _ = kept
    return {"X": X.detach(), "y": y, "theta": setting.unflatten(theta.detach()),
            "witness": setting.unflatten(witness.detach()), "log": log}


def local_polish(setting: Setting, X: torch.Tensor, y: torch.Tensor, theta: torch.Tensor, gap: float) -> torch.Tensor:
    """L-BFGS inside a small ball around θ; θ itself if the polish falls by more than gap/2 (then θ
    was no minimum, and the next round goes on from it rather than from a far lower point)."""
    radius = 0.05 * max(1.0, float(theta.norm()))
    out = polish_lbfgs(setting, X, y, setting.unflatten(theta[None]), max_iter=200, max_radius=radius, device="cpu")
    before = float(_loss(setting, theta, X, y))
    if not before - float(out.loss[0]) <= gap / 2:
        return theta
    return setting.flatten(out.params)[0]


def _round_entry(r: int, setting: Setting, X: torch.Tensor, y: torch.Tensor, theta: torch.Tensor,
                 witness: torch.Tensor) -> dict[str, Any]:
    with torch.enable_grad():
        leaf = theta.detach().clone().requires_grad_(True)
        L = _loss(setting, leaf, X, y)
        (g,) = torch.autograd.grad(L, leaf)
    wl, loss = float(_loss(setting, witness, X, y)), float(L.detach())
    return {"round": r, "decoy_loss": loss, "decoy_grad_norm": float(g.norm()), "witness_loss": wl, "gap": loss - wl}


def _better(new: dict[str, Any], old: dict[str, Any], grad_tol: float = 1e-6, min_gap: float = 1e-3) -> bool:
    """A stationary decoy with a gap first (largest gap); else the largest gap net of the gradient."""
    def rank(e: dict[str, Any]) -> tuple[bool, float]:
        good = e["decoy_grad_norm"] <= grad_tol and e["gap"] > min_gap
        return good, e["gap"] if good else e["gap"] - 10.0 * e["decoy_grad_norm"]

    return rank(new) > rank(old)


def flat_min(setting: Setting, options: list[tuple[torch.Tensor, float]]) -> torch.Tensor:
    finite = [o for o in options if math.isfinite(o[1])]
    return min(finite or options, key=lambda o: o[1])[0].clone()
