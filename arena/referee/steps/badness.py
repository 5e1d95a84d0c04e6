"""Step 7: is the minimum bad? The witness and the referee's own search against it; the verdict."""
from __future__ import annotations

import math
import secrets
import time
from dataclasses import replace
from typing import Any

import torch

from arena.landscape.setting import Setting
from arena.referee.certificates import dead_network
from arena.referee.config import RefereeConfig, Verdict
from arena.referee.params import to64
from arena.referee.steps.case import Case
from arena.engine.teacher_student import referee_search
from arena.engine.population import polish_lbfgs, train_population
from arena.referee.proofs import attach_proof


def badness_search(setting: Setting, X: torch.Tensor, y: torch.Tensor, cfg: RefereeConfig,
                   device: torch.device) -> dict[str, Any]:
    """Best loss the referee finds on its own: random restarts trained at once, then polished."""
    if getattr(setting, "population", False):
        return referee_search(setting, cfg, device)
    seed = cfg.seed if cfg.seed is not None else secrets.randbits(63)
    gen = torch.Generator().manual_seed(seed)
    per_scale = max(1, cfg.restarts // len(cfg.restart_init_scales))
    inits = [setting.init_params(per_scale, generator=gen, scale=s) for s in cfg.restart_init_scales]
    params = {k: torch.cat([p[k] for p in inits]).to(device) for k in setting.param_shapes}
    # a member at zero loss cannot be beaten by a non-negative loss: the search may end there
    trained = train_population(setting, X, y, params, optimizer="adam", lr=cfg.restart_lr,
                               steps=cfg.restart_steps, device=device, stop_below=0.0)
    polished = polish_lbfgs(setting, X, y, trained.params, max_iter=200, device=device)
    final = to64(polished.params, device)
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


def _gap_needed(case: Case) -> float:
    return case.cfg.gap_tol + case.cfg.gap_rel_tol * abs(case.loss)


def _search(case: Case, target: float) -> dict[str, Any]:
    """The referee's search, cheapest first: a quarter of the restarts and steps; the full search
    only when that finds nothing below ``target`` (one lower point proves badness; only a verdict
    of ``not_bad`` needs the whole budget)."""
    cfg = case.cfg
    quick = replace(cfg, restarts=max(1, cfg.restarts // 4), restart_steps=max(1, cfg.restart_steps // 4))
    search = badness_search(case.setting, case.X, case.y, quick, case.dev)
    search["stage"] = "quick"
    if search["best_loss"] >= target and (quick.restarts, quick.restart_steps) != (cfg.restarts, cfg.restart_steps):
        search = badness_search(case.setting, case.X, case.y, cfg, case.dev)
        search["stage"] = "full"
    case.notes["search_best"] = search.pop("best_params")  # the proof's witness point
    return search


def _best_known(case: Case) -> float:
    ev, best = case.ev, case.loss
    target = case.loss - _gap_needed(case)
    ev["witness_loss"] = None
    if case.claim.witness is not None:
        w = to64(case.claim.witness, case.dev)
        # the witness is in the claim's coordinates; the data are in canonical sample order (same loss)
        ev["witness_loss"] = float(case.setting.empirical_loss(w, case.X, case.y))
        ev["witness_train_error"] = float(case.setting.train_error(w, case.X, case.y))
        best = min(best, ev["witness_loss"])
    if case.cfg.restarts > 0 and best >= target:
        ev["search"] = _search(case, target)
        best = min(best, ev["search"]["best_loss"])
    elif case.cfg.restarts > 0:
        ev["search"] = {"skipped": "the witness already has a loss below the claim's by more than the gap tolerance"}
    return best


def badness_verdict(case: Case) -> Verdict:
    """``not_bad`` when no lower loss is known within the gap tolerance, else ``bad_local_min``."""
    t = time.perf_counter()
    cfg, ev, reasons = case.cfg, case.ev, list(case.notes["passed"])
    best = _best_known(case)
    case.time("badness", t)
    ev["best_loss"] = best
    ev["gap"] = case.loss - best
    gap_needed = _gap_needed(case)
    if ev["gap"] <= gap_needed:
        reasons.append(f"gap {ev['gap']:.3g} <= {gap_needed:.3g}: no lower loss found, so not bad")
        return case.verdict("not_bad", reasons)
    certificate = dead_network(case.setting, case.params, case.X, case.y)
    if certificate is not None:
        ev["certificate"] = certificate
        reasons.append(f"{certificate['label']}: {certificate['statement']}")
    source = "witness" if ev["witness_loss"] is not None and ev["witness_loss"] <= best else "referee search"
    reasons.append(f"lower loss {best:.6g} found by the {source}: gap {ev['gap']:.6g}")
    if ev["train_error"] > 0:
        reasons.append(f"training error {ev['train_error']:.3g} at the minimum")
    if cfg.certify:
        _attach_proof(case, reasons)
    return case.verdict("bad_local_min", reasons)


def _attach_proof(case: Case, reasons: list[str]) -> None:
    """A ball-arithmetic proof, stated in the claim's own coordinates and sample order."""
    params = case.setting.unflatten(case.canon.to_claim(case.point))
    X = case.claim.X.to(device=case.dev, dtype=torch.float64)
    y = case.claim.y.to(device=case.dev, dtype=torch.float64)
    attach_proof(case.ev, reasons, case.setting, params, X, y, case.claim, case.notes.get("search_best"))
