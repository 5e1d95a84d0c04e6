"""Over-parameterisation: more student units than the teacher has, n = k + 1, k + 2 or 2k.

Safran & Shamir, "Spurious Local Minima are Common in Two-Layer ReLU Neural Networks", ICML 2018
(arXiv 1712.08968) observe numerically that mild over-parameterisation of the student makes the
spurious minima of the teacher–student problem much rarer. It is an observation, not a theorem:
over-parameterised students still have spurious minima for some teachers and widths, so the
guarantee promises nothing (promise None, like ``wider_by_one``) and the arena measures it (the
hit-rate sweep ``python -m arena experiment=safran_shamir``). On the built-in MLP family the same
edit widens every hidden layer (h -> h + 1, h + 2, 2h).

Unlike most defenders the edit is relative, so ``defend`` is not idempotent; the arena applies it
once per match, to the base setting.

Run: ``python -m arena attacker=teacher_student_search defender=overparam_plus1 setting=teacher_student_k8``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from arena.contract import Guarantee, PluginConfig, require_builtin
from arena.landscape.teacher_student import widen

PAPER = ("Safran, Shamir. Spurious Local Minima are Common in Two-Layer ReLU Neural Networks. ICML 2018, "
         "arXiv:1712.08968")
EXTRAS = ("+1", "+2", "x2")


@dataclass(frozen=True)
class Overparameterize(PluginConfig):
    """Architecture defense: ``extra`` is "+1", "+2" or "x2" (student units, or every hidden width)."""

    extra: str = "+1"

    name: ClassVar[str] = "overparameterize"
    kind: ClassVar[str] = "architecture"

    def __post_init__(self) -> None:
        if self.extra not in EXTRAS:
            raise ValueError(f"defender {self.name}: extra must be one of {EXTRAS}, got {self.extra!r}")

    def defend(self, setting: Any) -> Any:
        if getattr(setting, "population", False):
            return setting.replace(n=widen(setting.n, self.extra))
        require_builtin(setting, self.name)
        if not setting.mlp.hidden:
            raise ValueError(f"defender {self.name}: the network has no hidden layer to widen (hidden: [])")
        return setting.replace(hidden=[widen(h, self.extra) for h in setting.mlp.hidden])

    def guarantee(self, setting: Any) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise=None, assumptions=[], paper=PAPER,
            notes=(f"Empirical, not a theorem: with n = k {self.extra.replace('x2', '· 2')} students, gradient descent "
                   "from random starts ends at a spurious minimum far less often than with n = k (measured by the "
                   "hit-rate sweep). Nothing is promised; every verified bad local minimum counts against it."))


@dataclass(frozen=True)
class OverparamPlus1(Overparameterize):
    """n = k + 1."""

    extra: str = "+1"
    name: ClassVar[str] = "overparam_plus1"


@dataclass(frozen=True)
class OverparamPlus2(Overparameterize):
    """n = k + 2."""

    extra: str = "+2"
    name: ClassVar[str] = "overparam_plus2"


@dataclass(frozen=True)
class OverparamDouble(Overparameterize):
    """n = 2k."""

    extra: str = "x2"
    name: ClassVar[str] = "overparam_x2"
