"""``arena report DIR --wandb``: the pictures, claims and report of a finished tournament in wandb.

A finished offline run cannot be reopened, so the report step logs runs of its own in the
tournament's group: one run per match (``job_type="match_report"``, named like the match, with its
pictures as ``wandb.Image`` and its claim folder as an artifact) and one ``report`` run with the HTML
report (``wandb.Html``), the numbers per defender, the leaderboard Tables and the outcomes per
defender. Their ids come from the folder (:mod:`arena.report.wandb_runs`): running it again rewrites
them. With ``report=true`` a tournament draws while it plays, and its own match and leaderboard runs
carry the same media.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from arena.game import leaderboard
from arena.report import wandb_log
from arena.game.grid_record import result_paths


def log_report(out_dir: str | Path, group: str | None = None, mode: str | None = None) -> list[str]:
    """Log every match of ``out_dir`` and its report; returns the run folders written."""
    out_dir = Path(out_dir)
    group = group or out_dir.name
    cfg = {"name": "wandb", "mode": mode or os.environ.get("WANDB_MODE", "offline")}
    runs = []
    for path in result_paths(out_dir):
        try:
            result = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # listed among the leaderboard's problems
        wandb_log.teardown()
        runs.append(wandb_log.log_match(result, cfg, group, out_dir, job_type="match_report"))
    wandb_log.teardown()
    runs.append(wandb_log.log_leaderboard(leaderboard.build(out_dir), cfg, group, out_dir, job_type="report"))
    print(f"wandb: {sum(r is not None for r in runs)} runs in group {group!r} under {out_dir / 'wandb'}")
    return [r for r in runs if r]
