"""The tournament's terminal output: a rich table on a terminal, plain markdown elsewhere."""
from __future__ import annotations

import pytest

from arena.game import leaderboard

BOARD = {"attackers": ["dead_relu"], "defenders": ["none", "softplus"], "problems": ["x/result.json: unreadable"],
         "ranking": [{"defender": "softplus"}, {"defender": "none"}],
         "cells": [{"attacker": "dead_relu", "defender": "none", "outcome": "broken", "failed_assumptions": []},
                   {"attacker": "dead_relu", "defender": "softplus", "outcome": "held", "failed_assumptions": []}]}


def test_plain_output_is_a_markdown_table():
    text = leaderboard.render_terminal(BOARD, rich=False)
    lines = text.splitlines()
    assert lines[:4] == ["| defender \\ attacker | dead_relu |", "|---|---|", "| softplus | held |", "| none | broken |"]
    assert lines[-1] == "! x/result.json: unreadable"


def test_rich_output_colours_each_outcome():
    pytest.importorskip("rich")
    text = leaderboard.render_terminal(BOARD, rich=True)
    assert "┃" in text and "\x1b[1;31mbroken" in text and "\x1b[32mheld" in text
    assert text.index("softplus") < text.index("none")  # ranking order kept
