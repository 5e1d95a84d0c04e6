"""The budget is enforced by the arena: the engine clips and stops, a slow attack keeps what it handed over.

Deadlines are driven by a scripted clock (:class:`TickingClock` in place of :func:`arena.clock.now`),
never by racing real work against wall-clock time: a step ends when the clock says so, on any
machine. Only the ``SIGALRM`` backstop needs real seconds, and the attacks it stops loop forever.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from arena import clock
from arena.engine import limits
from arena.engine.population import polish_lbfgs, train_population
from arena.contract import Budget
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


class TickingClock:
    """A clock that moves only when read: each reading is ``tick`` seconds after the previous one."""

    def __init__(self, tick: float) -> None:
        self.tick, self.t, self.reads = tick, 0.0, 0

    def __call__(self) -> float:
        self.t += self.tick
        self.reads += 1
        return self.t


@pytest.fixture
def frozen(monkeypatch):
    """Stop :func:`arena.clock.now`: the budget never looks spent, so only the real alarm can end an attack."""
    monkeypatch.setattr(clock, "now", lambda: 0.0)


@pytest.fixture
def ticking(monkeypatch):
    """Install a clock that advances one second per reading as :func:`arena.clock.now`."""
    fake = TickingClock(1.0)
    monkeypatch.setattr(clock, "now", fake)
    return fake


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


def test_engine_stops_at_the_deadline(setting, ticking):
    params = setting.init_params(8, generator=torch.Generator().manual_seed(0))
    with limits.active(limits.Limits(deadline=ticking() + 10)):  # the clock reads 1: the deadline is 11
        res = train_population(setting, X, Y, params, lr=0.01, steps=10**8)
    # one reading before each step: 2, ..., 10 let steps 1-9 run, 11 stops the loop
    assert res.steps == 9 and res.extra["stopped_at_deadline"] is True
    assert torch.isfinite(res.loss).all()
    with limits.active(limits.Limits(deadline=ticking() + 4)) as caps:
        polished = polish_lbfgs(setting, X, Y, res.params, max_iter=10**6, tol_grad=0.0)
    assert polished.steps == 3 and polished.extra["stopped_at_deadline"] is True
    assert caps.spent == {"calls": 1, "network_steps": 8 * 3, "clipped_restarts": 0, "clipped_steps": 0,
                          "stopped_at_deadline": 1}


def test_budget_reads_the_arena_clock(ticking):
    budget = Budget(seconds=2.5)
    assert budget.deadline is None and budget.remaining() is None and not budget.expired()
    budget.start_clock()  # reads 1
    assert budget.deadline == 3.5
    assert budget.remaining() == 1.5  # reads 2
    assert not budget.expired()  # reads 3
    assert budget.expired()  # reads 4
    budget.start_clock(now=100.0)
    assert budget.deadline == 102.5 and ticking.reads == 4


class _Attacker:
    name = "test"

    def __init__(self, attack):
        self.attack = attack


def test_a_list_returning_attacker_is_unchanged(setting):
    run = run_attack(_Attacker(lambda *a: ["c1", "c2"]), setting, None, Budget(seconds=30), 0, "cpu")
    assert run.claims == ["c1", "c2"] and run.stopped is None


def test_a_slow_attacker_is_interrupted_and_keeps_what_it_yielded_or_submitted(setting, frozen):
    def attack(setting, guarantee, budget, seed, device):
        budget.submit("submitted")
        yield "yielded"
        for _ in range(6000):  # never looks at the clock, never calls the engine; only the alarm ends it
            time.sleep(0.01)  # (returning after a minute is the safety net of a broken alarm)

    budget = Budget(seconds=0.5)
    start = time.monotonic()
    run = run_attack(_Attacker(attack), setting, None, budget, 0, "cpu")
    assert run.stopped == "interrupted" and run.claims == ["submitted", "yielded"]
    assert time.monotonic() - start >= 0.5 + grace_seconds(0.5)  # the alarm never fires early


def test_an_engine_bound_attack_winds_down_at_the_deadline(setting, monkeypatch):
    def attack(setting, guarantee, budget, seed, device):
        params = setting.init_params(budget.restarts * 10, generator=torch.Generator().manual_seed(seed))
        res = train_population(setting, X, Y, params, lr=0.01, steps=10**8)
        return [(res.k, res.steps)]

    # 100 s of budget on a clock that moves 1 s per reading: the engine, not the step cap, ends the
    # attack after about 100 steps; the real alarm (budget + 5 s of grace in real seconds) is only
    # a safety net here
    monkeypatch.setattr(clock, "now", TickingClock(1.0))
    run = run_attack(_Attacker(attack), setting, None, Budget(restarts=3, steps=10**9, seconds=100), 0, "cpu")
    assert run.stopped == "deadline" and len(run.claims) == 1
    members, steps = run.claims[0]
    assert members == 3 and 90 <= steps < 100
    assert run.spent == {"calls": 1, "network_steps": 3 * steps, "clipped_restarts": 1, "clipped_steps": 0,
                         "stopped_at_deadline": 1}


def test_a_match_past_its_time_is_judged_on_the_claims_found_so_far(tmp_path, monkeypatch, frozen):
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
