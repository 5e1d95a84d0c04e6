"""The necessity matrix: for every assumption of every guarantee, the verified counterexamples that
break only that assumption.

A match is a counterexample for assumption ``a`` of defender ``D`` when the referee verified a bad
point (outcome ``out_of_scope``) and ``a`` is the only item that failed, provably: every other
assumption of D's guarantee held on the claim's data, and D's promise covers the claim. Matches with
only unproven failures (outcome ``out_of_scope?``) count nowhere; an unproven failure beside a
proven one moves the match to ``with_others`` (it does not isolate the proven one). Such a match shows that D's
theorem is false without ``a``. Promise items (``promise_covers_paths_to_infinity``,
``promise_covers_non_strict_minima``) are listed too: a counterexample there is a bad point the
promise never spoke about. Assumptions with no counterexample yet are marked as such.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arena.contract import outcomes
from arena.game.grid_record import result_paths

PROMISE_ITEMS = {
    "no_bad_local_min": ["promise_covers_paths_to_infinity"],
    "no_bad_strict_local_min": ["promise_covers_paths_to_infinity", "promise_covers_non_strict_minima"],
    "no_bad_path_to_infinity": [],
}


def build(out_dir: str | Path) -> list[dict[str, Any]]:
    """Rows ``{defender, promise, paper, assumption, counterexamples, with_others}``.

    ``counterexamples``: matches where this item alone failed; ``with_others``: matches where it
    failed together with other items (weaker evidence: they do not isolate this assumption).
    Each entry is ``{attacker, setting, seed, match_dir, failed}``.
    """
    guarantees: dict[str, dict[str, Any]] = {}
    hits: dict[tuple[str, str], list[dict[str, Any]]] = {}
    shared: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in result_paths(out_dir):
        try:
            r = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # reported by the leaderboard's problems list
        g = r.get("guarantee")
        if g and g.get("promise"):
            guarantees.setdefault(r["defender"], g)
        # only proven failures count; results written before proofs were tracked list them all
        failed = r.get("proven_failures", r.get("failed_assumptions")) or []
        unproven = r.get("unproven_failures") or []
        if r.get("outcome") == outcomes.OUT_OF_SCOPE:
            entry = {"attacker": r["attacker"], "setting": r["setting"], "seed": r["seed"],
                     "match_dir": str(path.parent), "failed": failed, "unproven": unproven}
            for item in failed:
                alone = len(failed) == 1 and not unproven
                (hits if alone else shared).setdefault((r["defender"], item), []).append(entry)
    rows = []
    for defender in sorted(guarantees):
        g = guarantees[defender]
        items = [a["name"] for a in g.get("assumptions", [])] + PROMISE_ITEMS.get(g["promise"], [])
        for item in items:
            rows.append({"defender": defender, "promise": g["promise"], "paper": g.get("paper", ""),
                         "assumption": item, "counterexamples": hits.get((defender, item), []),
                         "with_others": shared.get((defender, item), [])})
    return rows


def render_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["## Necessity matrix", "",
             "For each assumption of each guarantee: the verified counterexamples that break only that "
             "assumption (attacker @ setting). `none yet`: no match of this tournament isolates the "
             "assumption. The last column lists verified bad points that break it together with other "
             "assumptions (they do not show that this one alone is needed).", "",
             "| defender | promise | assumption | counterexamples (only this fails) | with others failing |",
             "|---|---|---|---|---|"]
    for r in rows:
        found = sorted({f"{c['attacker']} @ {c['setting']}" for c in r["counterexamples"]})
        also = sorted({f"{c['attacker']} @ {c['setting']}" for c in r.get("with_others", [])})
        lines.append(f"| {r['defender']} | {r['promise']} | {r['assumption']} | "
                     f"{', '.join(found) if found else 'none yet'} | {', '.join(also)} |")
    if not rows:
        lines.append("| (no defender with a promise played) | | | | |")
    return "\n".join(lines) + "\n"


def render_terminal(rows: list[dict[str, Any]]) -> str:
    table = [("defender", "assumption", "counterexamples")]
    for r in rows:
        found = sorted({f"{c['attacker']}@{c['setting']}" for c in r["counterexamples"]})
        table.append((r["defender"], r["assumption"], ", ".join(found) if found else "none yet"))
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    return "\n".join(f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}" for a, b, c in table)
