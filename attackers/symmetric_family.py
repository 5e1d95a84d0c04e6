"""Symmetric families: construct the spurious minima of the teacher–student loss at any k.

Arjevani & Field, "Symmetry & critical points for a model shallow neural network" (arXiv
2003.10576) and "Analytic study of families of spurious minima in two-layer ReLU neural networks"
(arXiv 2107.10370): the spurious minima Safran & Shamir (arXiv 1712.08968) found by search are
families of critical points fixed by large diagonal subgroups of S_k × S_k, a few numbers whatever
k is. For each family (ΔS_{k−1} and Δ(S_2 × S_{k−2}) by default; ΔS_k, whose loss tends to a positive
constant as k grows, with ``attacker.families=[s_k]``; Δ(S_m × S_{k−m}), m units turned away, the minima
the search ends at for large k, with ``attacker.families=[s_5_x_s_k_minus_5]``) the attacker solves ∇F = 0 on the group's
fixed-point space by Newton on the reduced system (:mod:`arena.search.symmetric_family`),
classifies the point with the full Hessian block by block on the isotypic decomposition, and
submits every member that is a strict minimum with F > 0, the exact global minimiser as witness.
Nothing is searched: the same construction works at k = 6 and at k = 1000 (the task's settings
stop at n·d = 10⁵ parameters).

Run: ``python -m arena attacker=symmetric_family setting=teacher_student_k20 defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from arena.claims import Claim
from arena.contract import Budget
from arena.contract import Guarantee, PluginConfig


@dataclass(frozen=True)
class SymmetricFamily(PluginConfig):
    """``families``: which families to construct (names in :data:`arena.search.symmetric_family.FAMILIES`,
    or ``s_<m>_x_s_k_minus_<m>`` for Δ(S_m × S_{k−m}), m units turned away, built for k > 2m)."""

    name: ClassVar[str] = "symmetric_family"
    population_tasks: ClassVar[bool] = True

    families: tuple = ("s_k_minus_1", "s_2_x_s_k_minus_2")

    def __post_init__(self) -> None:
        from arena.search.symmetric_family import FAMILIES, family_by_name

        names: list[str] = [str(f) for f in self.families] if isinstance(self.families, (list, tuple)) else []
        try:
            for f in names:
                family_by_name(f)
        except ValueError:
            names = []
        if not names:
            raise ValueError(f"attacker symmetric_family: families must be a non-empty list of {sorted(FAMILIES)} "
                             f"or s_<m>_x_s_k_minus_<m> (m >= 2), got {self.families!r}")
        object.__setattr__(self, "families", tuple(names))

    def applies_to(self, setting, guarantee: Guarantee | None) -> tuple[bool, str]:
        cfg: dict[str, Any] = getattr(setting, "to_config", dict)()
        if cfg.get("task") != "teacher_student":
            return False, "needs the teacher-student population task (task: teacher_student)"
        if not cfg["k"] == cfg["n"] == cfg["d"]:
            return False, f"the families are built for n = d = k, got k={cfg['k']}, n={cfg['n']}, d={cfg['d']}"
        if cfg["k"] < 6:
            return False, "no symmetric family is constructed below k = 6"
        return True, ""

    def attack(self, setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        from arena.landscape.symmetric import dense_point
        from arena.search.symmetric_family import classify, family_by_name, solve

        claims = []
        for name in self.families:
            fam = family_by_name(name)
            if setting.k < fam.min_k:
                continue
            member = solve(fam, setting.k)
            cls = classify(member.sizes, member.x)
            if cls.kind != "minimum" or not member.loss > 0:
                continue
            W = torch.tensor(dense_point(member.sizes, member.x), dtype=torch.float64)
            info = {"family": name, "isotropy": fam.isotropy, "sizes": list(member.sizes),
                    "unknowns": member.x, "loss": member.loss, "grad_norm": member.grad_norm,
                    "min_eig": cls.min_eig, "blocks": [[n, d, ev] for n, d, ev in cls.blocks]}
            claims.append(Claim(setting.to_config(), torch.zeros(0, setting.d, dtype=torch.float64),
                                torch.zeros(0, dtype=torch.float64), {"W": W}, witness=setting.global_witness(),
                                attacker=self.name, seed=seed,
                                notes=(f"{fam.isotropy}-symmetric critical point, constructed: F = "
                                       f"{member.loss:.12g}, ‖∇F‖ = {member.grad_norm:.2g}, λ_min = {cls.min_eig:.4g} "
                                       f"(isotypic blocks)"),
                                extra={"symmetric": info}))
        return claims[: budget.max_claims] if budget.max_claims else claims
