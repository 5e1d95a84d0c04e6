"""The budget is enforced by the arena: the engine clips and stops, a slow attack keeps what it handed over."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from arena.engine import limits
from arena.engine.population import polish_lbfgs, train_population
from arena.game.budget import Budget
from arena.game.enforce import grace_seconds, run_attack
from arena.game.match import MatchSpec, run_match
from arena.landscape.setting import Setting
from tests.conftest import ROOT

SETTING = {"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"}
X = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, -1.0]], dtype=torch.float64)
Y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=torch.float64)


@pytest.fixture
def setting():
    return Setting.from_config(SETTING)


def test_engine_clips_population_and_steps_under_active_limits(setting):
    params = setting.init_params(40, generator=torch.Generator().manual_seed(0))
    caps = limits.Limits(restarts=5, steps=7)
    with limits.active(caps):
        trained = train_population(setting, X, Y, params, lr=0.01, steps=1000)
        polished = polish_lbfgs(setting, X, Y, params, max_iter=500)
    assert trained.k == 5 and trained.steps == 7
    assert polished.k == 5 and polished.steps <= 7
    assert caps.spent["clipped_restarts"] == 2 and caps.spent["clipped_steps"] == 2
    assert caps.spent["network_steps"] == 5 * 7 + 5 * polished.steps
    free = train_population(setting, X, Y, params, lr=0.01, steps=20)  # outside the block: as asked
    assert free.k == 40 and free.steps == 20


def test_engine_stops_at_the_deadline(setting):
    params = setting.init_params(8, generator=torch.Generator().manual_seed(0))
    start = time.monotonic()
    with limits.active(limits.Limits(deadline=start + 0.3)):
        res = train_population(setting, X, Y, params, lr=0.01, steps=10**8)
    assert time.monotonic() - start < 5
    assert 0 < res.steps < 10**8 and res.extra["stopped_at_deadline"] is True
    assert torch.isfinite(res.loss).all()


class _Attacker:
    name = "test"

    def __init__(self, attack):
        self.attack = attack


def test_a_list_returning_attacker_is_unchanged(setting):
    run = run_attack(_Attacker(lambda *a: ["c1", "c2"]), setting, None, Budget(seconds=30), 0, "cpu")
    assert run.claims == ["c1", "c2"] and run.stopped is None


def test_a_slow_attacker_is_interrupted_and_keeps_what_it_yielded_or_submitted(setting):
    def attack(setting, guarantee, budget, seed, device):
        budget.submit("submitted")
        yield "yielded"
        while True:  # never looks at the clock, never calls the engine
            time.sleep(0.01)

    budget = Budget(seconds=0.5)
    start = time.monotonic()
    run = run_attack(_Attacker(attack), setting, None, budget, 0, "cpu")
    elapsed = time.monotonic() - start
    assert run.stopped == "interrupted" and run.claims == ["submitted", "yielded"]
    assert 0.5 <= elapsed < 0.5 + grace_seconds(0.5) + 2.0


def test_an_engine_bound_attack_winds_down_at_the_deadline(setting):
    def attack(setting, guarantee, budget, seed, device):
        params = setting.init_params(budget.restarts * 10, generator=torch.Generator().manual_seed(seed))
        res = train_population(setting, X, Y, params, lr=0.01, steps=10**8)
        return [("members", res.k)]

    run = run_attack(_Attacker(attack), setting, None, Budget(restarts=3, seconds=0.5), 0, "cpu")
    assert run.stopped == "deadline" and run.claims == [("members", 3)]
    assert run.spent["clipped_restarts"] == 1 and run.spent["stopped_at_deadline"] == 1


def test_a_match_past_its_time_is_judged_on_the_claims_found_so_far(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "fixtures" / "arena_ext_hostile"))
    spec = MatchSpec(attacker={"_target_": "arena_ext_hostile.attacks.SlowYield", "name": "slow_yield"},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting={"name": "relu_1hidden", **SETTING}, budget={"seconds": 1.0},
                     referee={"restarts": 8, "restart_steps": 200})
    result = run_match(spec, tmp_path / "m", device="cpu")
    assert result["outcome"] == "broken", result.get("reason")
    assert result["budget_spent"]["stopped"] == "interrupted" and result["budget_spent"]["claims"] == 1
    assert abs(result["verdict"]["loss"] - 8 / 9) < 1e-12  # the yielded all-dead point
    assert (Path(tmp_path) / "m" / "claim.safetensors").is_file()
