"""One match: defender -> attacker -> referee -> outcome, written to its own folder.

Outcomes (:mod:`arena.contract.outcomes`, docs/design.md):

* ``broken``: a verified bad local minimum and every assumption of the guarantee holds on its data;
* ``out_of_scope``: a verified bad local minimum, but an assumption provably fails, or the promise
  does not cover it (named in the result): evidence that the assumption is needed;
* ``out_of_scope?``: a verified bad local minimum whose only failing assumptions are unproven (a
  search that found no witness, an undecidable or crashed check): it may be in scope, so it counts
  neither as broken nor as evidence of necessity;
* ``held``: no claim survived the referee (an ``inconclusive`` verdict counts as held);
* ``incompatible``: the attacker does not apply to the defended setting (with its reason);
* ``error``: a crash; the traceback is kept in ``result.json`` and ``traceback.txt``.

On a fixed data set (``spec.data``, :mod:`arena.data`) the network is built for the data's input
dimension, the guarantee's assumptions are checked on the data (``data_assumptions``), an attacker
without ``fixed_data = True`` is ``incompatible``, and a claim on other data is ``invalid``.

The folder gets ``result.json`` (outcome, evidence, resolved config, seeds, versions, timings) and
the best claim with its verdict (``claim.json``, ``claim.safetensors``, ``verdict.json``).
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
import traceback
from importlib.metadata import version
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch

from arena import __version__
from arena.contract import atomic
from arena.contract import outcomes
from arena.contract.budget import Budget
from arena.game.enforce import run_attack
from arena.claims import Claim, save_claim
from arena.data import load_data
from arena.data.bind import checks_on_data, claim_problem, data_applies, fit_setting, stamp
from arena.engine.population import resolve_device
from arena.referee.judge import RefereeConfig, Verdict, judge_safely
from arena.search import basins
from arena.game.registry import instantiate_plugin
from arena.landscape.setting import Setting, code_keys
from arena.contract.protocols import applies as attacker_applies



@dataclass
class MatchSpec:
    """What a match is: plugins' configs, the base setting, budget, referee settings and seed."""

    attacker: dict[str, Any]
    defender: dict[str, Any]
    setting: dict[str, Any]  # base setting config, with a "name"
    budget: dict[str, Any] = field(default_factory=dict)
    referee: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    data: dict[str, Any] | None = None  # a fixed data set's node (arena.data); None: the attacker's choice

    @property
    def setting_name(self) -> str:
        return str(self.setting.get("name", "setting"))

    @property
    def match_id(self) -> str:
        data = f"__{self.data.get('name', 'data')}" if self.data else ""
        return f"{self.attacker['name']}__{self.defender['name']}__{self.setting_name}{data}__s{self.seed}"

    def config(self) -> dict[str, Any]:
        cfg = {"attacker": self.attacker, "defender": self.defender, "setting": self.setting,
               "budget": self.budget, "referee": self.referee, "seed": self.seed}
        return {**cfg, "data": self.data} if self.data else cfg  # synthetic: hashes as before

    def config_hash(self) -> str:
        text = json.dumps(self.config(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    out = {"arena": __version__, "torch": torch.__version__, "python": platform.python_version()}
    for pkg in ("hydra-core", "pytorch-lightning", "wandb", "safetensors"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing optional package is simply not listed
            pass
    return out


def finished_result(match_dir: Path, spec: MatchSpec) -> dict[str, Any] | None:
    """The stored result if this exact match already finished (resume skips it), else None."""
    path = match_dir / "result.json"
    if not path.is_file():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if result.get("outcome") in outcomes.FINAL and result.get("config_hash") == spec.config_hash():
        return result
    return None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic.write_json(path, data)


VERIFIED = ("bad_local_min", "bad_path_to_infinity")


def scope_gaps(guarantee: Any, claim: Claim, verdict: Verdict) -> list[str]:
    """What the defender's promise does not cover about this verified claim (empty: covered).

    ``no_bad_local_min`` covers every local minimum but no path to infinity;
    ``no_bad_strict_local_min`` covers only strict minima (flat directions or a kink: not covered),
    strict in the guarantee's ``strictness`` notion (``plain`` or ``modulo_symmetry``);
    ``no_bad_path_to_infinity`` covers both. A defender with no promise (None) covers everything:
    any verified bad point counts against the base setting.
    """
    promise = getattr(guarantee, "promise", None)
    if promise is None:
        return []
    gaps = []
    if claim.kind == "path" and promise != "no_bad_path_to_infinity":
        gaps.append("promise_covers_paths_to_infinity")
    # the guarantee names its notion of strictness: plain, or modulo the network's symmetries
    notion = "strict_modulo_symmetry" if getattr(guarantee, "strictness", "plain") == "modulo_symmetry" else "strict"
    if claim.kind == "local_min" and promise == "no_bad_strict_local_min" and verdict.evidence.get(notion) is not True:
        gaps.append("promise_covers_non_strict_minima")
    return gaps


def same_setting(claimed: Any, trusted: Setting) -> bool:
    """Whether a claim's setting (untrusted data) names the trusted setting, without building it.

    A claim setting without code is normalised as data (:meth:`Setting.from_claim`, no code: a
    built-in network or a population task alike) and compared with the trusted one normalised the
    same way; a custom network must repeat the trusted config exactly, and is never instantiated
    from the claim.
    """
    try:
        if not code_keys(claimed):
            return Setting.from_claim(claimed).to_config() == trusted.to_config()
        plain = json.loads(json.dumps(claimed))
        return {"regularizer": None, **plain} == json.loads(json.dumps(trusted.to_config()))
    except (ValueError, KeyError, TypeError, RecursionError):
        return False


def _claim_rank(v: Verdict) -> tuple:
    order = {"bad_local_min": 0, "bad_path_to_infinity": 0, "not_bad": 1, "inconclusive": 1, "not_local_min": 2,
             "not_a_descending_path": 2, "error": 3, "invalid": 3}
    return (order.get(v.verdict, 9), -(v.evidence.get("gap") or 0.0))


def check_assumptions(guarantee: Any, setting: Setting, claim: Claim) -> list[dict[str, Any]]:
    """Each assumption of the guarantee checked on the claim's data: name, holds, proved, evidence.

    ``holds`` is True, False or None (undecided); a crashed check is ``holds: None, proved: false``.
    """
    return check_assumptions_on(guarantee, setting, claim.X, claim.y)


def check_assumptions_on(guarantee: Any, setting: Setting, X: torch.Tensor, y: torch.Tensor) -> list[dict[str, Any]]:
    """:func:`check_assumptions` on data X [n, d], y [n] (e.g. a fixed data set, before any claim)."""
    X = X.to(torch.float64)
    y = y.to(torch.float64)
    checks = []
    for assumption in getattr(guarantee, "assumptions", None) or []:
        try:
            res = assumption.check(setting, X, y)
            holds, proved, evidence = res.holds, bool(getattr(res, "proved", False)), dict(res.evidence)
        except Exception as exc:  # noqa: BLE001 - a failing check is reported, not fatal
            holds, proved, evidence = None, False, {"error": f"{exc.__class__.__name__}: {exc}"}
        checks.append({"name": getattr(assumption, "label", assumption.name), "holds": holds, "proved": proved,
                       "evidence": _jsonable(evidence)})
    return checks


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    return value


def _guarantee_dict(guarantee: Any) -> dict[str, Any] | None:
    if guarantee is None:
        return None
    return {"promise": getattr(guarantee, "promise", None), "paper": getattr(guarantee, "paper", ""),
            "strictness": getattr(guarantee, "strictness", "plain"),
            "assumptions": [{"name": getattr(a, "label", a.name), "description": getattr(a, "description", "")}
                            for a in getattr(guarantee, "assumptions", None) or []]}


def run_match(spec: MatchSpec, match_dir: str | Path, *, device: str = "auto") -> dict[str, Any]:
    """Play one match and write its folder; never raises for plugin failures (outcome ``error``)."""
    match_dir = Path(match_dir)
    match_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {"cpu": time.process_time()}  # becomes this match's CPU seconds in _finish
    result: dict[str, Any] = {
        "match_id": spec.match_id, "attacker": spec.attacker["name"], "defender": spec.defender["name"],
        "setting": spec.setting_name, "seed": spec.seed, "config": spec.config(),
        "config_hash": spec.config_hash(), "versions": versions(), "started": started,
    }
    try:
        dev = resolve_device(device)
        result["device"] = str(dev)
        torch.manual_seed(spec.seed)
        attacker = instantiate_plugin("attacker", spec.attacker)
        defender = instantiate_plugin("defender", spec.defender)
        budget = Budget.from_config(spec.budget)
        referee_cfg = RefereeConfig.from_mapping(spec.referee)  # probe seed: fresh per judgement, not the match's
        base = Setting.from_config({k: v for k, v in spec.setting.items() if k != "name"})
        data = load_data(spec.data)  # None: the attacker chooses the data
        if data is not None:
            result["data"] = data.summary()
            base, why = fit_setting(base, data)
            if base is None:
                result.update(outcome="incompatible", reason=why)
                return _finish(result, match_dir, timings, started)
        t = time.perf_counter()
        defended = defender.defend(base)
        guarantee = defender.guarantee(base)
        timings["defend"] = time.perf_counter() - t
        result["defended_setting"] = defended.to_config()
        result["defended_setting_description"] = defended.describe()
        result["guarantee"] = _guarantee_dict(guarantee)
        if data is not None:  # which theorems apply to this data set, whatever the attacker
            t = time.perf_counter()
            result["data_assumptions"] = checks_on_data(guarantee, defended, data, check_assumptions_on)
            timings["data_assumptions"] = time.perf_counter() - t
        ok, why = data_applies(attacker, data)
        if ok:
            ok, why = attacker_applies(attacker, defended, guarantee)
        if not ok:
            result.update(outcome="incompatible", reason=why)
            return _finish(result, match_dir, timings, started)
        t = time.perf_counter()
        with basins.recording() as populations:  # restart end points the attacker reports, if any
            attack = run_attack(attacker, defended, guarantee, budget, spec.seed, str(dev), data=data)
        claims = attack.claims
        result["budget_spent"] = attack.report()
        if attack.stopped:  # the clock, not the attacker, ended the attack
            result["stopped_at"] = {"budget.seconds": budget.seconds, "how": attack.stopped}
        timings["attack"] = time.perf_counter() - t
        t = time.perf_counter()
        result["bad_basin"] = basins.summarize(populations.populations)
        timings["bad_basin"] = time.perf_counter() - t
        t = time.perf_counter()
        judged: list[tuple[Claim, Verdict]] = []
        for claim in claims[: budget.max_claims]:
            if not same_setting(claim.setting, defended):
                v = Verdict("invalid", ["the claim's setting is not the defended setting"], {}, {})
            elif claim_problem(claim, data):
                v = Verdict("invalid", [claim_problem(claim, data)], {}, {})
            else:  # judged in the user's own setting: nothing is instantiated from the claim
                v = judge_safely(claim, referee_cfg, device=str(dev), setting=defended)
            judged.append((claim, v))
        timings["referee"] = time.perf_counter() - t
        result["claims"] = [{"verdict": v.verdict, "loss": v.evidence.get("loss"), "gap": v.evidence.get("gap"),
                             "reasons": v.reasons} for _, v in judged]
        if not judged:
            reason = "the attacker submitted no claim"
            if attack.stopped:
                reason = (f"stopped at budget.seconds = {budget.seconds} s before the attacker submitted a claim "
                          f"({'interrupted' if attack.stopped == 'interrupted' else 'the engine stopped'})")
            result.update(outcome="held", reason=reason)
            return _finish(result, match_dir, timings, started)
        judged.sort(key=lambda cv: _claim_rank(cv[1]))
        scoped = []
        for claim, v in judged:
            if v.verdict not in VERIFIED:
                continue
            checks = check_assumptions(guarantee, defended, claim)
            proven = [c["name"] for c in checks if c["holds"] is False and c["proved"]]
            unproven = [c["name"] for c in checks if c["holds"] is not True and not (c["holds"] is False and c["proved"])]
            scoped.append((claim, v, checks, proven, unproven, scope_gaps(guarantee, claim, v)))
        if scoped:
            # the most telling claim: broken, then unproven failures only, then proven ones
            scoped.sort(key=lambda s: (len(s[3]) + len(s[5]) > 0, len(s[4]) > 0, len(s[5]) > 0))
            claim, v, checks, proven, unproven, gaps = scoped[0]
            what = "path to infinity" if claim.kind == "path" else "local minimum"
            result["assumption_checks"] = checks
            if gaps or proven or unproven:
                parts = ([f"the promise {guarantee.promise!r} does not cover it ({', '.join(gaps)})"] if gaps else []) + \
                        ([f"assumption(s) {', '.join(proven)} provably fail"] if proven else []) + \
                        ([f"assumption(s) {', '.join(unproven)} not shown to hold (unproven)"] if unproven else [])
                result.update(outcome="out_of_scope" if gaps or proven else "out_of_scope?",
                              failed_assumptions=gaps + proven + unproven, proven_failures=gaps + proven,
                              unproven_failures=unproven, reason=f"verified bad {what}, but " + "; ".join(parts))
            else:
                result.update(outcome="broken", reason=f"verified bad {what} with every assumption holding")
        else:
            claim, v = judged[0]
            result.update(outcome="held", reason=f"no claim survived the referee (best: {v.verdict}: "
                                                 f"{v.reasons[0] if v.reasons else ''})")
            if v.verdict != "invalid":
                # whether the failed attempt was in scope: the guarantee's assumptions on its data
                result["assumption_checks"] = check_assumptions(guarantee, defended, claim)
        stamp(claim, data)  # the data set's name and fingerprint travel with the claim
        save_claim(claim, match_dir / "claim.json")
        _write_json(match_dir / "verdict.json", v.to_dict())
        result["verdict"] = v.to_dict()
        result["proof"] = v.evidence.get("proof") is True  # a certificate checked in ball arithmetic
        return _finish(result, match_dir, timings, started)
    except Exception as exc:  # noqa: BLE001 - every crash becomes an `error` result with its traceback
        tb = traceback.format_exc()
        atomic.write_text(match_dir / "traceback.txt", tb)
        result.update(outcome="error", reason=f"{exc.__class__.__name__}: {exc}", traceback=tb)
        return _finish(result, match_dir, timings, started)


def _finish(result: dict[str, Any], match_dir: Path, timings: dict[str, float], started: float) -> dict[str, Any]:
    timings["total"] = time.time() - started
    timings["cpu"] = time.process_time() - timings["cpu"]
    result["timings"] = timings
    _write_json(match_dir / "result.json", _jsonable(result))
    return result
