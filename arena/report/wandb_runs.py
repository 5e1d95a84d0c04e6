"""Which wandb run a result goes to: one run per match and one leaderboard run per tournament folder.

Run ids are derived from the tournament's folder, so a rerun writes to the same run instead of adding
one: ``match-<folder>-<match>`` for a match and ``leaderboard-<folder>-<grid>`` for the leaderboard
(``<folder>``, ``<match>`` and ``<grid>`` are short SHA-256 digests of the resolved ``out_dir``, the match
id and the folder's grid, :mod:`arena.game.grid_record`). ``arena report DIR --wandb`` uses the job types
``match_report`` and ``report`` in place of ``match`` and ``leaderboard``.

Offline, wandb writes every ``wandb.init`` to a new folder ``offline-run-<time>-<id>`` even when it
resumes the id, and ``wandb leet DIR`` lists folders, not ids. So before a run is written, the earlier
local folders it replaces are deleted: the same match's, or the same folder's leaderboard of any grid
(a folder holds one grid; a replaced grid's leaderboard is stale). Online, ``resume="allow"`` makes a
rerun continue the same server run: its summary is replaced, its history appended.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any, Mapping

FOLDER = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>.+)$")


def digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def folder_key(out_dir: str | Path) -> str:
    """The tournament folder's part of a run id (its resolved path, hashed)."""
    return digest(str(Path(out_dir).resolve()), 12)


def grid_fingerprint(out_dir: str | Path) -> str:
    """The folder's grid (``grid.json``'s sorted match ids), hashed; ``folder`` when it lists none (a
    multirun's folder, whose leaderboard is every match in it)."""
    from arena.game.grid_record import listed

    ids = listed(out_dir)
    return "folder" if ids is None else digest(json.dumps(sorted(ids)), 12)


def job(job_type: str) -> str:
    return job_type.replace("_", "-")


def match_run_id(out_dir: str | Path, match_id: str, job_type: str = "match") -> str:
    return f"{job(job_type)}-{folder_key(out_dir)}-{digest(match_id, 16)}"


def leaderboard_prefix(out_dir: str | Path, job_type: str = "leaderboard") -> str:
    """What the ids of a folder's leaderboard runs (of any grid) start with."""
    return f"{job(job_type)}-{folder_key(out_dir)}-"


def leaderboard_run_id(out_dir: str | Path, job_type: str = "leaderboard") -> str:
    return leaderboard_prefix(out_dir, job_type) + grid_fingerprint(out_dir)


def wandb_root(logger_cfg: Mapping[str, Any], out_dir: str | Path) -> Path:
    """The folder wandb writes its run folders into (``<logger.dir or out_dir>/wandb``)."""
    return Path(logger_cfg.get("dir") or out_dir) / "wandb"


def run_folders(root: Path) -> list[tuple[str, Path]]:
    """(run id, folder) of every local run folder under ``root``, oldest first."""
    if not root.is_dir():
        return []
    return [(m["id"], p) for p in sorted(root.iterdir())
            if (m := FOLDER.match(p.name)) and p.is_dir() and not p.is_symlink()]


def remove_earlier(root: Path, run_id: str, same_prefix: str | None = None) -> list[Path]:
    """Delete the local folders of ``run_id`` (or of any id starting with ``same_prefix``); returns them."""
    gone = [p for rid, p in run_folders(root)
            if rid == run_id or (same_prefix is not None and rid.startswith(same_prefix))]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone


def init(logger_cfg: Mapping[str, Any], out_dir: str | Path, run_id: str, same_prefix: str | None = None,
         **kw: Any):
    """``wandb.init`` of ``run_id`` after deleting the local folders it replaces.

    The mode is passed explicitly (the environment is read only once per process, and joblib reuses
    processes).
    """
    import wandb

    root = wandb_root(logger_cfg, out_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    remove_earlier(root, run_id, same_prefix)
    return wandb.init(project=logger_cfg.get("project", "localmin-arena"), entity=logger_cfg.get("entity"),
                      mode=logger_cfg.get("mode", "offline"), dir=str(root.parent), id=run_id, resume="allow",
                      settings=wandb.Settings(console="off", silent=True), **kw)
