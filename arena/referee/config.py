"""The referee's settings (:class:`RefereeConfig`) and its answer (:class:`Verdict`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import torch

VERDICTS = ("bad_local_min", "not_local_min", "inconclusive", "bad_path_to_infinity", "not_a_descending_path",
            "not_bad", "invalid", "error")


@dataclass
class RefereeConfig:
    """Every tolerance and budget of the protocol (recorded in each verdict).

    Tolerances are relative to the problem's scales: loss tolerances to ``max(1, |L|)``, the polish
    radius to ``max(1, ‖θ‖)``, flat eigenvalues to the loss scale and the Hessian norm, probe radii to
    each unit's parameter scale, all measured in the canonical form of the claim (see
    :mod:`arena.referee.canonical`).
    """

    max_samples: int = 100_000
    max_params: int = 1_000_000
    max_abs_value: float = 1e6  # |θ| or |X| beyond this is refused as invalid
    polish_radius: float = 1e-2  # relative to max(1, ‖θ‖)
    polish_iters: int = 50
    polish_drop_tol: float = 1e-7  # relative to max(1, |L|)
    polish_newton_max_params: int = 500  # damped Newton up to this size, L-BFGS above
    grad_tol: float = 1e-6
    hessian_exact_max_params: int = 2000
    eig_tol: float = 1e-7  # |λ| <= eig_tol·max(1, |L|) + eig_rel_tol·‖H‖ counts as a flat direction
    eig_rel_tol: float = 1e-10
    kink_tol: float = 1e-9  # relative to the unit's pre-activation scale
    saturation_threshold: float = 1e-12  # a unit whose σ' < this on every sample is saturated
    saturation_grad_tol: float = 1e-6
    probe_radii: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # times each unit's scale
    probe_random: int = 256
    probe_descent_steps: int = 30
    probe_descent_starts: int = 8
    probe_max_flat: int = 64  # flat eigenvectors probed one by one (random mixtures cover the rest)
    descent_tol: float = 1e-12  # relative to max(1, |L|)
    escape_min_radii: int = 3  # a higher-order escape is fitted over at least this many radii
    escape_fit_tol: float = 0.5  # largest residual (log10 units) of the power-law fit
    escape_visibility: float = 100.0  # a missing descent counts only where one above this·tol is predicted
    max_escape_order: int | None = None  # None: derived from the architecture
    canonical: bool = True  # judge the claim in its canonical form (symmetries removed)
    restarts: int = 64
    restart_steps: int = 1500
    restart_lr: float = 1e-2
    restart_init_scales: tuple[float, ...] = (1.0, 3.0)
    gap_tol: float = 1e-6  # absolute
    gap_rel_tol: float = 1e-4  # relative to max(1e-12, |L|)
    path_norm_growth: float = 2.0  # a path's ‖θ‖ must grow at least this factor
    path_settle_tol: float = 1e-6  # fitted remaining descent of a path counted as settled, relative
    path_min_decades: float = 2.0  # the path's t range must span this many decades (paths.py)
    path_extend_decades: float = 4.0  # a closed-form path is also evaluated this far past its last t
    max_path_points: int = 10_000  # given t values of a path claim
    max_path_evaluations: float = 2e8  # points × samples × parameters of the densified path
    allow_custom_network: bool = False  # honour a claim's network _target_ (the user's opt-in)
    seed: int | None = None  # None: a fresh secret seed per judgement, recorded in the verdict
    certify: bool = True  # try a ball-arithmetic proof of every bad_local_min (arena.referee.proofs)

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | None) -> "RefereeConfig":
        if cfg is None:
            return cls()
        names = {f.name for f in cls.__dataclass_fields__.values()}
        unknown = set(cfg) - names
        if unknown:
            raise ValueError(f"referee: unknown settings {sorted(unknown)}")
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in cfg.items()}
        out = cls(**kw)
        for name in ("polish_radius", "eig_tol", "descent_tol", "gap_tol", "grad_tol"):
            if not getattr(out, name) > 0:
                raise ValueError(f"referee.{name} must be > 0, got {getattr(out, name)!r}")
        if out.seed is not None and (isinstance(out.seed, bool) or not isinstance(out.seed, int) or out.seed < 0):
            raise ValueError(f"referee.seed must be a non-negative integer or null, got {out.seed!r}")
        return out

    def seeded(self) -> "RefereeConfig":
        """This config with a seed: its own, or a fresh one the claim's author cannot know."""
        return self if self.seed is not None else replace(self, seed=secrets.randbits(63))


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
        for k in ("loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig", "flat_directions",
                  "strict", "strict_modulo_symmetry", "probe_seed"):
            if k in e:
                lines.append(f"  {k}: {fmt(e[k])}")
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)
