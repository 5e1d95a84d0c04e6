"""Outcomes as the report shows them: order, colours (page and chart) and meaning, in one place.

The order is the leaderboard's (most telling first). An outcome this table does not know is still
shown, in grey and after the known ones: a chart or legend never drops a match silently.
"""
from __future__ import annotations

from typing import Iterable

from arena.game.leaderboard import SEVERITY

ORDER: tuple[str, ...] = tuple(SEVERITY)
PAGE = {"broken": "#f4a6a6", "out_of_scope": "#ffd59e", "out_of_scope?": "#fff0c2", "error": "#d0d0d0",
        "held": "#b7e4b0", "incompatible": "#f0f0f0"}
CHART = {"broken": "#d62728", "out_of_scope": "#ff7f0e", "out_of_scope?": "#ffbb78", "error": "#7f7f7f",
         "held": "#2ca02c", "incompatible": "#c7c7c7"}
MEANING = {
    "broken": "a verified bad local minimum with every assumption of the guarantee holding",
    "out_of_scope": "verified, but an assumption of the guarantee provably fails (named in brackets)",
    "out_of_scope?": "verified, but the only failing assumptions are unproven: it may be in scope",
    "error": "a crash (see the match page)",
    "held": "no claim survived the referee",
    "incompatible": "the attack does not apply to the defended network",
}
UNKNOWN_PAGE, UNKNOWN_CHART = "#e4d7f5", "#9467bd"


def page_colour(outcome: str) -> str:
    return PAGE.get(outcome, UNKNOWN_PAGE)


def chart_colour(outcome: str) -> str:
    return CHART.get(outcome, UNKNOWN_CHART)


def ordered(outcomes: Iterable[str]) -> list[str]:
    """The distinct outcomes given, known ones in the leaderboard's order, unknown ones after."""
    seen = set(outcomes)
    return [o for o in ORDER if o in seen] + sorted(seen - set(ORDER))
