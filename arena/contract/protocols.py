"""The plugin protocols both plugin folders share: :class:`Attacker`, :class:`Defender`, :class:`Guarantee`.

An attacker says whether it applies to a (defended) setting and its guarantee, with the reason when
it does not, and turns (setting, guarantee, budget, seed) into claims of bad local minima
(:class:`arena.claims.Claim`). A defender turns a base setting into a defended setting and states a :class:`Guarantee`: a promise
that holds under a list of checkable :class:`~arena.assumptions.Assumption` s, with the paper it
comes from. A plugin's constructor arguments are its config: ``plugin.config()`` is the Hydra node
(``_target_`` + arguments) that rebuilds it, and what results record.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from arena.assumptions import Assumption, AssumptionResult, assumption_from_dict, check_all, make_assumption
from arena.claims import Claim
from arena.contract.budget import Budget
from arena.contract.knobs import require_int, require_number
from arena.landscape.setting import Setting

PROMISES = ("no_bad_local_min", "no_bad_strict_local_min", "no_bad_path_to_infinity", None)
STRICTNESS = ("plain", "modulo_symmetry")
KINDS = ("neuron", "architecture", "loss", "regularizer", "combined", "none")

__all__ = ["Assumption", "AssumptionResult", "Attacker", "Budget", "Defender", "Guarantee", "PluginConfig", "KINDS", "PROMISES",
           "applies", "assumptions", "ensure_applies", "make_assumption", "require_builtin", "require_int",
           "require_number"]


@dataclass(frozen=True)
class Guarantee:
    """``promise`` holds for the defended setting on every dataset where all ``assumptions`` hold."""

    promise: str | None
    assumptions: list[Assumption] = field(default_factory=list)
    paper: str = ""
    notes: str = ""
    strictness: str = "plain"  # what "strict" means in the promise: "plain" or "modulo_symmetry"

    def __post_init__(self) -> None:
        if self.promise not in PROMISES:
            raise ValueError(f"guarantee promise must be one of {PROMISES}, got {self.promise!r}")
        if self.strictness not in STRICTNESS:
            raise ValueError(f"guarantee strictness must be one of {STRICTNESS}, got {self.strictness!r}")
        labels = [a.label for a in self.assumptions]
        if len(set(labels)) != len(labels):
            raise ValueError(f"guarantee lists an assumption twice: {labels}")

    def check(self, setting: Setting, X: Any, y: Any) -> dict[str, AssumptionResult]:
        """Every assumption on (defended setting, X [n, d], y [n]), keyed by label."""
        return check_all(self.assumptions, setting, X, y)

    def to_dict(self) -> dict[str, Any]:
        return {"promise": self.promise, "assumptions": [a.to_dict() for a in self.assumptions],
                "paper": self.paper, "notes": self.notes, "strictness": self.strictness}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Guarantee":
        return cls(d.get("promise"), [assumption_from_dict(a) for a in d.get("assumptions", [])],
                   d.get("paper", ""), d.get("notes", ""), d.get("strictness", "plain"))


class PluginConfig:
    """Mixin for dataclass plugins: their fields are the constructor arguments, hence the config."""

    def config(self) -> dict[str, Any]:
        """Hydra node rebuilding this plugin: ``{"_target_": "module.Class", **arguments}``."""
        cls = type(self)
        args = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return {"_target_": f"{cls.__module__}.{cls.__qualname__}", **args}

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        """The config of the plugin built with no arguments (what the ConfigStore gets)."""
        return cls().config()


@runtime_checkable
class Defender(Protocol):
    """``name``, ``kind`` (one of :data:`KINDS`), ``defend`` and ``guarantee``.

    ``guarantee(setting)`` describes ``defend(setting)`` and accepts the base or the already
    defended setting, stating the same guarantee for both.
    """

    name: ClassVar[str]
    kind: ClassVar[str]

    def defend(self, setting: Setting) -> Setting: ...

    def guarantee(self, setting: Setting) -> Guarantee: ...

    def config(self) -> dict[str, Any]: ...


@runtime_checkable
class Attacker(Protocol):
    """``name``, ``applies_to`` and ``attack``.

    ``applies_to(setting, guarantee) -> (True, "")`` or ``(False, reason)``; ``attack`` returns at
    most ``budget.max_claims`` claims whose ``setting`` is ``setting.to_config()``, with CPU tensors.
    It may also be a generator that yields them, or hand them over with ``budget.submit(claim)``:
    claims handed over before the budget's deadline are kept when the arena stops the attack.
    ``guarantee`` may be None when no defender is involved. An attacker that also plays a fixed
    data set (``data=breast_cancer``, :mod:`arena.data`) declares ``fixed_data = True`` and receives
    it as ``attack(..., data=dataset)``; without the attribute it chooses its own data.
    """

    name: ClassVar[str]

    def applies_to(self, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]: ...

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]: ...

    def config(self) -> dict[str, Any]: ...


def applies(attacker: Attacker, setting: Setting, guarantee: Guarantee | None) -> tuple[bool, str]:
    """``attacker.applies_to``, after the arena's own rule: a population task (no dataset, e.g.
    ``task: teacher_student``) is attacked only by attackers that declare ``population_tasks = True``."""
    if getattr(setting, "population", False) and not getattr(attacker, "population_tasks", False):
        return False, f"setting {setting.describe()!r} is a population task (no dataset); the attacker needs data"
    return attacker.applies_to(setting, guarantee)


def ensure_applies(attacker: Attacker, setting: Setting, guarantee: Guarantee | None) -> None:
    """Raise ValueError("attacker <name> does not apply: <reason>") unless :func:`applies` agrees."""
    ok, why = applies(attacker, setting, guarantee)
    if not ok:
        raise ValueError(f"attacker {attacker.name} does not apply: {why}")


def assumptions(*specs: str | tuple[str, dict[str, Any]]) -> list[Assumption]:
    """``assumptions("inputs_distinct", ("loss_smooth", {"k": 1}))`` -> built assumptions."""
    out = []
    for spec in specs:
        name, params = (spec, {}) if isinstance(spec, str) else spec
        out.append(make_assumption(name, **params))
    return out


def require_builtin(setting: Setting, who: str) -> None:
    """Raise a clear error when a defender must edit a custom (opaque) network."""
    if getattr(setting, "population", False):
        raise ValueError(f"defender {who}: needs the built-in MLP network, not the population task "
                         f"{setting.describe()!r}")
    if not setting.builtin:
        raise ValueError(f"defender {who}: needs the built-in MLP network; custom network "
                         f"{setting.network.get('_target_')!r} cannot be edited")
