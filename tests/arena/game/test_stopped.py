"""An attack the clock stopped says so: in its result (reason and field) and in its leaderboard cell."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from arena.game import leaderboard
from arena.game.enforce import BudgetExhausted
from arena.game.match import MatchSpec, run_match
from arena.contract import PluginConfig


@dataclass(frozen=True)
class Overrun(PluginConfig):
    """Behaves as an attack does when the arena's alarm fires inside it (raised here, no clock involved)."""

    name: ClassVar[str] = "overrun"

    def applies_to(self, setting, guarantee):
        return True, ""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        raise BudgetExhausted(f"the attack ran past budget.seconds={budget.seconds}")


def test_a_stopped_attack_is_not_an_attacker_without_a_claim(tmp_path):
    spec = MatchSpec(attacker={"_target_": f"{__name__}.Overrun", "name": "overrun"},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting={"name": "s", "network": {"input_dim": 2, "hidden": [3], "neuron": "relu"}},
                     budget={"seconds": 7, "restarts": 2})
    result = run_match(spec, tmp_path / "matches" / spec.match_id, device="cpu")
    assert result["outcome"] == "held"
    assert result["reason"].startswith("stopped at budget.seconds = 7 s before the attacker submitted a claim")
    assert result["stopped_at"] == {"budget.seconds": 7, "how": "interrupted"}
    stored = json.loads((tmp_path / "matches" / spec.match_id / "result.json").read_text())
    assert stored["stopped_at"]["budget.seconds"] == 7
    board = leaderboard.build(tmp_path)
    assert leaderboard.grid(board)[1][1] == "held (stopped at budget.seconds = 7 s)"
