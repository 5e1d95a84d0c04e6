"""SIGKILL a tournament at a random moment, rerun the same command: nothing lost, duplicated or half-written.

The moment is drawn from a seeded generator; how far the tournament got by then depends on the
machine's speed, and every check below holds whatever it got to (none, some or all matches done).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_arena

ATTACKERS, DEFENDERS = ["dead_relu", "all_dead", "linear_region"], ["none", "softplus", "wider_by_one"]
GRID = [f"tournament.attackers=[{','.join(ATTACKERS)}]", f"tournament.defenders=[{','.join(DEFENDERS)}]",
        "logger=none", "referee=fast", "budget=smoke", "progress=false"]
SWEEP = ["-m", f"attacker={','.join(ATTACKERS)}", f"defender={','.join(DEFENDERS)}", "logger=none", "referee=fast",
         "budget=smoke"]
MATCHES = {f"{a}__{d}__relu_1hidden__s0" for a in ATTACKERS for d in DEFENDERS}


def _outcomes(out: Path) -> dict[tuple[str, str], str]:
    board = json.loads((out / "leaderboard.json").read_text())
    return {(c["attacker"], c["defender"]): c["outcome"] for c in board["cells"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Outcomes and duration of an uninterrupted run of the grid."""
    out = tmp_path_factory.mktemp("reference")
    start = time.monotonic()
    proc = run_arena(f"out_dir={out}", *GRID)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _outcomes(out), time.monotonic() - start


def _kill_at_random(args: list[str], after: float, group: bool) -> None:
    """Start ``python -m arena ARGS``, SIGKILL it (``group``: with all its processes) after ``after`` seconds;
    wait until its processes are gone."""
    env = dict(os.environ, WANDB_MODE="offline", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "arena", *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    if group:  # joblib's loky workers outlive their parent for a while: kill the process group, as a crash would
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()  # the tournament's own process only: its workers must notice and die with it
    proc.wait()
    # They go at once (PR_SET_PDEATHSIG), or when the forkserver finishes importing torch (seconds on
    # a busy machine) and sees its parent gone: two minutes is a safety net, not a race
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("worker processes outlived the killed tournament")


def _check_folders(out: Path) -> dict[str, float]:
    """Every match folder holds complete files; returns match -> started time of its final result."""
    started = {}
    for folder in (out / "matches").iterdir():
        result = json.loads((folder / "result.json").read_text())  # never half-written
        assert result["outcome"] in ("broken", "out_of_scope", "held", "incompatible"), result.get("reason")
        if (folder / "claim.json").exists():
            claim = json.loads((folder / "claim.json").read_text())
            assert (folder / claim["tensors"]).stat().st_size > 0
            json.loads((folder / "verdict.json").read_text())
        started[folder.name] = result["started"]
    return started


def _finished(out: Path) -> dict[str, float]:
    done = {}
    for path in out.glob("matches/*/result.json"):
        try:
            done[path.parent.name] = json.loads(path.read_text())["started"]
        except (OSError, ValueError, KeyError):  # pragma: no cover - would be a torn write
            pytest.fail(f"unreadable {path} after the kill")
    return done


def _trial(tmp_path: Path, args: list[str], reference, rng: random.Random, multirun: bool) -> None:
    outcomes, duration = reference
    out = tmp_path / "t"
    _kill_at_random([*args, f"out_dir={out}"], rng.uniform(0.5, duration), group=multirun)
    before = _finished(out) if out.exists() else {}
    proc = run_arena(*args, f"out_dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = _check_folders(out)
    assert set(after) == MATCHES  # none lost, no stray folder
    for match, started in before.items():  # finished matches were skipped, not played again
        assert after[match] == started
    if not multirun:
        assert f"{len(MATCHES) - len(before)} played, 0 failed, {len(before)} skipped" in proc.stdout
    assert _outcomes(out) == outcomes


def test_killed_tournament_resumes_to_the_uninterrupted_leaderboard(tmp_path, reference):
    _trial(tmp_path, GRID, reference, random.Random(0), multirun=False)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(4))
def test_killed_tournament_resumes_many_trials(tmp_path, reference, trial):
    _trial(tmp_path, GRID, reference, random.Random(1000 + trial), multirun=False)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_killed_multirun_resumes(tmp_path, reference, trial):
    launcher = ["launcher=joblib"] if trial % 2 else []
    _trial(tmp_path, [*SWEEP, *launcher], reference, random.Random(2000 + trial), multirun=True)
