"""wandb mirror of the local results: one run per match and one leaderboard run per tournament.

Offline unless the user says otherwise (``logger.mode``). The mode is passed explicitly to every
``wandb.init`` (the environment is read only once per process, and joblib reuses processes). Local
files stay the source of truth: a wandb failure is reported and never loses a result.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Mapping

SUMMARY_KEYS = ("loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig")


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists of scalars stay lists."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def enabled(logger_cfg: Mapping[str, Any] | None) -> bool:
    return bool(logger_cfg) and logger_cfg.get("name", "none") == "wandb"


def _init(logger_cfg: Mapping[str, Any], out_dir: Path, **kw: Any):
    import wandb

    wandb_dir = Path(logger_cfg.get("dir") or out_dir)
    wandb_dir.mkdir(parents=True, exist_ok=True)
    return wandb.init(project=logger_cfg.get("project", "localmin-arena"), entity=logger_cfg.get("entity"),
                      mode=logger_cfg.get("mode", "offline"), dir=str(wandb_dir),
                      settings=wandb.Settings(console="off", silent=True), **kw)


def log_match(result: Mapping[str, Any], logger_cfg: Mapping[str, Any], tournament: str, out_dir: Path) -> str | None:
    """One run for one match; a crashed match finishes with exit code 1 (shown as failed)."""
    if not enabled(logger_cfg):
        return None
    try:
        run = _init(logger_cfg, out_dir, group=tournament, job_type="match", name=result["match_id"],
                    config=flatten(result.get("config", {})))
        summary: dict[str, Any] = {"outcome": result["outcome"], "reason": result.get("reason", ""),
                                   "attacker": result["attacker"], "defender": result["defender"],
                                   "setting": result["setting"], "seed": result["seed"],
                                   "failed_assumptions": ",".join(result.get("failed_assumptions", []))}
        verdict = result.get("verdict") or {}
        summary["verdict"] = verdict.get("verdict")
        for k in SUMMARY_KEYS:
            if isinstance(verdict.get(k), (int, float)):
                summary[k] = verdict[k]
        summary.update({f"time.{k}": v for k, v in (result.get("timings") or {}).items()})
        basin = result.get("bad_basin") or {}
        summary.update({f"bad_basin.{k}": basin[k] for k in ("rate", "ci", "restarts", "bad", "distinct") if k in basin})
        run.summary.update(summary)
        run_dir = run.dir
        run.finish(exit_code=1 if result["outcome"] == "error" else 0)
        return str(Path(run_dir).parent)
    except Exception as exc:  # noqa: BLE001 - the mirror must never lose the local result
        warnings.warn(f"wandb logging of match {result.get('match_id')} failed: {exc}")
        return None


def log_leaderboard(board: Mapping[str, Any], logger_cfg: Mapping[str, Any], tournament: str, out_dir: Path) -> str | None:
    """One run holding the leaderboard as wandb Tables (cells and the defenders x attackers grid)."""
    if not enabled(logger_cfg):
        return None
    try:
        import wandb

        from arena.game.leaderboard import grid

        run = _init(logger_cfg, out_dir, group=tournament, job_type="leaderboard", name=f"{tournament}-leaderboard",
                    config={"tournament": tournament, "out_dir": str(out_dir)})
        cols = ["attacker", "defender", "setting", "seed", "outcome", "failed_assumptions", "loss", "gap"]
        cells = wandb.Table(columns=cols, data=[[c["attacker"], c["defender"], c["setting"], c["seed"], c["outcome"],
                                                 ",".join(c["failed_assumptions"]), c["loss"], c["gap"]]
                                                for c in board["cells"]])
        rows = grid(board)
        table = wandb.Table(columns=rows[0], data=rows[1:])
        run.log({"leaderboard": table, "cells": cells})
        run.summary.update({f"broken.{r['defender']}": r["broken"] for r in board["ranking"]})
        run.summary.update({f"bad_basin_rate.{r['defender']}": r["bad_basin"]["rate"]
                            for r in board["ranking"] if r.get("bad_basin")})
        run_dir = run.dir
        run.finish()
        return str(Path(run_dir).parent)
    except Exception as exc:  # noqa: BLE001
        warnings.warn(f"wandb logging of the leaderboard failed: {exc}")
        return None


def teardown() -> None:
    """Forget wandb's process state between matches (joblib reuses worker processes)."""
    try:
        import wandb

        wandb.teardown()
    except Exception:  # noqa: BLE001
        pass
    os.environ.pop("WANDB_RUN_ID", None)
