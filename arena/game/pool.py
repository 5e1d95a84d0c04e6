"""The parent's side of :mod:`arena.game.isolation`: hand matches to workers, replace the ones that fail."""
from __future__ import annotations

import multiprocessing as mp
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Iterable

from arena.game.enforce import grace_seconds
from arena.game.hooks import NO_HOOKS, Hooks, hook_config
from arena.game.isolation import START_ALLOWANCE_S, Task, failure_result, needs_recycle, worker_main
from arena.game.scheduler import Slot, plan_slots, visible_gpus

ResultFn = Callable[[Task, dict[str, Any]], None]
PRELOAD = ["torch", "torch._dynamo", "scipy.optimize", "arena.game.match", "arena.game.isolation"]


def default_context() -> str:
    """``forkserver`` where it exists (a clean, single-threaded server that never touches CUDA, so
    forking it is safe with torch), else ``spawn``."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


@dataclass
class _Worker:
    slot: Slot
    process: Any
    conn: Any
    task: Task | None = None
    assigned: float = 0.0
    started: float | None = None  # monotonic time the worker began the current task
    replaced: int = field(default=0)

    def deadline(self) -> float | None:
        if self.task is None:
            return None
        if self.started is None:
            return self.assigned + START_ALLOWANCE_S
        return None if self.task.time_limit is None else self.started + self.task.time_limit


class WorkerPool:
    """Worker processes for ``slots``; :meth:`run` plays tasks and calls ``on_result`` for each.

    Use as a context manager (or call :meth:`close`): workers are stopped at the end.
    """

    def __init__(self, slots: list[Slot], *, memory_limit_gb: float | None = None, context: str | None = None) -> None:
        if not slots:
            raise ValueError("a worker pool needs at least one slot")
        self.ctx = mp.get_context(context or default_context())
        if self.ctx.get_start_method() == "forkserver":
            # the server imports torch and the arena once; each worker is a fork of it (milliseconds)
            self.ctx.set_forkserver_preload(PRELOAD)
        self.memory_limit_gb = memory_limit_gb
        self.workers = [self._start(slot) for slot in slots]
        self.crashes = 0

    def _start(self, slot: Slot) -> _Worker:
        parent_conn, child_conn = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker_main, args=(child_conn, slot, self.memory_limit_gb),
                                name=f"arena-worker-{slot.index}", daemon=True)
        proc.start()
        child_conn.close()
        return _Worker(slot, proc, parent_conn)

    def run(self, tasks: Iterable[Task], on_result: ResultFn) -> None:
        queue = deque(tasks)
        while queue or any(w.task is not None for w in self.workers):
            for w in list(self.workers):
                if w.task is None and queue:
                    self._assign(w, queue)
            busy = [w for w in self.workers if w.task is not None]
            deadlines = [d for d in (w.deadline() for w in busy) if d is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=timeout)
            for w in busy:
                self._check(w, on_result)

    def _assign(self, w: _Worker, queue: deque) -> None:
        task = queue.popleft()
        try:
            w.conn.send(task)
        except OSError:  # it died while idle: start another, the task waits for the next round
            queue.appendleft(task)
            self._replace(w)
            return
        w.task, w.assigned, w.started = task, time.monotonic(), None

    def _check(self, w: _Worker, on_result: ResultFn) -> None:
        try:
            while w.task is not None and w.conn.poll():
                kind, payload = w.conn.recv()
                if kind == "started":
                    w.started = time.monotonic()
                elif kind == "done":
                    task, w.task = w.task, None
                    if needs_recycle(payload):
                        self._replace(w)  # the worker exits after such a match
                    on_result(task, payload)
        except (EOFError, OSError):
            pass  # the worker died; its sentinel says so below
        if w.task is None:
            return
        if not w.process.is_alive():
            code = w.process.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            self._fail(w, "crash", f"the worker process died while playing the match ({why})", on_result)
        elif (d := w.deadline()) is not None and time.monotonic() >= d:
            limit = w.task.time_limit if w.started is not None else START_ALLOWANCE_S
            self._fail(w, "timeout", f"timeout: the match ran past its time limit of {limit:.0f} s and was "
                                     "stopped", on_result)

    def _fail(self, w: _Worker, kind: str, reason: str, on_result: ResultFn) -> None:
        task, began = w.task, w.started or w.assigned
        self._stop(w)
        self.crashes += 1
        on_result(task, failure_result(task, kind, reason, time.monotonic() - began))
        self._replace(w)

    def _replace(self, w: _Worker) -> None:
        self._stop(w)
        self.workers[self.workers.index(w)] = self._start(w.slot)

    @staticmethod
    def _stop(w: _Worker) -> None:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(timeout=10)
        w.conn.close()
        w.task = None

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.close()
            except OSError:
                pass
        for w in self.workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def time_limit(budget: dict[str, Any], referee_allowance_s: float | None) -> float | None:
    """Seconds a match may run in a worker: the attack's budget, its grace, then the referee's allowance."""
    seconds = budget.get("seconds")
    if seconds is None or referee_allowance_s is None:
        return None
    return float(seconds) + grace_seconds(seconds) + float(referee_allowance_s)


def play_in_workers(cfg: Any, specs: list[Any], on_result: Callable[[Any, dict[str, Any]], None],
                    hooks: Hooks = NO_HOOKS) -> int:
    """Play ``specs`` (MatchSpec) in worker processes as the config says; returns the worker count.

    Each worker plays its match with ``hooks`` (:func:`arena.game.hooks.play_match`); for a match
    whose worker died or was stopped, the ``after_match`` hooks run here instead. ``on_result(spec,
    result)`` is called in this process as each match ends, in completion order.
    """
    device = str(cfg.get("device", "auto"))
    gpus = [] if device == "cpu" else visible_gpus()
    slots = plan_slots(device, gpus, workers=cfg.get("workers", "auto"),
                       gpu_slots_per_device=cfg.get("gpu_slots_per_device", 2), matches=len(specs))
    out_dir = Path(cfg.out_dir)
    run_cfg = hook_config(cfg)
    by_dir = {}
    tasks = []
    for spec in specs:
        match_dir = str(out_dir / "matches" / spec.match_id)
        by_dir[match_dir] = spec
        tasks.append(Task(spec.__dict__.copy(), match_dir, time_limit(spec.budget, cfg.get("referee_allowance_s")),
                          hooks, run_cfg))

    def done(task: Task, result: dict[str, Any]) -> None:
        if result.get("error_kind") in ("crash", "timeout"):  # the worker could not run them
            hooks.matched(result, Path(task.match_dir), run_cfg)
        on_result(by_dir[task.match_dir], result)

    with WorkerPool(slots, memory_limit_gb=cfg.get("memory_limit_gb")) as pool:
        pool.run(tasks, done)
    return len(slots)
