"""The state one judgement carries from step to step, and how it turns into a :class:`Verdict`.

Everything inside a case is in the claim's *canonical* coordinates (see
:mod:`arena.referee.canonical`); points and directions are mapped back to the claim's own
coordinates only when they leave, in the verdict.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from arena.claims import Claim
from arena.engine.population import resolve_device
from arena.landscape.setting import Setting
from arena.referee.canonical import Canonical, canonical_form
from arena.referee.config import RefereeConfig, Verdict
from arena.referee.curvature import loss_of_flat
from arena.referee.params import named, to64
from arena.referee.steps.validate import validate


@dataclass
class Case:
    """One judgement in progress (tensors float64, canonical coordinates)."""

    claim: Claim
    cfg: RefereeConfig
    setting: Setting
    dev: torch.device
    canon: Canonical
    X: torch.Tensor  # [n, d]
    y: torch.Tensor  # [n]
    v0: torch.Tensor  # [P] the claimed point
    loss0: float
    ev: dict[str, Any]
    t0: float = field(default_factory=time.perf_counter)
    v: torch.Tensor | None = None  # [P] the polished point
    loss: float = math.nan
    notes: dict[str, Any] = field(default_factory=dict)  # steps' intermediate results

    @property
    def point(self) -> torch.Tensor:
        """The polished point [P]; the steps after polishing read it."""
        if self.v is None:
            raise RuntimeError("the case has no polished point yet: the polish step runs first")
        return self.v

    @property
    def seed(self) -> int:
        """The probe seed (the judge seeds every config before a case starts)."""
        if self.cfg.seed is None:
            raise RuntimeError("the referee config has no seed: judge() seeds it before the steps run")
        return self.cfg.seed

    @property
    def params(self) -> dict[str, torch.Tensor]:
        return self.setting.unflatten(self.point)

    @property
    def scale(self) -> float:
        """The loss scale every loss tolerance is relative to."""
        return max(1.0, abs(self.loss))

    def claim_direction(self, d: torch.Tensor) -> torch.Tensor:
        """A canonical direction [P] in the claim's coordinates, unit length."""
        back = self.canon.to_claim(d)
        return back / back.norm().clamp(min=1e-300)

    def name(self, d: torch.Tensor) -> dict[str, float]:
        """A canonical direction named by the claim's parameters."""
        return named(self.setting, self.claim_direction(d))

    def verdict(self, name: str, reasons: list[str], direction: torch.Tensor | None = None) -> Verdict:
        self.ev["timings"]["total"] = time.perf_counter() - self.t0
        polished = None if self.v is None else self.setting.unflatten(self.canon.to_claim(self.v))
        named_direction = None
        if direction is not None:
            self.ev["descent_direction"] = self.name(direction)
            named_direction = self.setting.unflatten(self.claim_direction(direction))
        return Verdict(name, reasons, self.ev, asdict(self.cfg), polished=polished, descent_direction=named_direction)

    def time(self, key: str, since: float) -> None:
        self.ev["timings"][key] = time.perf_counter() - since


def start(claim: Claim, cfg: RefereeConfig, device: str, setting: Setting | None = None) -> Case | Verdict:
    """Validate, move to float64 and to the canonical form; ``invalid`` verdicts end here.

    ``setting``: a trusted setting to judge in (see :func:`~arena.referee.steps.validate.validate`)."""
    setting, problems = validate(claim, cfg, setting)
    if claim.kind != "local_min":
        problems.append(f"claim kind {claim.kind!r} is judged by the path protocol, not this one")
    if problems or setting is None:
        return Verdict("invalid", problems, {"probe_seed": cfg.seed}, asdict(cfg))
    dev = resolve_device(device)
    X = claim.X.to(device=dev, dtype=torch.float64)
    y = claim.y.to(device=dev, dtype=torch.float64)
    v_claim = setting.flatten(to64(claim.theta, dev))
    canon = canonical_form(setting, v_claim, X, y, enabled=cfg.canonical)
    order = canon.sample_order.to(dev)
    X, y = X[order], y[order]
    v0 = canon.to_canonical(v_claim)
    loss0 = float(loss_of_flat(setting, X, y)(v0))
    ev: dict[str, Any] = {"n": int(X.shape[0]), "d": int(X.shape[1]), "num_params": setting.num_params,
                          "setting": setting.describe(), "device": str(dev), "claimed_loss": loss0,
                          "probe_seed": cfg.seed, "timings": {}}
    ev["canonical"] = canon.evidence(setting, v0)
    case = Case(claim, cfg, setting, dev, canon, X, y, v0, loss0, ev)
    if not math.isfinite(loss0):
        return Verdict("invalid", [f"the loss at θ is not finite ({loss0})"], ev, asdict(cfg))
    return case
