"""The conformance checks, as plain functions: each raises AssertionError naming what is wrong.

They are what :class:`arena.testing.AttackerConformance` and :class:`arena.testing.DefenderConformance`
run, one test each, and what :func:`check_attacker` / :func:`check_defender` run in one call.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

import torch

from arena.claims import Claim
from arena.contract.budget import Budget
from arena.landscape.setting import Setting
from arena.plain import plain
from arena.contract.protocols import KINDS, PROMISES, AssumptionResult, Attacker, Defender, Guarantee
from arena.testing.cases import Case, small_dataset

_PROTOCOLS: dict[str, Any] = {"attacker": Attacker, "defender": Defender}


def check_protocol(plugin: Any, kind: str) -> None:
    """An instance of the :mod:`arena.contract.protocols` protocol, with a string ``name`` (and a known ``kind``)."""
    assert isinstance(plugin, _PROTOCOLS[kind]), (
        f"{type(plugin).__name__} does not follow the {kind.title()} protocol: it needs "
        + ("name, applies_to, attack and config" if kind == "attacker" else "name, kind, defend, guarantee and config"))
    assert isinstance(plugin.name, str) and plugin.name.isidentifier(), f"name must be an identifier, got {plugin.name!r}"
    if kind == "defender":
        assert plugin.kind in KINDS, f"defender kind must be one of {KINDS}, got {plugin.kind!r}"
    doc = type(plugin).__doc__ or ""
    assert doc.strip(), f"{type(plugin).__name__} has no docstring (its first line is what `arena list` shows)"


def check_config_round_trip(plugin: Any) -> None:
    """``plugin.config()`` is plain data, and Hydra's ``instantiate`` rebuilds an equal plugin from it."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = plugin.config()
    assert isinstance(cfg, dict) and "_target_" in cfg, f"config() must be a dict with a _target_, got {cfg!r}"
    assert json.loads(json.dumps(plain(cfg))) == plain(cfg), f"config() must be JSON-like data, got {cfg!r}"
    rebuilt = instantiate(OmegaConf.create(cfg), _convert_="all")
    assert type(rebuilt) is type(plugin), f"config() builds a {type(rebuilt).__name__}, not a {type(plugin).__name__}"
    assert plain(rebuilt.config()) == plain(cfg), f"config() does not survive Hydra: {cfg} -> {rebuilt.config()}"


def check_applies_to(attacker: Any, cases: list[Case]) -> list[Case]:
    """``applies_to`` returns ``(bool, str)``, with a reason when False; returns the cases it applies to."""
    applicable: list[Case] = []
    refusals: dict[str, list[str]] = {}
    for case in cases:
        from arena.contract.protocols import applies

        answer = applies(attacker, case.setting, case.guarantee)
        assert isinstance(answer, tuple) and len(answer) == 2, f"{case.label}: applies_to must return (bool, str), got {answer!r}"
        ok, why = answer
        assert isinstance(ok, bool) and isinstance(why, str), f"{case.label}: applies_to must return (bool, str), got {answer!r}"
        assert ok or why.strip(), f"{case.label}: applies_to says False without a reason"
        if ok:
            applicable.append(case)
        else:
            refusals.setdefault(why.strip(), []).append(case.label)
    assert applicable, _applies_nowhere(attacker.name, cases, refusals)
    return applicable


def _applies_nowhere(name: str, cases: list[Case], refusals: dict[str, list[str]]) -> str:
    """Why no case was attacked, with the reasons given, and how to attack defended settings."""
    reasons = "; ".join(f"{why!r} ({', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''})"
                        for why, labels in list(refusals.items())[:3])
    message = f"{name} applies to none of the {len(cases)} cases tried; it said {reasons}"
    if not any(case.guarantee is not None for case in cases):
        message += (". Only undefended base settings were tried: an attacker that applies only behind a defense "
                    "names the defenders to attack through, `defenders = (SomeDefender(),)` on its "
                    "AttackerConformance class or check_attacker(plugin, defenders=[SomeDefender()])")
    return message


def check_claim(claim: Any, case: Case) -> None:
    """A valid claim (the referee's validation) in the setting it was asked to attack, with CPU tensors."""
    from arena.referee.judge import RefereeConfig, validate

    assert isinstance(claim, Claim), f"{case.label}: attack must return Claim objects, got {type(claim).__name__}"
    setting = Setting.from_config(claim.setting)
    assert setting.to_config() == case.setting.to_config(), (
        f"{case.label}: the claim's setting is not the attacked setting: {claim.setting} != {case.setting.to_config()}")
    tensors = [claim.X, claim.y, *claim.theta.values(), *(claim.witness or {}).values(), *claim.extra_tensors.values()]
    assert all(t.device.type == "cpu" for t in tensors), f"{case.label}: claims must hold CPU tensors"
    problems = validate(dataclasses.replace(claim, kind="local_min"), RefereeConfig())[1]
    assert problems == [], f"{case.label}: invalid claim: {problems}"
    assert claim.kind in ("local_min", "path"), f"{case.label}: unknown claim kind {claim.kind!r}"
    if claim.kind == "path":
        from arena.referee.paths import path_points

        path_points(claim, setting)  # raises ValueError naming the problem


def check_budget(claims: list[Any], budget: Budget, case: Case) -> None:
    """At most ``budget.max_claims`` claims handed over (returned, yielded or submitted together)."""
    assert len(claims) <= budget.max_claims, f"{case.label}: {len(claims)} claims exceed max_claims={budget.max_claims}"


def same_claims(first: list[Claim], second: list[Claim]) -> str:
    """'' when both lists hold the same claims (tensors bit for bit), else what differs."""
    if len(first) != len(second):
        return f"{len(first)} claims, then {len(second)}"
    for i, (a, b) in enumerate(zip(first, second)):
        if (a.kind, plain(a.setting), plain(a.extra)) != (b.kind, plain(b.setting), plain(b.extra)):
            return f"claim {i}: kind, setting or extra data differ"
        for label, x, z in (("X", {"": a.X}, {"": b.X}), ("y", {"": a.y}, {"": b.y}), ("theta", a.theta, b.theta),
                            ("witness", a.witness or {}, b.witness or {}), ("extra_tensors", a.extra_tensors, b.extra_tensors)):
            if x.keys() != z.keys() or any(not torch.equal(x[k], z[k]) for k in x):
                return f"claim {i}: {label} differs"
    return ""


def check_guarantee(defender: Any, base: Setting, name: str = "") -> None:
    """``defend`` returns a Setting, ``guarantee`` is the same for the base and the defended setting,
    rebuilds from its data, and every assumption runs on data of the defended setting and returns an
    :class:`AssumptionResult` with JSON evidence."""
    defended = defender.defend(base)
    assert isinstance(defended, Setting), f"{name}: defend must return a Setting, got {type(defended).__name__}"
    g = defender.guarantee(base)
    assert isinstance(g, Guarantee) and g.promise in PROMISES, f"{name}: guarantee must be a Guarantee, got {g!r}"
    assert defender.guarantee(defended).to_dict() == g.to_dict(), f"{name}: guarantee(defended) differs from guarantee(base)"
    assert Guarantee.from_dict(json.loads(json.dumps(g.to_dict()))).to_dict() == g.to_dict(), (
        f"{name}: the guarantee does not rebuild from its data")
    assert g.promise is None or g.paper.strip(), f"{name}: a promise needs the paper it comes from"
    X, y = small_dataset(defended)
    for assumption in g.assumptions:
        result = assumption(defended, X, y)
        assert isinstance(result, AssumptionResult), f"{name}: {assumption.label} returned {type(result).__name__}"
        json.dumps(result.to_dict())  # evidence must be data
