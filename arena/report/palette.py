"""Outcomes as the report shows them, read from :mod:`arena.contract.outcomes` (their one definition).

The order is the leaderboard's (most telling first). An outcome this table does not know is still
shown, in grey and after the known ones: a chart or legend never drops a match silently.
"""
from __future__ import annotations

from typing import Iterable

from arena.contract import outcomes

ORDER: tuple[str, ...] = outcomes.NAMES
PAGE = dict(outcomes.BACKGROUNDS)
CHART = dict(outcomes.COLOURS)
MEANING = {o.name: o.meaning for o in outcomes.OUTCOMES}
UNKNOWN_PAGE, UNKNOWN_CHART = "#e4d7f5", "#9467bd"


def page_colour(outcome: str) -> str:
    return PAGE.get(outcome, UNKNOWN_PAGE)


def chart_colour(outcome: str) -> str:
    return CHART.get(outcome, UNKNOWN_CHART)


def ordered(outcomes: Iterable[str]) -> list[str]:
    """The distinct outcomes given, known ones in the leaderboard's order, unknown ones after."""
    seen = set(outcomes)
    return [o for o in ORDER if o in seen] + sorted(seen - set(ORDER))
