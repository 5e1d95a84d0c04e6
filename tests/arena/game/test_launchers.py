"""Hydra's distributed launchers (optional extras): results in one out_dir, the leaderboard once at the end."""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_arena

FAST = ["logger=none", "referee=fast", "budget=smoke"]


def _check(out, proc, attackers):
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.parent.name for p in out.glob("matches/*/result.json")) == \
        sorted(f"{a}__none__relu_1hidden__s0" for a in attackers)
    board = json.loads((out / "leaderboard.json").read_text())
    assert {c["attacker"]: c["outcome"] for c in board["cells"]} == {a: "broken" for a in attackers}
    assert proc.stdout.count("leaderboard: ") == 1  # the callback ran once, after every job


@pytest.mark.slow
def test_submitit_local_launcher_plays_each_match_as_a_job(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    out = tmp_path / "sub"
    proc = run_arena("-m", "launcher=submitit_local", "attacker=dead_relu", "defender=none",
                     f"out_dir={out}", *FAST)
    _check(out, proc, ["dead_relu"])
    assert list((out / "hydra" / "submitit").glob("*/*_submitted.pkl"))  # submitit's own job files


@pytest.mark.slow
def test_ray_launcher_on_a_local_cluster(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    out = tmp_path / "ray"
    proc = run_arena("-m", "launcher=ray", "attacker=dead_relu,all_dead", "defender=none", f"out_dir={out}",
                     "hydra.launcher.ray.init.num_cpus=2", *FAST, env_extra={"RAY_AUTH_MODE": "disabled"})
    _check(out, proc, ["dead_relu", "all_dead"])


def test_slurm_config_composes_with_partition_gpus_and_time_limit():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from tests.conftest import ROOT

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["launcher=slurm", "hydra.launcher.partition=gpu"],
                      return_hydra_config=True)
    GlobalHydra.instance().clear()
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher") and launcher.partition == "gpu"
    assert launcher.gpus_per_task == 1 and launcher.timeout_min == 60
