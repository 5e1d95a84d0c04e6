"""The referee: judges claims in float64 by a fixed, replayable protocol.

Public API: :func:`judge` / :func:`judge_safely` (local-minimum claims), :func:`judge_path` (paths to
infinity), :class:`RefereeConfig` (every tolerance) and :class:`Verdict`. The protocol's steps live in
:mod:`arena.referee.steps` (one module each); their tools in ``canonical`` (symmetries), ``polish``,
``probes``, ``curvature``, ``certificates``, ``params``; path claims in ``paths``.
"""
from arena.referee.judge import RefereeConfig, Verdict, judge, judge_safely
from arena.referee.paths import judge_path

__all__ = ["RefereeConfig", "Verdict", "judge", "judge_path", "judge_safely"]
