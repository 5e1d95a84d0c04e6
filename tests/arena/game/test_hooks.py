"""The game's hooks: run around every match, in this process and in worker processes alike."""
from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from arena.game.hooks import Hooks, hook_config, play_match
from arena.game.match import MatchSpec
from arena.game.pool import play_in_workers

CALLS: list[tuple] = []


def _before() -> None:
    CALLS.append(("before",))


def _after(result, match_dir, cfg) -> None:
    CALLS.append(("after", result["outcome"], (match_dir / "result.json").is_file(), cfg.get("out_dir")))


def _note(result, match_dir, cfg) -> None:
    """Leaves a file where the match was played (worker processes cannot append to CALLS)."""
    (match_dir / "hook.json").write_text(json.dumps({"pid": os.getpid(), "outcome": result["outcome"],
                                                     "out_dir": cfg.get("out_dir")}))


def _spec(seed: int = 0) -> MatchSpec:
    setting = yaml.safe_load(files("arena.conf").joinpath("setting", "relu_1d.yaml").read_text())
    return MatchSpec(attacker={"_target_": "arena.attackers.all_dead.AllDead", "name": "all_dead"},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"}, setting=setting,
                     budget={"restarts": 4, "steps": 50}, referee={}, seed=seed)


def test_play_match_runs_the_hooks_around_the_match(tmp_path):
    CALLS.clear()
    result = play_match(_spec(), tmp_path / "m", device="cpu", hooks=Hooks((_before,), (_after,)),
                        cfg={"out_dir": str(tmp_path)})
    assert result["outcome"] == "broken"
    # before, then after with the result already on disk and the run's config
    assert CALLS == [("before",), ("after", "broken", True, str(tmp_path))]


def test_hooks_travel_to_the_worker_processes(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "device": "cpu", "workers": 1, "referee_allowance_s": None,
                            "memory_limit_gb": None})
    seen = {}
    play_in_workers(cfg, [_spec(0), _spec(1)], lambda spec, result: seen.update({spec.seed: result["outcome"]}),
                    Hooks(after_match=(_note,)))
    assert seen == {0: "broken", 1: "broken"}
    notes = [json.loads(p.read_text()) for p in sorted(Path(tmp_path).glob("matches/*/hook.json"))]
    assert [n["outcome"] for n in notes] == ["broken", "broken"] and {n["out_dir"] for n in notes} == {str(tmp_path)}
    assert all(n["pid"] != os.getpid() for n in notes)  # run by the worker that played the match


def test_hook_config_keeps_what_only_hydra_resolves():
    cfg = OmegaConf.create({"out_dir": "outputs/x", "budget_name": "${hydra:runtime.choices.budget}",
                            "logger": {"name": "none", "dir": "${out_dir}/wandb"}})
    assert hook_config(cfg) == {"out_dir": "outputs/x", "budget_name": "${hydra:runtime.choices.budget}",
                                "logger": {"name": "none", "dir": "outputs/x/wandb"}}
