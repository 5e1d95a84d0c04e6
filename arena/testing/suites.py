"""Conformance suites for plugin authors: subclass, set ``plugin``, and pytest runs every check.

```python
from arena.testing import AttackerConformance
from my_attacks.trap import ConstantTrap

class TestConstantTrap(AttackerConformance):
    plugin = ConstantTrap()
    entry_point = "constant_trap"   # optional: also check discovery through the entry point
```
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

from arena.contract.budget import Budget
from arena.game.enforce import run_attack
from arena.testing import checks
from arena.testing.cases import SMOKE, Case, attack_cases, base_settings

_ATTACKS: dict[tuple[str, ...], list[Any]] = {}


def attack_case(attacker: Any, case: Case, budget: Budget, seed: int, *, fresh: bool = False) -> list[Any]:
    """The claims ``attacker`` hands over on one case, collected as a match collects them
    (:func:`arena.game.enforce.run_attack`: returned, ``yield``-ed or ``budget.submit``-ted, under
    the budget's engine limits), on CPU. Cached, so several checks share one attack unless ``fresh``."""
    key = (type(attacker).__module__, type(attacker).__qualname__, json.dumps(attacker.config(), sort_keys=True,
           default=str), case.label, str(seed), json.dumps(budget.to_config(), sort_keys=True))
    if fresh or key not in _ATTACKS:
        mine = dataclasses.replace(budget)  # a Budget records what was submitted: one per attack
        claims = run_attack(attacker, case.setting, case.guarantee, mine, seed, "cpu").claims
        if fresh:
            return claims
        _ATTACKS[key] = claims
    return _ATTACKS[key]


def check_entry_point(kind: str, name: str, plugin: Any) -> None:
    """The entry point ``name`` loads ``type(plugin)``, and its config (YAML or default) builds it."""
    from arena.game.registry import conf_yaml, discover, instantiate_plugin

    entries = discover(kind)
    assert name in entries, f"no {kind} entry point named {name!r}; found {sorted(entries)}"
    assert entries[name].load() is type(plugin), f"entry point {name!r} loads {entries[name].target}, not {type(plugin)}"
    nodes = [entries[name].default_config()]
    text = conf_yaml(kind, name)
    if text is not None:
        import yaml

        nodes.append(yaml.safe_load(text))
    for node in nodes:
        built = instantiate_plugin(kind, node)
        assert type(built) is type(plugin) and getattr(built, "name", None) == name, f"{kind} config {node} builds {built!r}"


class _Conformance:
    kind: ClassVar[str] = ""
    plugin: ClassVar[Any] = None
    #: the entry point name to check discovery through (None: not registered, the check is skipped)
    entry_point: ClassVar[str | None] = None

    def test_protocol(self) -> None:
        checks.check_protocol(self.plugin, self.kind)

    def test_config_round_trip(self) -> None:
        checks.check_config_round_trip(self.plugin)

    def test_entry_point(self) -> None:
        if self.entry_point is None:
            import pytest

            pytest.skip("entry_point is not set")
        check_entry_point(self.kind, self.entry_point, self.plugin)


class AttackerConformance(_Conformance):
    """Checks of an attacker: protocol, config round trip, ``applies_to`` reasons, valid claims in the
    attacked setting, the budget, determinism under a seed. Set ``plugin`` (an instance); optionally
    ``defenders`` (instances whose defended settings are attacked too), ``settings`` (base setting
    names; default all), ``max_cases`` (applicable cases attacked), ``budget`` and ``seed``."""

    kind: ClassVar[str] = "attacker"
    defenders: ClassVar[tuple[Any, ...]] = ()
    settings: ClassVar[tuple[str, ...] | None] = None
    max_cases: ClassVar[int] = 2
    budget: ClassVar[Budget] = SMOKE
    seed: ClassVar[int] = 0

    def cases(self) -> list[Case]:
        """Every case ``applies_to`` is asked about."""
        settings = base_settings()
        if self.settings is not None:
            settings = {k: settings[k] for k in self.settings}
        return attack_cases(tuple(self.defenders), settings)

    def attacked(self) -> list[Case]:
        """The first ``max_cases`` cases the attacker applies to."""
        return checks.check_applies_to(self.plugin, self.cases())[: self.max_cases]

    def test_applies_to(self) -> None:
        checks.check_applies_to(self.plugin, self.cases())

    def test_claims_valid_and_in_setting(self) -> None:
        for case in self.attacked():
            for claim in attack_case(self.plugin, case, self.budget, self.seed):
                checks.check_claim(claim, case)

    def test_budget_honoured(self) -> None:
        one = dataclasses.replace(self.budget, max_claims=1)
        for case in self.attacked():
            checks.check_budget(attack_case(self.plugin, case, one, self.seed), one, case)

    def test_deterministic_under_seed(self) -> None:
        for case in self.attacked():
            first = attack_case(self.plugin, case, self.budget, self.seed)
            again = attack_case(self.plugin, case, self.budget, self.seed, fresh=True)
            diff = checks.same_claims(list(first), list(again))
            assert diff == "", f"{case.label}: two attacks with seed {self.seed} differ: {diff}"


class DefenderConformance(_Conformance):
    """Checks of a defender: protocol, config round trip, ``defend`` idempotent, a guarantee that
    describes it, rebuilds from its data and whose assumptions all run on data. Set ``plugin``;
    optionally ``settings`` (base setting names) and ``max_settings``."""

    kind: ClassVar[str] = "defender"
    settings: ClassVar[tuple[str, ...] | None] = None
    max_settings: ClassVar[int] = 2

    def test_defend_and_guarantee(self) -> None:
        settings = base_settings()
        names = list(self.settings) if self.settings is not None else list(settings)
        checked = []
        for name in names:
            try:
                self.plugin.defend(settings[name])
            except ValueError as exc:
                assert str(exc).strip(), f"{name}: defend raised ValueError without a message"
                continue
            checks.check_guarantee(self.plugin, settings[name], name)
            checked.append(name)
            if len(checked) == self.max_settings:
                break
        assert checked, f"{self.plugin.name} defends none of {names}"


def check_attacker(plugin: Any, **options: Any) -> None:
    """Every attacker check in one call (``options`` as the class attributes of AttackerConformance)."""
    _run(type("Check", (AttackerConformance,), {"plugin": plugin, **options})())


def check_defender(plugin: Any, **options: Any) -> None:
    """Every defender check in one call (``options`` as the class attributes of DefenderConformance)."""
    _run(type("Check", (DefenderConformance,), {"plugin": plugin, **options})())


def _run(suite: Any) -> None:
    for name in sorted(dir(suite)):
        if name.startswith("test_") and not (name == "test_entry_point" and suite.entry_point is None):
            getattr(suite, name)()
