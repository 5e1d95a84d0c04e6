"""Every match outcome, defined once: name, severity order, colours and meaning.

A match ends in exactly one of :data:`OUTCOMES` (``result.json``'s ``outcome``). Whatever lists,
orders or colours outcomes reads them from here: the match, the leaderboard (a cell shows its most
telling outcome, the first in :data:`NAMES`), the necessity matrix, the terminal table, the report's
pages and pictures, and the outcome table of docs/design.md (a test holds it equal to
:func:`markdown_table`). The referee's *verdicts* on single claims are another list
(:data:`arena.referee.config.VERDICTS`).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One outcome. ``colour``: pictures (saturated); ``background``: HTML cells (pale); ``style``:
    the rich terminal table; ``final``: a rerun keeps the result instead of replaying the match."""

    name: str
    colour: str
    background: str
    style: str
    final: bool
    meaning: str


BROKEN, OUT_OF_SCOPE, UNPROVEN, ERROR, HELD, INCOMPATIBLE = (
    "broken", "out_of_scope", "out_of_scope?", "error", "held", "incompatible")

# In severity order: the leaderboard cell shows the first that occurs among its matches.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome(BROKEN, "#d62728", "#f4a6a6", "bold red", True,
            "the referee verified a bad local minimum (or a bad path to infinity), every assumption of the "
            "guarantee holds on the claim's data, and the promise covers the kind of point found. Against a "
            "defender that promises nothing, every verified bad point is `broken`."),
    Outcome(OUT_OF_SCOPE, "#ff7f0e", "#ffd59e", "yellow", True,
            "a verified bad point, but some assumption provably fails on its data, or the promise does not "
            "cover it (`promise_covers_paths_to_infinity`: a path against a promise about local minima; "
            "`promise_covers_non_strict_minima`: a flat minimum against a promise about strict ones). The "
            "result names what failed: it is evidence that the assumption is needed."),
    Outcome(UNPROVEN, "#ffbb78", "#fff0d6", "dim yellow", True,
            "a verified bad point whose only failing assumptions are unproven (a search that found no "
            "witness, an undecidable or crashed check): it may be in scope, so it counts neither as broken "
            "nor as evidence that an assumption is needed."),
    Outcome(ERROR, "#7f7f7f", "#d0d0d0", "magenta", False,
            "the match crashed; the traceback is kept in the match folder (a rerun plays it again)."),
    Outcome(HELD, "#2ca02c", "#b7e4b0", "green", True,
            "no claim survived the referee, or the attacker found none."),
    Outcome(INCOMPATIBLE, "#c7c7c7", "#f0f0f0", "dim", True,
            "the attacker does not apply to the defended setting; `result.json` keeps its reason."),
)

BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)  # severity order, most telling first
FINAL: tuple[str, ...] = tuple(o.name for o in OUTCOMES if o.final)
SCOPED_OUT: tuple[str, ...] = (OUT_OF_SCOPE, UNPROVEN)  # verified bad points not counted against the defender
COLOURS: dict[str, str] = {o.name: o.colour for o in OUTCOMES}
BACKGROUNDS: dict[str, str] = {o.name: o.background for o in OUTCOMES}
STYLES: dict[str, str] = {o.name: o.style for o in OUTCOMES}


def outcome(name: str) -> Outcome:
    """The outcome called ``name``; ValueError naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown outcome {name!r}; known: {', '.join(NAMES)}") from None


def markdown_table() -> str:
    """The outcome table of docs/design.md, in severity order."""
    rows = ["| outcome | when |", "|---|---|"]
    rows += [f"| `{o.name}` | {o.meaning} |" for o in OUTCOMES]
    return "\n".join(rows)
