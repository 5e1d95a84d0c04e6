"""Worker isolation: crashes, hangs and memory hogs cost one match each; workers pinned to devices."""
from __future__ import annotations

import json

import pytest

from arena.game.scheduler import plan_slots, visible_gpus
from tests.conftest import ROOT, pip_install_target, run_arena


def test_cpu_plan_one_worker_per_core_capped_by_the_grid():
    slots = plan_slots("auto", [], workers="auto", cores=2)
    assert [(s.device, s.gpu, s.threads) for s in slots] == [("cpu", None, 1), ("cpu", None, 1)]
    assert len(plan_slots("cpu", ["0"], cores=8, matches=3)) == 3  # device=cpu ignores GPUs
    one = plan_slots("auto", [], workers=1, cores=4)
    assert len(one) == 1 and one[0].threads == 4 and one[0].env() == {}


def test_gpu_plan_packs_slots_per_device_round_robin():
    slots = plan_slots("auto", ["0", "1", "2"], gpu_slots_per_device=2, cores=12)
    assert [s.gpu for s in slots] == ["0", "1", "2", "0", "1", "2"]
    assert {s.device for s in slots} == {"cuda"} and all(s.threads == 2 for s in slots)
    assert slots[4].env() == {"CUDA_VISIBLE_DEVICES": "1"}
    assert [s.gpu for s in plan_slots("cuda", ["0", "1"], workers=3, gpu_slots_per_device=4, cores=4)] == ["0", "1", "0"]
    assert [s.gpu for s in plan_slots("cuda:1", ["4", "7"], gpu_slots_per_device=3, cores=4)] == ["7", "7", "7"]
    assert [s.gpu for s in plan_slots("auto", ["0", "1"], gpu_slots_per_device=4, cores=4, matches=3)] == ["0", "1", "0"]
    with pytest.raises(ValueError, match="no CUDA device"):
        plan_slots("cuda", [], cores=2)
    with pytest.raises(ValueError, match="only 2 CUDA"):
        plan_slots("cuda:2", ["0", "1"], cores=2)
    with pytest.raises(ValueError, match="gpu_slots_per_device"):
        plan_slots("auto", ["0"], gpu_slots_per_device=0)


def test_visible_gpus_follow_cuda_visible_devices():
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "3,5"}, device_count=2) == ["3", "5"]
    assert visible_gpus({}, device_count=2) == ["0", "1"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0"}, device_count=0) == []


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("hostile")
    pip_install_target(ROOT / "tests" / "fixtures" / "arena_ext_hostile", site)
    return site


def _results(out):
    return {p.parent.name.split("__")[0]: json.loads(p.read_text()) for p in out.glob("matches/*/result.json")}


def test_crashes_and_memory_hogs_become_errors_and_the_tournament_goes_on(tmp_path, hostile_site):
    # No time limit on the worker (referee_allowance_s=null): a crash, not a clock, ends these matches,
    # and the ones that play may take as long as a busy machine needs
    out = tmp_path / "iso"
    attackers = "[segfault,hard_exit,memory_hog,greedy,slow_submit,dead_relu]"
    proc = run_arena(f"out_dir={out}", "logger=none", "referee=fast", "budget=smoke", "budget.seconds=1",
                     "budget.restarts=3", "budget.steps=5", "referee_allowance_s=null", "memory_limit_gb=6",
                     "workers=2", "progress=false", f"tournament.attackers={attackers}", "tournament.defenders=[none]",
                     env_extra={"PYTHONPATH": str(hostile_site)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = _results(out)
    assert sorted(res) == sorted(attackers.strip("[]").split(","))
    seg, ext, hog = res["segfault"], res["hard_exit"], res["memory_hog"]
    assert seg["outcome"] == "error" and seg["error_kind"] == "crash" and "signal 11" in seg["reason"]
    assert seg["log_tail"]  # the end of what the worker wrote; faulthandler's headline is in worker.log
    seg_log = next(out.glob("matches/segfault__*/worker.log")).read_text()
    assert "reading address 0" in seg_log and "Segmentation fault" in seg_log
    assert ext["error_kind"] == "crash" and "exit status 3" in ext["reason"]
    assert "leaving with status 3" in ext["log_tail"] and "on stderr too" in ext["log_tail"]
    # the address-space cap turns the 64 GiB request into an ordinary error inside the match
    assert hog["outcome"] == "error" and "error_kind" not in hog and "alloc" in hog["reason"].lower()
    greedy = res["greedy"]["budget_spent"]
    assert res["greedy"]["outcome"] == "held" and greedy["clipped_restarts"] == 1 and greedy["clipped_steps"] == 1
    # 3 members x 5 steps, unless the 1 s budget (a safety net for steps of microseconds) ran out first
    assert greedy["network_steps"] == 3 * 5 or greedy["stopped_at_deadline"] == 1
    steps = greedy["network_steps"] // 3
    assert f"greedy: got 3 members, {steps} steps" in (out / "matches" / "greedy__none__relu_1hidden__s0"
                                                       / "worker.log").read_text()
    # interrupted by the arena's alarm, judged on the claim it submitted before (its worker is replaced)
    assert res["slow_submit"]["outcome"] == "broken"
    assert res["slow_submit"]["budget_spent"]["stopped"] == "interrupted"
    assert res["dead_relu"]["outcome"] == "broken"
    board = json.loads((out / "leaderboard.json").read_text())
    assert len(board["cells"]) == 6
    assert "3 played, 3 failed, 0 skipped" in proc.stdout


def test_a_match_that_never_ends_is_killed_at_its_time_limit(tmp_path, hostile_site):
    # deaf_hang ignores the alarm and sleeps forever, so only the kill at budget.seconds + grace +
    # referee_allowance_s (1 + 1 + 4 s after the match starts) can end it; it prints before its first
    # sleep, milliseconds into the match
    out = tmp_path / "hang"
    proc = run_arena(f"out_dir={out}", "logger=none", "referee=fast", "budget=smoke", "budget.seconds=1",
                     "referee_allowance_s=4", "workers=1", "progress=false", "tournament.attackers=[deaf_hang]",
                     "tournament.defenders=[none]", env_extra={"PYTHONPATH": str(hostile_site)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    hang = _results(out)["deaf_hang"]
    assert hang["outcome"] == "error" and hang["error_kind"] == "timeout" and "not listening" in hang["log_tail"]
    assert "time limit of 6 s" in hang["reason"]
    assert "0 played, 1 failed, 0 skipped" in proc.stdout
