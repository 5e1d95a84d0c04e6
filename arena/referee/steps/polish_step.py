"""Step 2: polish the claimed point inside a small ball; a real drop means it is no minimum."""
from __future__ import annotations

import time

from arena.referee.config import Verdict
from arena.referee.curvature import gradient
from arena.referee.polish import polish
from arena.referee.steps.case import Case


def polish_step(case: Case) -> Verdict | None:
    """Damped Newton (L-BFGS for large nets) inside B(θ, polish_radius·max(1, ‖θ‖))."""
    cfg, ev = case.cfg, case.ev
    t = time.perf_counter()
    radius = cfg.polish_radius * max(1.0, float(case.v0.norm()))
    pol = polish(case.setting, case.X, case.y, case.v0, radius=radius, max_iter=cfg.polish_iters,
                 exact_max_params=min(cfg.hessian_exact_max_params, cfg.polish_newton_max_params))
    case.time("polish", t)
    drop = case.loss0 - pol.loss
    ev.update(polish_method=pol.method, polish_drop=drop, polish_distance=pol.distance,
              polish_radius=radius, polish_iterations=pol.iterations)
    case.v, case.loss = pol.v, pol.loss
    ev["loss"] = pol.loss
    ev["train_error"] = float(case.setting.train_error(case.params, case.X, case.y))
    if drop <= cfg.polish_drop_tol * case.scale:
        return None
    ev["grad_norm"] = float(gradient(case.setting, case.X, case.y, case.v0).norm())
    reason = (f"polish lowered the loss by {drop:.3g} (from {case.loss0:.9g} to {pol.loss:.9g}) within "
              f"distance {pol.distance:.3g}: θ is not a local minimum")
    return case.verdict("not_local_min", [reason], direction=(pol.v - case.v0))
