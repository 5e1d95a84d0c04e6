"""The plugin kit: conformance checks a plugin author runs with pytest on their own plugin.

Subclass :class:`AttackerConformance` or :class:`DefenderConformance` in a test module and set
``plugin``; pytest then runs each check as a test. :func:`check_attacker` / :func:`check_defender`
run them all in one call. Every plugin of the project passes them (``tests/test_conformance.py``).
"""
from arena.testing.cases import SMOKE, Case, attack_cases, base_settings, small_dataset
from arena.testing.checks import (check_applies_to, check_claim, check_config_round_trip, check_guarantee,
                                  check_protocol, same_claims)
from arena.testing.suites import AttackerConformance, DefenderConformance, check_attacker, check_defender, check_entry_point

__all__ = ["SMOKE", "AttackerConformance", "Case", "DefenderConformance", "attack_cases", "base_settings",
           "check_applies_to", "check_attacker", "check_claim", "check_config_round_trip", "check_defender",
           "check_entry_point", "check_guarantee", "check_protocol", "same_claims", "small_dataset"]
