"""Bad configs fail before any match runs, with one line naming the key."""
from __future__ import annotations

import pytest

from arena.game.match import MatchSpec
from arena.game.validate import ConfigError, check_overrides, check_run, check_specs
from tests.conftest import ROOT, run_arena

CONF = ROOT / "conf"
RUN = {"seed": 0, "device": "cpu", "isolation": "process", "workers": "auto", "gpu_slots_per_device": 2,
       "memory_limit_gb": None, "referee_allowance_s": 300}


def _one_line_error(proc, *needles):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and all(n in lines[0] for n in needles)


def test_a_misspelt_experiment_fails_instead_of_playing_the_default_tournament(tmp_path):
    proc = run_arena("experiment=tlak", f"out_dir={tmp_path}", "logger=none")
    _one_line_error(proc, "experiment=tlak", "'tlak'", "talk")
    assert not (tmp_path / "matches").exists()


def test_a_negative_budget_fails_before_any_match(tmp_path):
    proc = run_arena("budget.restarts=-3", f"out_dir={tmp_path}", "logger=none")
    _one_line_error(proc, "budget.restarts", "-3")
    assert not (tmp_path / "matches").exists()


def test_group_overrides_name_existing_configs():
    check_overrides(["attacker=dead_relu,all_dead", "defender=glob(*)", "seed=3", "+experiment=talk"], CONF)
    with pytest.raises(ConfigError, match=r"^attacker=dead_relu,typo: no attacker named 'typo'"):
        check_overrides(["attacker=dead_relu,typo"], CONF)
    with pytest.raises(ConfigError, match=r"^budget=huge: no budget named 'huge' \(available: cpu, gpu, smoke\)"):
        check_overrides(["budget=huge"], CONF)
    with pytest.raises(ConfigError, match=r"^attacker=dead_rleu: no attacker named 'dead_rleu'; did you mean 'dead_relu'\?"):
        check_overrides(["attacker=dead_rleu"], CONF)


@pytest.mark.parametrize("key,value,needle", [
    ("seed", "abc", "seed: must be a non-negative integer"), ("seed", -1, "seed: must be a non-negative"), ("isolation", "thread", "isolation: must be"),
    ("workers", 0, "workers: must be a positive integer or auto"), ("gpu_slots_per_device", 1.5, "gpu_slots"),
    ("memory_limit_gb", -1, "memory_limit_gb"), ("device", "tpu", "device: unknown device"),
])
def test_run_level_keys_are_checked(key, value, needle):
    check_run(RUN)
    with pytest.raises(ConfigError, match=needle):
        check_run({**RUN, key: value})


def _spec(**over):
    base = {"attacker": {"_target_": "arena.attackers.random_restarts.RandomRestarts", "name": "random_restarts"},
            "defender": {"_target_": "arena.defenders.none.NoDefense", "name": "none"},
            "setting": {"name": "s", "network": {"input_dim": 2, "hidden": [4], "neuron": "relu"},
                        "loss": "quadratic_hinge"}, "budget": {"restarts": 4}, "referee": {}}
    base.update(over)
    return MatchSpec(**base)


def test_every_match_builds_before_the_first_one_plays():
    check_specs([_spec()])
    bad_attacker = _spec(attacker={"_target_": "arena.attackers.random_restarts.RandomRestarts",
                                   "name": "random_restarts", "n": 2})
    with pytest.raises(ConfigError, match=r"^attacker 'random_restarts': bad config .*n must be an integer >= 4"):
        check_specs([_spec(), bad_attacker])
    with pytest.raises(ConfigError, match=r"^budget: unknown keys \['restart'\]"):
        check_specs([_spec(budget={"restart": 4})])
    with pytest.raises(ConfigError, match=r"^setting s: .*"):
        check_specs([_spec(setting={"name": "s", "network": {"input_dim": 2, "hidden": [4], "neuron": "nope"},
                                    "loss": "quadratic_hinge"})])


def test_a_bad_sweep_value_is_one_line(tmp_path):
    proc = run_arena("experiment=safran_shamir_large", "sweep.k=[25,30]", "sweep.restarts=[5]", f"out_dir={tmp_path}")
    _one_line_error(proc, "sweep.restarts", "one per k")
    proc = run_arena("experiment=safran_shamir", "sweep.students=[y]", f"out_dir={tmp_path}")
    _one_line_error(proc, "sweep.students", "'y'")
    assert not (tmp_path / "hit_rates.csv").exists()
