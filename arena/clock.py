"""The one clock that budget deadlines are read from.

:class:`~arena.contract.budget.Budget` (``start_clock``, ``remaining``, ``expired``),
:class:`~arena.engine.limits.Limits` (the engine's deadline checks) and
:func:`~arena.game.enforce.run_attack` all call :func:`now`, looked up on this module at each call.
Tests replace it (``monkeypatch.setattr(arena.clock, "now", fake)``) to drive a deadline step by
step instead of racing real work against wall-clock time. The worker pool and the ``SIGALRM``
backstop keep the real clock: they wait on processes and signals, which only real time can end.
"""
from __future__ import annotations

import time
from typing import Callable

now: Callable[[], float] = time.monotonic  # seconds on a clock that never goes back
