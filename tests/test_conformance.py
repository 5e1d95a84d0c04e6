"""Every plugin of the project passes the plugin kit (arena.testing), found through its entry point."""
from __future__ import annotations

import pytest

from arena.game.registry import discover
from arena.testing import AttackerConformance, DefenderConformance

# Attackers that only apply to a defended setting get the defenders whose settings they attack.
DEFENDERS_FOR = {"path_to_infinity": ("exp_neuron", "multiplicative_exp")}
# Searches train populations: one small setting keeps them fast.
OPTIONS = {"random_restarts": {"settings": ("relu_1d",), "max_cases": 1},
           "init_search": {"settings": ("relu_1d",), "max_cases": 1},
           # the population task: sizes the search finishes quickly (teacher_student_k100 is for the proofs)
           "teacher_student_search": {"settings": ("teacher_student_k10", "teacher_student_k20")},
           "symmetric_family": {"settings": ("teacher_student_k7", "teacher_student_k8")}}
SLOW: set[str] = set()


def _suite(kind: str, name: str, entry) -> type:
    base = AttackerConformance if kind == "attacker" else DefenderConformance
    attrs = {"plugin": entry.load()(), "entry_point": name}
    if kind == "attacker" and name in DEFENDERS_FOR:
        defenders = discover("defender")
        attrs["defenders"] = tuple(defenders[d].load()() for d in DEFENDERS_FOR[name])
    attrs.update(OPTIONS.get(name, {}))
    if name in SLOW:
        attrs["pytestmark"] = [pytest.mark.slow]
    return type(f"Test_{kind}_{name}", (base,), attrs)


for _kind in ("attacker", "defender"):
    for _name, _entry in discover(_kind).items():
        _cls = _suite(_kind, _name, _entry)
        globals()[_cls.__name__] = _cls


def test_every_plugin_has_a_suite():
    names = {k for k in globals() if k.startswith("Test_")}
    assert {f"Test_attacker_{n}" for n in discover("attacker")} <= names
    assert {f"Test_defender_{n}" for n in discover("defender")} <= names
    assert len(names) >= 21
