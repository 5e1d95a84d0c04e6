"""The kit collects claims as a match does: an attacker that ``yield``s its claims, or hands them over
with ``budget.submit``, passes the kit and scores in a match exactly like one that returns a list."""
from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import pytest
import yaml

from arena.attackers.all_dead import AllDead
from arena.claims import load_claim
from arena.game.match import MatchSpec, run_match
from arena.testing import check_attacker


@dataclass(frozen=True)
class Yields(AllDead):
    """AllDead's claims, yielded one by one."""

    def attack(self, setting, guarantee, budget, seed, device="cpu", **data):
        yield from AllDead.attack(self, setting, guarantee, budget, seed, device, **data)


@dataclass(frozen=True)
class Submits(AllDead):
    """AllDead's claims, handed over with ``budget.submit``; returns nothing."""

    def attack(self, setting, guarantee, budget, seed, device="cpu", **data):
        for claim in AllDead.attack(self, setting, guarantee, budget, seed, device, **data):
            budget.submit(claim)


HANDOVERS = [AllDead(), Yields(), Submits()]


@pytest.mark.parametrize("attacker", HANDOVERS, ids=lambda a: type(a).__name__)
def test_every_handover_passes_the_kit(attacker):
    check_attacker(attacker, settings=("relu_1d",))


def _match(attacker, folder):
    setting = yaml.safe_load(files("arena.conf").joinpath("setting", "relu_1d.yaml").read_text())
    spec = MatchSpec(attacker={**attacker.config(), "name": attacker.name},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"}, setting=setting,
                     budget={"restarts": 8, "steps": 300, "max_claims": 1}, referee={}, seed=0)
    return run_match(spec, folder, device="cpu")


def test_every_handover_scores_the_same(tmp_path):
    results = [_match(a, tmp_path / type(a).__name__) for a in HANDOVERS]
    listed = results[0]
    assert listed["outcome"] == "broken" and listed["verdict"]["verdict"] == "bad_local_min"
    # every unit dead, output at the best constant: loss 4 n+ n- / n^2 (Liang et al. 2018)
    y = load_claim(tmp_path / "AllDead" / "claim.json").y
    n_pos, n = float((y > 0).sum()), float(len(y))
    assert listed["verdict"]["evidence"]["loss"] == pytest.approx(4 * n_pos * (n - n_pos) / n**2, rel=1e-9)
    for result in results[1:]:
        assert (result["outcome"], result["verdict"]["verdict"]) == (listed["outcome"], "bad_local_min")
        assert result["verdict"]["evidence"]["loss"] == listed["verdict"]["evidence"]["loss"]
        assert result["budget_spent"]["claims"] == listed["budget_spent"]["claims"] == 1
