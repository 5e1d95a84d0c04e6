"""Every match outcome is defined once (arena.contract.outcomes); everything else reads it."""
from __future__ import annotations

import ast

import pytest

from arena.contract import outcomes
from tests.conftest import ROOT


def test_names_in_severity_order_and_final_excludes_error():
    assert outcomes.NAMES == ("broken", "out_of_scope", "out_of_scope?", "error", "held", "incompatible")
    assert outcomes.FINAL == ("broken", "out_of_scope", "out_of_scope?", "held", "incompatible")
    assert set(outcomes.SCOPED_OUT) < set(outcomes.NAMES)


def test_every_outcome_has_distinct_colours_and_a_meaning():
    for table in (outcomes.COLOURS, outcomes.BACKGROUNDS):
        assert list(table) == list(outcomes.NAMES)
        assert len(set(table.values())) == len(table)
        assert all(c.startswith("#") and len(c) == 7 for c in table.values())
    assert all(o.meaning and "\n" not in o.meaning for o in outcomes.OUTCOMES)


def test_unknown_outcome_is_one_line():
    with pytest.raises(ValueError, match=r"unknown outcome 'brokn'; known: broken, out_of_scope"):
        outcomes.outcome("brokn")
    assert outcomes.outcome("held").final


def test_design_doc_table_is_the_module():
    text = (ROOT / "docs" / "design.md").read_text()
    assert outcomes.markdown_table() in text


def _outcome_literals(path) -> set[str]:
    """String values given to an ``outcome`` key or keyword, and compared with ``...["outcome"]``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.keyword) and node.arg == "outcome":
            values = [node.value]
        elif isinstance(node, ast.Dict):
            values = [v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == "outcome"]
        else:
            continue
        for v in values:
            found |= {n.value for n in ast.walk(v) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found - {"outcome"}  # the key itself, read back as in ``r.get("outcome", "error")``


def test_every_outcome_the_game_writes_is_defined():
    written = set().union(*(_outcome_literals(p) for p in sorted((ROOT / "arena").rglob("*.py"))))
    assert written, "the scan found no outcome at all"
    assert written <= set(outcomes.NAMES), sorted(written - set(outcomes.NAMES))
    assert {"broken", "held", "error", "out_of_scope?"} <= written


def test_report_and_terminal_colour_every_outcome():
    from arena.report import palette

    assert palette.ORDER == outcomes.NAMES
    assert list(palette.PAGE) == list(palette.CHART) == list(palette.MEANING) == list(outcomes.NAMES)
    assert set(outcomes.STYLES) == set(outcomes.NAMES)


def test_leaderboard_cell_shows_the_most_telling_outcome():
    from arena.game.leaderboard import cell_text

    cells = [{"outcome": "held"}, {"outcome": "out_of_scope?", "failed_assumptions": ["realizable"]},
             {"outcome": "error"}]
    assert cell_text(cells) == "out_of_scope? (realizable) 1/3"
    assert cell_text([{"outcome": "error"}, {"outcome": "incompatible"}]) == "error 1/2"


def test_outcome_chart_draws_every_outcome(tmp_path, monkeypatch):
    """The stacked chart once dropped ``out_of_scope?`` silently: every outcome with matches gets a bar."""
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    from arena.report import figures

    drawn = []
    real = matplotlib.axes.Axes.barh

    def barh(self, *args, **kwargs):
        drawn.append((kwargs.get("label"), kwargs.get("color")))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "barh", barh)
    counts = {"d1": {name: 1 for name in outcomes.NAMES}, "d2": {"out_of_scope?": 3}}
    path = figures.draw_outcomes(counts, tmp_path / "outcomes.png")
    assert path.exists()
    assert drawn == [(o.name, o.colour) for o in outcomes.OUTCOMES]
