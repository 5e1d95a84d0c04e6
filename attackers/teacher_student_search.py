"""Teacher–student search: the Safran–Shamir protocol on K restarts at once, the worst spurious minimum as the claim.

Safran & Shamir, "Spurious Local Minima are Common in Two-Layer ReLU Neural Networks", ICML 2018
(arXiv 1712.08968): student Σᵢ relu(wᵢᵀx) against the teacher Σⱼ relu(vⱼᵀx) with orthonormal vⱼ
and x ~ N(0, I), population squared loss in closed form. From ``budget.restarts`` initialisations
wᵢ ~ N(0, I/k), gradient descent with step 5/k (at most ``budget.steps`` steps, damped Newton to
finish) until ‖∇F‖ <= 1e-12; end points are merged up to permutations of the neurons (and of the
teacher's coordinates), classified as global (F <= 1e-10) or spurious (F > 0, λ_min(∇²F) > 1e-4),
and the spurious minimum of highest loss is submitted with the exact global minimiser as witness.
Nothing is constructed: the minima are whatever gradient descent finds.

Run: ``python -m arena attacker=teacher_student_search defender=none setting=teacher_student_k8``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from arena.claims import Claim
from arena.engine.teacher_student import GLOBAL_TOL, MIN_EIG, classify, descend, wilson
from arena.contract import Budget
from arena.contract import Guarantee, PluginConfig, require_number


@dataclass(frozen=True)
class TeacherStudentSearch(PluginConfig):
    """``grad_tol``: the protocol's stopping rule; ``global_tol``: F below it is the global value 0;
    ``min_eig``: a spurious minimum's smallest Hessian eigenvalue must exceed it."""

    name: ClassVar[str] = "teacher_student_search"
    population_tasks: ClassVar[bool] = True

    grad_tol: float = 1e-12
    global_tol: float = GLOBAL_TOL
    min_eig: float = MIN_EIG

    def __post_init__(self) -> None:
        for key in ("grad_tol", "global_tol", "min_eig"):
            require_number("attacker teacher_student_search", key, getattr(self, key))

    def applies_to(self, setting, guarantee: Guarantee | None) -> tuple[bool, str]:
        cfg: dict[str, Any] = getattr(setting, "to_config", dict)()
        if cfg.get("task") != "teacher_student":
            return False, "needs the teacher-student population task (task: teacher_student)"
        return True, ""

    def attack(self, setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        V = setting.teacher()
        res = descend(V, setting.n, budget.restarts, steps=budget.steps, grad_tol=self.grad_tol,
                      global_tol=self.global_tol, generator=torch.Generator().manual_seed(seed))
        census = classify(res, V, global_tol=self.global_tol, min_eig=self.min_eig)
        low, high = wilson(census.spurious, census.restarts)
        summary = {**census.summary(), "hit_rate": census.spurious / census.restarts, "ci": [low, high],
                   "steps_budget": budget.steps, "steps_used_max": int(res.steps.max()),
                   "spurious_losses": census.losses}
        claims = []
        for m in census.minima[: budget.max_claims]:
            witness = setting.global_witness()
            X = torch.zeros(0, setting.d, dtype=torch.float64)
            y = torch.zeros(0, dtype=torch.float64)
            claims.append(Claim(setting.to_config(), X, y, {"W": m.W.clone()}, witness=witness, attacker=self.name,
                                seed=seed, notes=(f"spurious minimum F = {m.loss:.10g}, λ_min = {m.min_eig:.4g}, reached by "
                                                  f"{m.count} of {census.restarts} restarts; {census.spurious} restarts "
                                                  f"({len(census.minima)} distinct minima) ended at spurious minima"),
                                extra={"search": summary}))
        return claims
