"""Leaderboards: which defenses held, built from the ``result.json`` files of a tournament folder.

``leaderboard.json`` holds ``cells`` (one per match: attacker, defender, setting, seed, outcome and
the failed assumptions where there are any), ``ranking`` (defenders by in-scope breaks, fewest
first) and ``problems`` (result files that could not be read; they are reported, never deleted).
``leaderboard.md`` and the terminal table show defenders as rows and attackers as columns.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# The cell shows the most telling outcome among a cell's settings and seeds.
SEVERITY = ("broken", "out_of_scope", "error", "held", "incompatible")


def collect(out_dir: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read every ``matches/*/result.json`` under out_dir: (cells, problems)."""
    cells, problems = [], []
    for path in sorted(Path(out_dir).glob("matches/*/result.json")):
        try:
            r = json.loads(path.read_text())
            cells.append({
                "attacker": r["attacker"], "defender": r["defender"], "setting": r["setting"],
                "seed": r["seed"], "outcome": r["outcome"],
                "failed_assumptions": r.get("failed_assumptions", []),
                "reason": r.get("reason", ""),
                "loss": (r.get("verdict") or {}).get("loss"),
                "gap": (r.get("verdict") or {}).get("gap"),
                "match_dir": str(path.parent),
            })
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            problems.append(f"{path}: unreadable result ({exc.__class__.__name__}: {exc})")
    return cells, problems


def build(out_dir: str | Path) -> dict[str, Any]:
    cells, problems = collect(out_dir)
    attackers = sorted({c["attacker"] for c in cells})
    defenders = sorted({c["defender"] for c in cells})
    broken = Counter(c["defender"] for c in cells if c["outcome"] == "broken")
    errors = Counter(c["defender"] for c in cells if c["outcome"] == "error")
    ranking = sorted(defenders, key=lambda d: (broken[d], errors[d], d))
    return {
        "out_dir": str(out_dir), "attackers": attackers, "defenders": defenders, "cells": cells,
        "ranking": [{"defender": d, "broken": broken[d],
                     "out_of_scope": sum(1 for c in cells if c["defender"] == d and c["outcome"] == "out_of_scope"),
                     "held": sum(1 for c in cells if c["defender"] == d and c["outcome"] == "held"),
                     "errors": errors[d]} for d in ranking],
        "problems": problems,
    }


def cell_text(cells: list[dict[str, Any]]) -> str:
    """One table cell from the matches of one (defender, attacker) pair."""
    if not cells:
        return ""
    counts = Counter(c["outcome"] for c in cells)
    top = next(o for o in SEVERITY if counts[o])
    text = top
    if top == "out_of_scope":
        failed = sorted({a for c in cells if c["outcome"] == top for a in c["failed_assumptions"]})
        if failed:
            text += f" ({', '.join(failed)})"
    if len(cells) > 1:
        text += f" {counts[top]}/{len(cells)}"
    return text


def grid(board: dict[str, Any]) -> list[list[str]]:
    by_pair: dict[tuple[str, str], list] = defaultdict(list)
    for c in board["cells"]:
        by_pair[(c["defender"], c["attacker"])].append(c)
    rows = [["defender \\ attacker", *board["attackers"]]]
    for r in board["ranking"]:
        d = r["defender"]
        rows.append([d, *(cell_text(by_pair[(d, a)]) for a in board["attackers"])])
    return rows


def render_markdown(board: dict[str, Any]) -> str:
    rows = grid(board)
    lines = ["# Leaderboard", "",
             "Defenders (rows) ranked by in-scope breaks, fewest first; attackers in columns. "
             "`broken`: a verified bad local minimum with every assumption of the defender's guarantee "
             "holding; `out_of_scope (a)`: verified, but assumption `a` fails; `held`: no claim survived "
             "the referee; `incompatible`: the attack does not apply; `error`: a crash (see the match folder).",
             "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines += ["", "| defender | broken | out_of_scope | held | errors |", "|---|---|---|---|---|"]
    lines += [f"| {r['defender']} | {r['broken']} | {r['out_of_scope']} | {r['held']} | {r['errors']} |"
              for r in board["ranking"]]
    if board["problems"]:
        lines += ["", "Unreadable results:", *[f"- {p}" for p in board["problems"]]]
    return "\n".join(lines) + "\n"


def render_terminal(board: dict[str, Any]) -> str:
    rows = grid(board)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    fmt = lambda r: "  ".join(s.ljust(w) for s, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [fmt(rows[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows[1:]]
    if board["problems"]:
        out += [f"! {p}" for p in board["problems"]]
    return "\n".join(out)


def write(out_dir: str | Path) -> dict[str, Any]:
    """Build the leaderboard of ``out_dir`` and write ``leaderboard.json`` and ``leaderboard.md``."""
    out_dir = Path(out_dir)
    board = build(out_dir)
    from arena.game import necessity

    out_dir.mkdir(parents=True, exist_ok=True)
    board["necessity"] = necessity.build(out_dir)
    from arena.game.atomic import write_json, write_text

    write_json(out_dir / "leaderboard.json", board)
    write_text(out_dir / "leaderboard.md", render_markdown(board) + "\n" + necessity.render_markdown(board["necessity"]))
    return board
