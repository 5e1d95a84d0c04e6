"""Evidence as tables, the outcome palette and the run description, without a tournament."""
from __future__ import annotations

import json
import re

import pytest

from arena.report import palette
from arena.report.tables import checks_html, value_html


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_nested_evidence_becomes_tables_with_every_value():
    ev = {"loss": {"name": "quadratic_hinge"}, "grid": [-30.0, 30.0, 6001], "min_d1": -62.0,
          "zero_from": 1.0099999999999993, "probes": [{"radius": 0.1, "min_delta": -1.5e-3},
                                                       {"radius": 0.01, "descent": False}],
          "values": list(range(200)), "note": "<b>not markup</b>", "empty": {}}
    html = value_html(ev)
    assert html.startswith('<table class="evidence">') and html.count("<table") == 3  # ev, loss, probes
    text = _text(html)
    assert "quadratic_hinge" in text and "[-30, 30, 6001]" in text and "1.01" in text
    assert "[" + ", ".join(map(str, range(200))) + "]" in text  # nothing shortened
    # a list of mappings: one column per key, an empty cell where a row lacks one
    assert "<th>radius</th><th>min_<wbr>delta</th><th>descent</th>" in html
    assert "<td>0.1</td><td>-0.0015</td><td></td>" in html and "<td>false</td>" in html
    assert "&lt;b&gt;not markup&lt;/b&gt;" in text and "<b>" not in html
    assert "(empty)" in text
    assert "{" not in text  # no raw JSON anywhere


def test_assumption_checks_table_says_holds_fails_or_undecided():
    checks = [{"name": "inputs_distinct", "holds": True, "proved": True, "evidence": {"n": 12, "n_distinct": 12}},
              {"name": "separable", "holds": False, "proved": True, "evidence": {"farkas": [0.5, 0.25]}},
              {"name": "realizable", "holds": None, "proved": False, "evidence": {}}]
    html = checks_html(checks)
    assert html.startswith('<table id="assumption-checks">') and "<th>proved</th>" in html
    states = re.findall(r'data-holds="([^"]+)"', html)
    assert states == ["holds", "FAILS", "undecided"]
    assert "[0.5, 0.25]" in html and "n_<wbr>distinct" in html


def test_palette_keeps_unknown_outcomes_after_the_known_ones():
    assert palette.ordered(["held", "zz_new", "out_of_scope?", "broken"]) == ["broken", "out_of_scope?", "held", "zz_new"]
    assert set(palette.PAGE) == set(palette.ORDER) == set(palette.CHART) == set(palette.MEANING)
    assert "out_of_scope?" in palette.ORDER


def test_outcome_chart_counts_every_match_including_out_of_scope_unproven():
    pytest.importorskip("matplotlib")
    from arena.report.figures import outcome_bars

    counts = {"softplus": {"held": 3, "out_of_scope?": 2}, "none": {"broken": 1, "incompatible": 4, "zz_new": 1}}
    bars = outcome_bars(counts)
    assert [o for o, _, _ in bars] == ["broken", "out_of_scope?", "held", "incompatible", "zz_new"]
    totals = [sum(vals[i] for _, _, vals in bars) for i in range(2)]
    assert totals == [5, 6]  # every match of each defender is in its bar
    assert dict((o, c) for o, c, _ in bars)["zz_new"] == palette.UNKNOWN_CHART


def test_run_record_command_keeps_what_was_typed(monkeypatch):
    from arena.game import run_record

    monkeypatch.setattr("sys.argv", ["/x/arena/__main__.py", "out_dir='outputs/a__b'"])
    monkeypatch.setattr(run_record, "_typed", None)
    run_record.remember_command_line(["attacker=dead_relu", "tournament.seeds=[0,1]", "name=a b"])
    assert run_record.command_line() == "python -m arena attacker=dead_relu 'tournament.seeds=[0,1]' 'name=a b'"


def test_run_info_reads_run_json_and_the_matches_records(tmp_path):
    from arena.report import run_info

    (tmp_path / "run.json").write_text(json.dumps({
        "command": "python -m arena budget=smoke", "overrides": ["budget=smoke"], "started": "2026-01-02T03:04:05Z",
        "versions": {"arena": "0.1.0"}, "budget": {"name": "smoke", "seconds": 60},
        "referee": {"name": "fast", "restarts": 16, "eig_tol": 1e-7}}))
    results = {"m1": {"versions": {"arena": "0.1.0", "torch": "2.13.0"}, "started": 0.0, "timings": {"total": 90.0},
                      "config": {"budget": {"seconds": 60}, "referee": {"restarts": 16}}},
               "m2": {"versions": {"arena": "0.0.9", "torch": "2.13.0"}, "started": 30.0, "timings": {"total": 5.0},
                      "config": {"budget": {"seconds": 60}, "referee": {"restarts": 16}}}}
    board = {"cells": [{"seed": 0, "setting": "relu_1hidden"}, {"seed": 3, "setting": "relu_1hidden"}],
             "attackers": ["a"], "defenders": ["d", "e"]}
    rows = dict(run_info.rows(tmp_path, board, results))
    assert "python -m arena budget=<wbr>smoke" in rows["command"]
    assert rows["started"] == "2026-01-02 03:04:05 UTC"
    assert rows["matches played"] == "1970-01-01 00:00:00 UTC to 1970-01-01 00:01:30 UTC"
    assert "0.1.0" in rows["versions"] and "0.0.9" in rows["versions"] and "(1 match)" in rows["versions"]
    assert rows["budget"].startswith("<b>smoke</b>: seconds = 60")
    assert rows["referee"].startswith("<b>fast</b>: restarts = 16") and "eig_<wbr>tol" in rows["referee"]
    assert rows["seeds"] == "0,<wbr> 3" and rows["grid"] == "2 defenders × 1 attackers, 2 matches"


def test_run_info_without_run_json_falls_back_to_hydras_record(tmp_path):
    from arena.report import run_info

    hydra = tmp_path / "hydra" / "run" / ".hydra"
    hydra.mkdir(parents=True)
    (hydra / "overrides.yaml").write_text("- budget=smoke\n- tournament.seeds=[0,1]\n")
    results = {"m": {"versions": {"torch": "2.13.0"}, "config": {"budget": {"seconds": 60}, "referee": {}}}}
    board = {"cells": [{"seed": 1, "setting": "s"}], "attackers": ["a"], "defenders": ["d"]}
    rows = dict(run_info.rows(tmp_path, board, results))
    assert rows["command"].startswith("not recorded")
    assert rows["Hydra overrides"] == "<code>budget=<wbr>smoke</code> <code>tournament.seeds=<wbr>[0,<wbr>1]</code>"
    assert rows["budget"] == "seconds = 60" and rows["referee"] == "the defaults" and "started" not in rows
