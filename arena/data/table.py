"""Which guarantees apply to which fixed data set: the assumption table of a tournament folder.

Every match on fixed data checks the defender's assumptions on the data themselves
(``result.json``'s ``data_assumptions``), whatever the attacker did. One row per (data set,
defender): the promise, each assumption's outcome (``✓`` proved, ``✓?`` holds numerically,
``✗`` proved to fail, ``✗?`` fails without proof, ``?`` undecided) and whether the guarantee
applies: ``yes`` (every assumption holds), ``no`` (one provably fails), ``unknown``, or ``-`` for a
defender that promises nothing.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def rows(out_dir: str | Path) -> list[dict[str, Any]]:
    """One row per (data fingerprint, defender) from ``matches/*/result.json`` (unreadable files skipped:
    the leaderboard reports them)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(Path(out_dir).glob("matches/*/result.json")):
        try:
            r = json.loads(path.read_text())
            data, checks = r.get("data"), r.get("data_assumptions")
            if not data or checks is None:
                continue
            key = (data["fingerprint"], r["defender"])
            if key in seen:
                continue
            seen[key] = {"data": data["name"], "n": data["n"], "d": data["d"], "fingerprint": data["fingerprint"],
                         "defender": r["defender"], "promise": (r.get("guarantee") or {}).get("promise"),
                         "assumptions": [{k: c.get(k) for k in ("name", "holds", "proved")} for c in checks],
                         "applies": applies(checks) if (r.get("guarantee") or {}).get("promise") else "-"}
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            continue
    return sorted(seen.values(), key=lambda row: (row["data"], row["defender"]))


def applies(checks: list[dict[str, Any]]) -> str:
    """``yes`` when every assumption holds, ``no`` when one provably fails, else ``unknown``."""
    if any(c.get("holds") is False and c.get("proved") for c in checks):
        return "no"
    return "yes" if all(c.get("holds") is True for c in checks) else "unknown"


def mark(check: dict[str, Any]) -> str:
    holds, proved = check.get("holds"), bool(check.get("proved"))
    if holds is True:
        return "✓" if proved else "✓?"
    if holds is False:
        return "✗" if proved else "✗?"
    return "?"


def render_markdown(table: list[dict[str, Any]]) -> str:
    """The table as Markdown ('' when no match played fixed data)."""
    if not table:
        return ""
    lines = ["## Guarantees on the fixed data", "",
             "Each defender's assumptions checked on the data set itself (✓ proved, ✓? holds numerically, "
             "✗ proved to fail, ✗? fails without proof, ? undecided). `applies`: the guarantee covers "
             "this data set (yes), provably does not (no), or cannot be decided (unknown).", "",
             "| data | n × d | fingerprint | defender | promise | applies | assumptions |",
             "|---|---|---|---|---|---|---|"]
    for row in table:
        checks = ", ".join(f"{c['name']} {mark(c)}" for c in row["assumptions"]) or "(none)"
        lines.append(f"| {row['data']} | {row['n']} × {row['d']} | `{row['fingerprint'][:12]}` | {row['defender']} | "
                     f"{row['promise'] or '-'} | {row['applies']} | {checks} |")
    return "\n".join(lines) + "\n"
