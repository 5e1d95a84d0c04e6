"""Matches in worker processes: a crash or a hang costs one match, never the tournament.

:class:`~arena.game.pool.WorkerPool` starts one process per :class:`~arena.game.scheduler.Slot`
and reuses it match after match. Workers are forked from a ``forkserver`` that imported torch and
the arena once (never the tournament itself: torch and a plain ``fork`` of a busy process do not
mix; ``spawn`` where there is no forkserver), so a new worker costs milliseconds. Each worker

* pins its GPU (``CUDA_VISIBLE_DEVICES``) before touching CUDA, sets its torch thread count and, on
  CPU, caps its address space at ``memory_limit_gb`` (``RLIMIT_AS``: an allocation beyond it fails
  with an error inside the match instead of waking the kernel's OOM killer);
* writes everything a match prints (stdout, stderr, faulthandler's dump on a segfault) to
  ``<match>/worker.log``;
* dies with the parent (``PR_SET_PDEATHSIG`` on Linux, plus a watchdog thread), so a killed
  tournament leaves no orphan that could write into a match folder after a rerun starts.

The parent hands out matches, and when a worker dies (segfault, ``os._exit``, the OOM killer) or
overruns its time limit (``budget.seconds`` + a referee allowance; killed), it writes an ``error``
result with the tail of ``worker.log`` and starts a replacement.
"""
from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from arena.contract import atomic
from arena.game.hooks import NO_HOOKS, Hooks, play_match
from arena.game.match import MatchSpec, versions
from arena.game.registry import discover
from arena.game.scheduler import Slot

LOG_NAME = "worker.log"
LOG_TAIL_CHARS = 4000
START_ALLOWANCE_S = 300.0  # a fresh worker imports torch before its first match


@dataclass(frozen=True)
class Task:
    """One match for a worker: the spec as a plain dict, its folder, a time limit, and the hooks
    (module-level functions: they travel by pickle) with the run's config they are called with."""

    spec: dict[str, Any]
    match_dir: str
    time_limit: float | None  # seconds from the match's start, None: unlimited
    hooks: Hooks = NO_HOOKS
    cfg: dict[str, Any] = field(default_factory=dict)


def log_tail(match_dir: str | Path, chars: int = LOG_TAIL_CHARS) -> str:
    """The last ``chars`` characters the match's worker wrote ('' if it wrote nothing)."""
    path = Path(match_dir) / LOG_NAME
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - chars))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def failure_result(task: Task, kind: str, reason: str, seconds: float) -> dict[str, Any]:
    """The ``error`` result the parent writes for a match whose worker died or was stopped."""
    spec = MatchSpec(**task.spec)
    tail = log_tail(task.match_dir)
    result = {"match_id": spec.match_id, "attacker": spec.attacker["name"], "defender": spec.defender["name"],
              "setting": spec.setting_name, "seed": spec.seed, "config": spec.config(),
              "config_hash": spec.config_hash(), "versions": versions(), "outcome": "error", "error_kind": kind,
              "reason": reason, "log_tail": tail, "timings": {"total": seconds}}
    atomic.write_json(Path(task.match_dir) / "result.json", result)
    return result


def needs_recycle(result: dict[str, Any]) -> bool:
    """An attack interrupted by the alarm may leave state behind (threads, half-built objects):
    its worker exits after the match and the pool starts a fresh one."""
    return (result.get("budget_spent") or {}).get("stopped") == "interrupted"


# -- the worker process -------------------------------------------------------------------------
def _die_with_parent() -> None:
    parent = os.getppid()  # this process's parent: the tournament, or the forkserver it started
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _limit_memory(gigabytes: float | None) -> None:
    if not gigabytes:
        return
    import resource  # Unix only; asked for only when a cap is set

    cap = int(float(gigabytes) * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


class _Redirect:
    """fd 1 and 2 (and so print, C extensions, faulthandler) into one file for one match."""

    def __init__(self) -> None:
        self.saved = (os.dup(1), os.dup(2))

    def to(self, path: Path) -> None:
        sys.stdout.flush(), sys.stderr.flush()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1), os.dup2(fd, 2)
        os.close(fd)

    def back(self) -> None:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(self.saved[0], 1), os.dup2(self.saved[1], 2)


def _warm_up() -> None:
    """Pay the one-off import costs before the first match's clock starts (seconds on a busy CPU)."""
    import scipy.optimize  # noqa: F401 - the assumption checks' LPs

    torch.func.grad(lambda x: (x * x).sum())(torch.ones(2, dtype=torch.float64))  # loads torch._dynamo
    discover("attacker"), discover("defender")


def worker_main(conn: Any, slot: Slot, memory_limit_gb: float | None) -> None:
    """Entry point of a worker process: set up, then play the tasks ``conn`` sends until it closes."""
    os.environ.update(slot.env())
    _die_with_parent()
    torch.set_num_threads(slot.threads)
    _warm_up()

    if slot.device == "cpu":
        _limit_memory(memory_limit_gb)
    faulthandler.enable()
    redirect = _Redirect()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        match_dir = Path(task.match_dir)
        match_dir.mkdir(parents=True, exist_ok=True)
        (match_dir / LOG_NAME).unlink(missing_ok=True)
        conn.send(("started", time.monotonic()))
        redirect.to(match_dir / LOG_NAME)
        try:
            result = play_match(MatchSpec(**task.spec), task.match_dir, device=slot.device, hooks=task.hooks,
                                cfg=task.cfg)
        except BaseException:  # noqa: BLE001 - run_match catches plugin errors; this is the arena's own
            traceback.print_exc()
            result = None
        finally:
            redirect.back()
        if result is None:
            result = failure_result(task, "arena", "the worker failed outside the match (see log_tail)", 0.0)
        recycle = needs_recycle(result)
        log = match_dir / LOG_NAME
        if log.is_file() and log.stat().st_size == 0:
            log.unlink()
        conn.send(("done", result))
        if recycle:
            return
