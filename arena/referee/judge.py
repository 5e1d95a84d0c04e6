"""The referee: judges a claimed bad local minimum in float64 by a fixed, replayable protocol.

Steps (one module each under :mod:`arena.referee.steps`):

1. **validate** the setting, names, shapes, finiteness, labels and sizes -> ``invalid``; then move
   the claim to float64 and to its **canonical form** (samples sorted, rescalable units balanced,
   units sorted: :mod:`arena.referee.canonical`), so no exact symmetry of the network can change
   the verdict;
2. **polish**: damped Newton (L-BFGS for large nets) inside ``B(θ, polish_radius)``; a drop beyond
   ``polish_drop_tol`` -> ``not_local_min`` with the descent found;
3. **first order**: ‖∇L‖ at the polished point; units on a kink (relative to the unit's scale);
   units pushed into saturation and their gradient rescaled by 1/σ' (the sign float64 noise hides);
4. **second order**: the Hessian spectrum (exact, or Lanczos on Hessian-vector products), flat
   directions, strictness plain and modulo the rescaling symmetries;
5. **probes**: random and targeted perturbations over radii shrinking to the floor (relative to each
   unit's scale), short descent runs inside each ball, gated units turned then paid;
6. **local verdict**: descent in every ball, a higher-order escape fitted over at least three radii
   with an order the architecture can produce, negative curvature or a hidden slope ->
   ``not_local_min``; evidence that cannot decide -> ``inconclusive`` (counted as held);
7. **badness**: the witness and the referee's own search; ``bad_local_min`` or ``not_bad``.

The probes and the search use a seed drawn fresh for each judgement (``RefereeConfig.seed = None``),
so a claim's author cannot tune a claim against them; the seed is recorded in the verdict
(``tolerances.seed``, ``evidence.probe_seed``) and ``arena verify --seed N`` replays it exactly.
The verdict is numerical evidence, not a proof; every tolerance is recorded in it. Path claims
(``kind: "path"``) are judged by :func:`arena.referee.paths.judge_path` (through :func:`judge_safely`).

A failure inside the referee is its own verdict, ``error``, naming the step and the message
(:func:`judge_safely`); it is never ``invalid``, which blames the claim. A match counts it as held.
"""
from __future__ import annotations

import traceback
from dataclasses import asdict
from typing import Any, Mapping

from arena.claims import Claim
from arena.landscape.setting import Setting
from arena.referee.config import VERDICTS, RefereeConfig, Verdict
from arena.referee.paths import judge_path
from arena.referee.steps.badness import badness_search, badness_verdict
from arena.referee.steps.case import start
from arena.referee.steps.first_order import first_order, saturated_units
from arena.referee.steps.local_verdict import local_verdict
from arena.referee.steps.polish_step import polish_step
from arena.referee.steps.probe_step import probe_step
from arena.referee.steps.second_order import second_order
from arena.referee.steps.unresolved import resolve_flat
from arena.referee.steps.validate import validate

__all__ = ["VERDICTS", "RefereeConfig", "Verdict", "badness_search", "judge", "judge_safely", "saturated_units",
           "validate"]


class StepFailure(Exception):
    """An exception raised inside one step of the protocol (``step``: the step's name)."""

    def __init__(self, step: str, exc: Exception):
        super().__init__(f"{exc.__class__.__name__}: {exc}")
        self.step = step


def _run(step, *args):
    try:
        return step(*args)
    except Exception as exc:  # noqa: BLE001 - named by step, reported by judge_safely
        raise StepFailure(step.__name__, exc) from exc


def _config(config: RefereeConfig | Mapping[str, Any] | None) -> RefereeConfig:
    cfg = config if isinstance(config, RefereeConfig) else RefereeConfig.from_mapping(config)
    return cfg.seeded()


def judge(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto",
          *, setting: Setting | None = None) -> Verdict:
    """Judge a claimed bad local minimum (see the module docstring for the protocol).

    ``setting``: a trusted setting to judge in (see :func:`validate`); default: the claim's own,
    read as data."""
    case = _run(start, claim, _config(config), device, setting)
    if isinstance(case, Verdict):
        return case
    for step in (polish_step, first_order, second_order, probe_step, local_verdict, resolve_flat):
        decided = _run(step, case)
        if decided is not None:
            return decided
    return _run(badness_verdict, case)


def judge_safely(claim: Claim, config: RefereeConfig | Mapping[str, Any] | None = None, device: str = "auto",
                 *, setting: Setting | None = None) -> Verdict:
    """:func:`judge` (or :func:`arena.referee.paths.judge_path` for path claims); a crash inside the
    protocol becomes an ``error`` verdict naming the step, with its traceback (never ``invalid``:
    the failure is the referee's, not the claim's). ``setting``: see :func:`validate`."""
    cfg = None
    try:
        cfg = _config(config)
        if claim.kind == "path":
            return judge_path(claim, cfg, device, setting=setting)
        return judge(claim, cfg, device, setting=setting)
    except Exception as exc:  # noqa: BLE001 - any failure must leave a verdict behind
        step = exc.step if isinstance(exc, StepFailure) else ("path" if claim.kind == "path" else "setup")
        message = str(exc) if isinstance(exc, StepFailure) else f"{exc.__class__.__name__}: {exc}"
        return Verdict("error", [f"referee failed in step {step}: {message}",
                                 "an internal failure, not a fault of the claim: counted as held"],
                       {"error_step": step, "error": message, "traceback": traceback.format_exc()},
                       asdict(cfg or RefereeConfig()))

