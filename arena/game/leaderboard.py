"""Leaderboards: which defenses held, built from the ``result.json`` files of a tournament folder.

``leaderboard.json`` holds ``cells`` (one per match of the folder's grid, :mod:`arena.game.grid_record`:
attacker, defender, setting, seed, outcome and the failed assumptions where there are any),
``ranking`` (defenders by in-scope breaks, fewest first) and ``problems`` (result files that could
not be read, and match folders the grid does not list; they are reported, never deleted).
``leaderboard.md`` and the terminal table show defenders as rows and attackers as columns.
"""
from __future__ import annotations

import io
import json
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from arena.data import table as data_table
from arena.game import necessity
from arena.contract.atomic import write_json, write_text
from arena.contract import outcomes
from arena.game.grid_record import result_paths, strays


def collect(out_dir: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read every ``matches/*/result.json`` under out_dir: (cells, problems)."""
    cells, problems = [], []
    for path in result_paths(out_dir):
        try:
            r = json.loads(path.read_text())
            cells.append({
                "attacker": r["attacker"], "defender": r["defender"], "setting": r["setting"],
                "seed": r["seed"], "outcome": r["outcome"],
                "failed_assumptions": r.get("failed_assumptions", []),
                "reason": r.get("reason", ""),
                "loss": (r.get("verdict") or {}).get("loss"),
                "gap": (r.get("verdict") or {}).get("gap"),
                "proof": r.get("proof") is True,
                **({"stopped_at": r["stopped_at"]} if r.get("stopped_at") else {}),
                **({"data": r["data"]["name"], "data_fingerprint": r["data"]["fingerprint"]} if r.get("data") else {}),
                "match_dir": str(path.parent),
                **({"bad_basin": _basin_cell(r["bad_basin"])} if r.get("bad_basin") else {}),
            })
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            problems.append(f"{path}: unreadable result ({exc.__class__.__name__}: {exc})")
    problems += [f"{folder}: not a match of this folder's grid (grid.json); left out" for folder in strays(out_dir)]
    return cells, problems


def _basin_cell(entry: dict[str, Any]) -> dict[str, Any]:
    keys = ("rate", "ci", "restarts", "distinct", "bad", "comparable")
    return {k: entry[k] for k in keys if k in entry}


def basin_rates(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Per defender: the bad-basin entries of its matches pooled (``arena.search.basins.pooled``)."""
    from arena.search.basins import pooled  # torch (seconds): `arena leaderboard` reads JSON without it

    by_defender: dict[str, list] = defaultdict(list)
    for c in cells:
        by_defender[c["defender"]].append(c.get("bad_basin"))
    return {d: pooled(entries) for d, entries in by_defender.items()}


def build(out_dir: str | Path, sort: str = "broken") -> dict[str, Any]:
    cells, problems = collect(out_dir)
    attackers = sorted({c["attacker"] for c in cells})
    defenders = sorted({c["defender"] for c in cells})
    broken = Counter(c["defender"] for c in cells if c["outcome"] == "broken")
    errors = Counter(c["defender"] for c in cells if c["outcome"] == "error")
    rates = basin_rates(cells)
    ranking = sorted(defenders, key=lambda d: (broken[d], errors[d], d))
    if sort == "bad-basin":  # lowest pooled bad-basin rate first; defenders without data last
        ranking = sorted(defenders, key=lambda d: (rates.get(d) is None, (rates.get(d) or {}).get("rate", 0.0), d))
    elif sort != "broken":
        raise ValueError(f"unknown sort {sort!r}; use 'broken' or 'bad-basin'")
    return {
        "out_dir": str(out_dir), "attackers": attackers, "defenders": defenders, "cells": cells,
        "ranking": [{"defender": d, "broken": broken[d],
                     "out_of_scope": sum(1 for c in cells if c["defender"] == d and c["outcome"] == "out_of_scope"),
                     "held": sum(1 for c in cells if c["defender"] == d and c["outcome"] == "held"),
                     "errors": errors[d], "bad_basin": rates.get(d)} for d in ranking],
        "problems": problems,
    }


def cell_text(cells: list[dict[str, Any]]) -> str:
    """One table cell from the matches of one (defender, attacker) pair."""
    if not cells:
        return ""
    counts = Counter(c["outcome"] for c in cells)
    top = next(o for o in outcomes.NAMES if counts[o])  # the most telling outcome among the cell's matches
    text = top
    if top == "broken" and any(c.get("proof") for c in cells if c["outcome"] == top):
        text += " ✓"  # proved: a certificate that `arena verify --check-certificate` re-checks
    if top in outcomes.SCOPED_OUT:
        failed = sorted({a for c in cells if c["outcome"] == top for a in c["failed_assumptions"]})
        if failed:
            text += f" ({', '.join(failed)})"
    if len(cells) > 1:
        text += f" {counts[top]}/{len(cells)}"
    stopped = [c for c in cells if c["outcome"] == top and c.get("stopped_at")]
    if stopped:  # the attack's time ran out: a `held` that says so
        seconds = stopped[0]["stopped_at"].get("budget.seconds")
        text += f" (stopped at budget.seconds = {seconds} s" + (f", {len(stopped)}×)" if len(stopped) > 1 else ")")
    return text


def grid(board: dict[str, Any]) -> list[list[str]]:
    by_pair: dict[tuple[str, str], list] = defaultdict(list)
    for c in board["cells"]:
        by_pair[(c["defender"], c["attacker"])].append(c)
    from arena.search.basins import rate_text  # torch (seconds): loaded only when a table is drawn

    basins = any(r.get("bad_basin") for r in board["ranking"])  # the column only when some match trained restarts
    rows = [["defender \\ attacker", *board["attackers"], *(["bad-basin rate"] if basins else [])]]
    for r in board["ranking"]:
        d = r["defender"]
        rate = [rate_text(r.get("bad_basin"))] if basins else []
        rows.append([d, *(cell_text(by_pair[(d, a)]) for a in board["attackers"]), *rate])
    return rows


def render_markdown(board: dict[str, Any]) -> str:
    rows = grid(board)
    lines = ["# Leaderboard", "",
             "Defenders (rows) ranked by in-scope breaks, fewest first; attackers in columns. "
             "`broken`: a verified bad local minimum with every assumption of the defender's guarantee "
             "holding; `out_of_scope (a)`: verified, but assumption `a` fails; `held`: no claim survived "
             "the referee; `incompatible`: the attack does not apply; `error`: a crash (see the match folder). "
             "`bad-basin rate`: share of trained restarts (pooled over the defender's matches, on data "
             "that do not depend on the defender) ending in a bad local minimum, with a 95% Wilson interval.",
             "", "`broken ✓`: the bad local minimum is also proved (see docs/proofs.md).",
             "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines += ["", "| defender | broken | out_of_scope | held | errors |", "|---|---|---|---|---|"]
    lines += [f"| {r['defender']} | {r['broken']} | {r['out_of_scope']} | {r['held']} | {r['errors']} |"
              for r in board["ranking"]]
    if board["problems"]:
        lines += ["", "Unreadable results:", *[f"- {p}" for p in board["problems"]]]
    return "\n".join(lines) + "\n"


def render_terminal(board: dict[str, Any], rich: bool | None = None) -> str:
    """The grid for a terminal: a rich table (coloured by outcome) when stdout is a terminal and rich
    is installed, plain markdown otherwise (logs, pipes, CI). ``rich`` forces either."""
    rows = grid(board)
    if rich is None:
        rich = sys.stdout.isatty()
    if rich:
        try:
            return _render_rich(rows, board["problems"])
        except ImportError:
            pass
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    if board["problems"]:
        out += [f"! {p}" for p in board["problems"]]
    return "\n".join(out)


def _render_rich(rows: list[list[str]], problems: list[str]) -> str:
    from rich.console import Console  # the optional ``report`` extra (ImportError: plain markdown)
    from rich.markup import escape
    from rich.table import Table

    table = Table(*map(escape, rows[0]), title="leaderboard")
    for r in rows[1:]:
        style = lambda c: outcomes.STYLES.get(c.split(" ")[0], "default")  # noqa: E731
        table.add_row(escape(r[0]), *(f"[{style(c)}]{escape(c)}[/]" if c else "" for c in r[1:]))
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=max(80, shutil.get_terminal_size().columns))
    console.print(table)
    for p in problems:
        console.print(f"[red]! {escape(p)}[/]")
    return buf.getvalue().rstrip()


def write(out_dir: str | Path, sort: str = "broken") -> dict[str, Any]:
    """Build the leaderboard of ``out_dir`` and write ``leaderboard.json`` and ``leaderboard.md``.

    ``sort``: rows by in-scope breaks (``broken``) or by pooled bad-basin rate (``bad-basin``)."""
    out_dir = Path(out_dir)
    board = build(out_dir, sort)
    out_dir.mkdir(parents=True, exist_ok=True)
    board["necessity"] = necessity.build(out_dir)
    board["data_assumptions"] = data_table.rows(out_dir)  # which guarantees apply to each fixed data set
    write_json(out_dir / "leaderboard.json", board)
    data_md = data_table.render_markdown(board["data_assumptions"])
    write_text(out_dir / "leaderboard.md", render_markdown(board) + "\n" + necessity.render_markdown(board["necessity"])
               + ("\n" + data_md if data_md else ""))
    return board
