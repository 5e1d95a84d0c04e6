"""A tournament folder belongs to one grid: ``<out_dir>/grid.json`` lists its matches.

``python -m arena`` (without ``-m``) writes the list before the first match plays and refuses, in
one line naming the folder, an ``out_dir`` that holds another grid's matches: two grids never share
a leaderboard silently. The leaderboard, the necessity matrix and the report read the matches the
list names (:func:`result_paths`); a folder without the list (a multirun's) shows every match in it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from arena.contract import atomic
from arena.game.validate import ConfigError

NAME = "grid.json"


def listed(out_dir: str | Path) -> list[str] | None:
    """The match ids of ``out_dir``'s grid, or None when it has no readable list."""
    try:
        data = json.loads((Path(out_dir) / NAME).read_text())
        return [str(m) for m in data["matches"]]
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return None


def result_paths(out_dir: str | Path) -> list[Path]:
    """``matches/*/result.json`` of the folder's grid (every one when the folder lists none)."""
    paths = sorted(Path(out_dir).glob("matches/*/result.json"))
    ids = listed(out_dir)
    if ids is None:
        return paths
    keep = set(ids)
    return [p for p in paths if p.parent.name in keep]


def strays(out_dir: str | Path) -> list[Path]:
    """Match folders with a result that the folder's grid does not list (reported, never read)."""
    ids = listed(out_dir)
    if ids is None:
        return []
    keep = set(ids)
    return [p.parent for p in sorted(Path(out_dir).glob("matches/*/result.json")) if p.parent.name not in keep]


def _describe(ids: list[str]) -> str:
    return f"{len(ids)} match{'es' if len(ids) != 1 else ''}, e.g. {ids[0]}" if ids else "no matches"


def claim(out_dir: str | Path, match_ids: Iterable[str], name: str = "") -> None:
    """Make ``out_dir`` this grid's folder, or raise ConfigError when it holds another grid."""
    out_dir = Path(out_dir)
    ids = sorted(set(match_ids))
    before = listed(out_dir)
    if before is None:  # no list yet: any match already there must belong to this grid
        present = sorted(p.parent.name for p in out_dir.glob("matches/*/result.json"))
        strangers = [m for m in present if m not in set(ids)]
        if strangers:
            raise ConfigError(f"out_dir {out_dir} holds matches of another run ({_describe(strangers)}); "
                              "give this grid its own out_dir=, or remove that folder")
    elif sorted(before) != ids:
        raise ConfigError(f"out_dir {out_dir} holds another grid ({_describe(sorted(before))}; this one: "
                          f"{_describe(ids)}); give this grid its own out_dir=, or delete {out_dir / NAME} "
                          "to let it replace that grid")
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out_dir / NAME, {"tournament": name, "matches": ids})


def check_member(out_dir: str | Path, match_id: str) -> None:
    """A multirun job: refuse to add a match to a folder that lists another grid."""
    ids = listed(out_dir)
    if ids is not None and match_id not in ids:
        raise ConfigError(f"out_dir {out_dir} holds a grid ({_describe(sorted(ids))}) without {match_id}; "
                          "give this sweep its own out_dir=")

