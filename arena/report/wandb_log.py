"""wandb mirror of the local results: one run per match and one leaderboard run per tournament.

Offline unless the user says otherwise (``logger.mode``). A rerun writes to the same runs instead of
adding new ones (:mod:`arena.report.wandb_runs`). The leaderboard run holds the leaderboard as wandb
Tables and, for ``wandb leet`` and the charts, as numbers: one history step per defender in ranking
order (``by_defender/<metric>``, x axis ``rank``) and the summary ``defender/<name>/<metric>``. Local
files stay the source of truth: a wandb failure is reported and never loses a result.
"""
from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from arena.report import wandb_runs

SUMMARY_KEYS = ("loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig")
# outcome -> metric name ("out_of_scope?" is not a name a chart filter takes well)
OUTCOME_METRICS = {"broken": "broken", "out_of_scope": "out_of_scope", "out_of_scope?": "out_of_scope_unproven",
                   "error": "error", "held": "held", "incompatible": "incompatible"}


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
    return logger_cfg is not None and bool(logger_cfg) and logger_cfg.get("name", "none") == "wandb"


def log_match(result: Mapping[str, Any], logger_cfg: Mapping[str, Any] | None, tournament: str, out_dir: Path,
              job_type: str = "match") -> str | None:
    """The match's run (a rerun replaces it); a crashed match finishes with exit code 1 (shown as failed).

    The match's pictures (``fig_*.png``, drawn by ``arena report`` or ``report=true``) are logged as
    images when they exist, and the claim folder as an artifact of type ``claim``.
    """
    if logger_cfg is None or not enabled(logger_cfg):
        return None
    try:
        run = wandb_runs.init(logger_cfg, out_dir, wandb_runs.match_run_id(out_dir, result["match_id"], job_type),
                              group=tournament, job_type=job_type, name=result["match_id"],
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
        log_match_media(run, Path(out_dir) / "matches" / result["match_id"], result)
        run_dir = run.dir
        run.finish(exit_code=1 if result["outcome"] == "error" else 0)
        return str(Path(run_dir).parent)
    except Exception as exc:  # noqa: BLE001 - the mirror must never lose the local result
        warnings.warn(f"wandb logging of match {result.get('match_id')} failed: {exc}")
        return None


def log_leaderboard(board: Mapping[str, Any], logger_cfg: Mapping[str, Any] | None, tournament: str, out_dir: Path,
                    job_type: str = "leaderboard") -> str | None:
    """The tournament's leaderboard run (a rerun replaces it): the numbers per defender, then the Tables
    (cells and the defenders x attackers grid), the outcomes per defender and the report when drawn."""
    if logger_cfg is None or not enabled(logger_cfg):
        return None
    try:
        import wandb

        from arena.game.leaderboard import grid

        run = wandb_runs.init(logger_cfg, out_dir, wandb_runs.leaderboard_run_id(out_dir, job_type),
                              same_prefix=wandb_runs.leaderboard_prefix(out_dir, job_type),
                              group=tournament, job_type=job_type, name=f"{tournament}-{job_type}",
                              config={"tournament": tournament, "out_dir": str(out_dir),
                                      "grid": wandb_runs.grid_fingerprint(out_dir), "matches": len(board["cells"])})
        log_defenders(run, board)
        cols: list[str | int] = ["attacker", "defender", "setting", "seed", "outcome", "failed_assumptions", "loss", "gap"]
        cells = wandb.Table(columns=cols, data=[[c["attacker"], c["defender"], c["setting"], c["seed"], c["outcome"],
                                                 ",".join(c["failed_assumptions"]), c["loss"], c["gap"]]
                                                for c in board["cells"]])
        rows = grid(dict(board))
        table = wandb.Table(columns=list(rows[0]), data=rows[1:])
        run.log({"leaderboard": table, "cells": cells})
        log_outcomes(run, board, Path(out_dir))
        run_dir = run.dir
        run.finish()
        return str(Path(run_dir).parent)
    except Exception as exc:  # noqa: BLE001
        warnings.warn(f"wandb logging of the leaderboard failed: {exc}")
        return None


def defender_metrics(board: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(defender, numbers) in ranking order: ``rank`` (1 = best), ``matches``, the count of each outcome
    (:data:`OUTCOME_METRICS`) and, where its matches trained restarts, the pooled bad-basin rate with its
    Wilson 95% interval (fractions: ``bad_basin_rate``, ``bad_basin_ci_low``, ``bad_basin_ci_high``) and
    ``bad_basin_bad`` of ``bad_basin_restarts`` restarts."""
    out = []
    for rank, r in enumerate(board["ranking"], 1):
        counts = Counter(c["outcome"] for c in board["cells"] if c["defender"] == r["defender"])
        row: dict[str, Any] = {"rank": rank, "matches": sum(counts.values()),
                               **{name: counts[o] for o, name in OUTCOME_METRICS.items()}}
        basin = r.get("bad_basin")
        if basin:
            row.update(bad_basin_rate=basin["rate"], bad_basin_ci_low=basin["ci"][0], bad_basin_ci_high=basin["ci"][1],
                       bad_basin_bad=basin["bad"], bad_basin_restarts=basin["restarts"])
        out.append((r["defender"], row))
    return out


def log_defenders(run: Any, board: Mapping[str, Any]) -> None:
    """One history step per defender (``by_defender/<metric>`` against ``rank``; ``wandb leet`` charts
    them) and the summary ``defender/<name>/<metric>`` (its run overview lists them)."""
    rows = defender_metrics(board)
    run.define_metric("rank", summary="none")
    run.define_metric("defender", summary="none")
    # the last defender's numbers are no summary of the leaderboard
    run.define_metric("by_defender/*", step_metric="rank", summary="none")
    for name, row in rows:
        run.log({"defender": name, "rank": row["rank"],
                 **{f"by_defender/{k}": v for k, v in row.items() if k != "rank"}})
    run.summary.update({f"defender/{name}/{k}": v for name, row in rows for k, v in row.items()})


def log_match_media(run: Any, match_dir: Path, result: Mapping[str, Any]) -> None:
    """The match's pictures as ``wandb.Image`` (under ``fig/<name>``) and its claim folder as an artifact."""
    import wandb

    images = {f"fig/{p.stem[len('fig_'):]}": wandb.Image(str(p)) for p in sorted(match_dir.glob("fig_*.png"))}
    if images:
        run.log(images)
    files = [match_dir / n for n in ("claim.json", "claim.safetensors", "verdict.json") if (match_dir / n).is_file()]
    if files:
        art = wandb.Artifact(f"claim-{result['match_id']}", type="claim",
                             metadata={"outcome": result.get("outcome"), "verify": "arena verify claim.json"})
        for f in files:
            art.add_file(str(f))
        run.log_artifact(art)


def log_outcomes(run: Any, board: Mapping[str, Any], out_dir: Path) -> None:
    """Outcomes per defender (a table and a bar chart); the HTML report and its chart when drawn."""
    import wandb

    from arena.contract.outcomes import NAMES

    rows = [[r["defender"], *(sum(1 for c in board["cells"] if c["defender"] == r["defender"] and c["outcome"] == o)
                              for o in NAMES)] for r in board["ranking"]]
    table = wandb.Table(columns=["defender", *NAMES], data=rows)
    run.log({"outcomes": table,
             "broken_per_defender": wandb.plot.bar(table, "defender", "broken", title="in-scope breaks per defender")})
    report = out_dir / "report"
    if (report / "index.html").is_file():
        from arena.report.site import inline_images

        run.log({"report": wandb.Html(inline_images(report / "index.html"), inject=False)})
        if (report / "outcomes.png").is_file():
            run.log({"outcomes_chart": wandb.Image(str(report / "outcomes.png"))})


def teardown() -> None:
    """Forget wandb's process state between matches (joblib reuses worker processes)."""
    try:
        import wandb

        wandb.teardown()
    except Exception:  # noqa: BLE001
        pass
    os.environ.pop("WANDB_RUN_ID", None)
