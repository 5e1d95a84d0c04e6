"""Tournaments through Hydra: configs compose, single-process grid, multirun, resume, leaderboard, wandb."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from arena.game.registry import instantiate_plugin
from arena.landscape.setting import Setting
from tests.conftest import ROOT, pip_install_target, run_arena

CONF = ROOT / "conf"
FAST = ["referee=fast", "budget=smoke", "progress=false"]


def _group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.fixture
def hydra_conf():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield
    GlobalHydra.instance().clear()


def test_every_config_composes_and_instantiates(hydra_conf):
    from arena.contract import Budget
    from arena.referee.judge import RefereeConfig

    for name in _group_options("attacker"):
        cfg = compose(config_name="config", overrides=[f"attacker={name}"])
        assert instantiate_plugin("attacker", cfg.attacker).name == name
    for name in _group_options("defender"):
        cfg = compose(config_name="config", overrides=[f"defender={name}"])
        assert instantiate_plugin("defender", cfg.defender).name == name
    for name in _group_options("setting"):
        cfg = compose(config_name="config", overrides=[f"setting={name}"])
        assert cfg.setting.name == name
        Setting.from_config(cfg.setting)
    for name in _group_options("budget"):
        Budget.from_config(compose(config_name="config", overrides=[f"budget={name}"]).budget)
    for name in _group_options("referee"):
        RefereeConfig.from_mapping(dict(compose(config_name="config", overrides=[f"referee={name}"]).referee))
    for name in _group_options("logger"):
        assert compose(config_name="config", overrides=[f"logger={name}"]).logger.name == name
    for name in _group_options("experiment"):
        cfg = compose(config_name="config", overrides=[f"experiment={name}"])
        assert cfg.tournament.name == name and cfg.out_dir == f"outputs/{name}"
    plugins = {"ray": "hydra_plugins.hydra_ray_launcher", "submitit_local": "hydra_plugins.hydra_submitit_launcher",
               "slurm": "hydra_plugins.hydra_submitit_launcher"}  # optional extras: composed where installed
    for name in _group_options("launcher"):
        if name in plugins and importlib.util.find_spec(plugins[name]) is None:
            continue
        cfg = compose(config_name="config", overrides=[f"launcher={name}"], return_hydra_config=True)
        expected = {"joblib": "joblib", "local": "basic", "ray": "ray", "submitit_local": "local", "slurm": "slurm"}
        assert expected[name] in cfg.hydra.launcher._target_.lower()


def test_single_process_tournament_breaks_relu_and_resumes(tmp_path):
    out = tmp_path / "t"
    args = [f"out_dir={out}", "logger=none", *FAST, "tournament.attackers=[dead_relu]",
            "tournament.defenders=[none,softplus]"]
    first = run_arena(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    board = json.loads((out / "leaderboard.json").read_text())
    cells = {(c["defender"], c["attacker"]): c for c in board["cells"]}
    assert cells[("none", "dead_relu")]["outcome"] == "broken"
    # the saturated analogue of the dead point is rejected by the referee (docs/catalogue.md §6.4)
    assert cells[("softplus", "dead_relu")]["outcome"] == "held"
    result = json.loads((out / "matches" / "dead_relu__none__relu_1hidden__s0" / "result.json").read_text())
    assert result["verdict"]["verdict"] == "bad_local_min" and result["verdict"]["gap"] > 0.1
    assert result["proof"] is True and result["verdict"]["evidence"]["proof_certificate"]["kind"] == "convex_in_outputs"
    for key in ("config", "config_hash", "versions", "timings", "seed", "guarantee"):
        assert key in result
    assert (out / "matches" / "dead_relu__none__relu_1hidden__s0" / "claim.safetensors").is_file()
    assert "none" in first.stdout and "broken" in first.stdout  # the printed table
    assert board["ranking"][-1]["defender"] == "none"  # most in-scope breaks ranks last

    second = run_arena(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "0 played, 0 failed, 2 skipped" in second.stdout


def test_multirun_one_match_per_job_and_leaderboard_callback(tmp_path):
    out = tmp_path / "m"
    proc = run_arena("-m", "attacker=dead_relu", "defender=none,softplus", "seed=0,1", f"out_dir={out}",
                     "logger=none", *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = sorted(p.parent.name for p in out.glob("matches/*/result.json"))
    assert results == sorted(f"dead_relu__{d}__relu_1hidden__s{s}" for d in ("none", "softplus") for s in (0, 1))
    board = json.loads((out / "leaderboard.json").read_text())
    assert len(board["cells"]) == 4
    assert {c["outcome"] for c in board["cells"] if c["defender"] == "none"} == {"broken"}
    md = (out / "leaderboard.md").read_text()
    assert "| none | broken ✓ 2/2 |" in md  # proved: the dead-unit minimum has a ball-arithmetic certificate


def test_leaderboard_rebuild_keeps_results_and_reports_unreadable_ones(tmp_path):
    from arena.cli import main

    out = tmp_path / "t"
    proc = run_arena(f"out_dir={out}", "logger=none", *FAST, "tournament.attackers=[dead_relu]",
                     "tournament.defenders=[none]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    before = json.loads((out / "leaderboard.json").read_text())["cells"]
    (out / "leaderboard.json").unlink()
    (out / "leaderboard.md").unlink()
    broken = out / "matches" / "junk" / "result.json"
    broken.parent.mkdir()
    broken.write_text("{truncated")
    assert main(["leaderboard", str(out)]) == 0
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["cells"] == before
    assert len(board["problems"]) == 1 and "junk" in board["problems"][0]
    assert broken.read_text() == "{truncated"  # never deleted
    assert main(["leaderboard", str(tmp_path / "nowhere")]) == 2


def test_bad_config_values_fail_with_a_clear_message(tmp_path):
    proc = run_arena(f"out_dir={tmp_path}", "logger=none", *FAST, "tournament.attackers=[no_such_attack]")
    assert proc.returncode != 0
    assert "unknown attacker ['no_such_attack']" in proc.stderr
    proc = run_arena(f"out_dir={tmp_path}", "logger=none", "attacker=no_such_attack")
    assert proc.returncode != 0 and "no_such_attack" in proc.stderr


@pytest.fixture(scope="module")
def ext_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    pip_install_target(ROOT / "tests" / "fixtures" / "arena_ext_demo", site)
    return site


def test_third_party_plugin_from_another_distribution_plays_and_logs_to_wandb(tmp_path, ext_site):
    out = tmp_path / "ext"
    env = {"PYTHONPATH": str(ext_site)}
    proc = run_arena("-m", "attacker=constant_trap,crashy", "defender=none", f"out_dir={out}", "logger=wandb",
                     *FAST, env_extra=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trap = json.loads((out / "matches" / "constant_trap__none__relu_1hidden__s0" / "result.json").read_text())
    assert trap["outcome"] == "broken"
    assert abs(trap["verdict"]["loss"] - 8 / 9) < 1e-12  # 4 n+ n- / n^2 with 4 positives, 2 negatives
    crash = json.loads((out / "matches" / "crashy__none__relu_1hidden__s0" / "result.json").read_text())
    assert crash["outcome"] == "error" and "crashy attacker always fails" in crash["traceback"]

    wandb = shutil.which("wandb", path=str(Path(__import__("sys").executable).parent))
    runs = sorted((out / "wandb").glob("offline-run-*"))
    assert len(runs) == 3  # two matches and the leaderboard
    inspected = {}
    for run in runs:
        summary = subprocess.run([wandb, "leet", "inspect", "--summary", "--json", str(run)], capture_output=True,
                                 text=True, check=True)
        info = json.loads(summary.stdout)
        raw = subprocess.run([wandb, "leet", "inspect", "--json", str(run)], capture_output=True, text=True,
                             check=True).stdout
        assert '"run_group":"default"' in raw
        inspected[info["name"]] = (info, raw)
    info, raw = inspected["constant_trap__none__relu_1hidden__s0"]
    assert info["state"] == "finished" and '"job_type":"match"' in raw
    assert info["summary"]["outcome"] == "broken" and info["summary"]["verdict"] == "bad_local_min"
    assert info["config"]["attacker.name"] == "constant_trap" and info["config"]["seed"] == 0
    assert not any("${" in str(v) for v in info["config"].values())  # resolved
    info, _ = inspected["crashy__none__relu_1hidden__s0"]
    assert info["state"] == "failed" and info["exit_code"] == 1 and info["summary"]["outcome"] == "error"
    info, raw = inspected["default-leaderboard"]
    assert '"job_type":"leaderboard"' in raw and info["summary"]["defender/none/broken"] == 1
    assert info["summary"]["defender/none/error"] == 1 and info["summary"]["defender/none/matches"] == 2
    assert "leaderboard" in info["summary"]


def test_duplicate_plugin_names_are_an_error_naming_both_packages(tmp_path):
    site = tmp_path / "clash"
    pip_install_target(ROOT / "tests" / "fixtures" / "arena_ext_clash", site)
    proc = subprocess.run([__import__("sys").executable, "-m", "arena", "list"], cwd=ROOT, capture_output=True,
                          text=True, env={**__import__("os").environ, "PYTHONPATH": str(site)})
    assert proc.returncode == 2
    assert "'dead_relu'" in proc.stderr and "localmin-arena" in proc.stderr and "arena-ext-clash" in proc.stderr


def test_joblib_launcher_runs_matches_in_worker_processes(tmp_path):
    out = tmp_path / "jl"
    proc = run_arena("-m", "launcher=joblib", "attacker=dead_relu,all_dead", "defender=none", f"out_dir={out}",
                     "logger=wandb", *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    board = json.loads((out / "leaderboard.json").read_text())
    assert sorted((c["attacker"], c["outcome"]) for c in board["cells"]) == [("all_dead", "broken"),
                                                                            ("dead_relu", "broken")]
    # one wandb run per match even though joblib reuses its worker processes, plus the leaderboard
    assert len(list((out / "wandb").glob("offline-run-*"))) == 3
