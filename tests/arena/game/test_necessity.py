"""The necessity matrix from result files: only-this-assumption counterexamples vs shared ones."""
from __future__ import annotations

import json

from arena.game import necessity
from arena.cli import main


def _result(folder, defender, attacker, outcome, failed, promise="no_bad_local_min"):
    d = folder / "matches" / f"{attacker}__{defender}__s__s0"
    d.mkdir(parents=True)
    guarantee = {"promise": promise, "paper": "p", "assumptions": [{"name": "a"}, {"name": "b"}]}
    (d / "result.json").write_text(json.dumps({
        "attacker": attacker, "defender": defender, "setting": "s", "seed": 0, "outcome": outcome,
        "failed_assumptions": failed, "guarantee": guarantee}))


def test_only_single_failures_isolate_an_assumption(tmp_path, capsys):
    _result(tmp_path, "d", "x", "out_of_scope", ["a"])
    _result(tmp_path, "d", "y", "out_of_scope", ["a", "b"])
    _result(tmp_path, "d", "z", "held", [])
    _result(tmp_path, "d", "w", "out_of_scope", ["promise_covers_paths_to_infinity"])
    rows = {r["assumption"]: r for r in necessity.build(tmp_path)}
    assert set(rows) == {"a", "b", "promise_covers_paths_to_infinity"}
    assert [c["attacker"] for c in rows["a"]["counterexamples"]] == ["x"]
    assert [c["attacker"] for c in rows["a"]["with_others"]] == ["y"]
    assert rows["b"]["counterexamples"] == [] and [c["attacker"] for c in rows["b"]["with_others"]] == ["y"]
    assert [c["attacker"] for c in rows["promise_covers_paths_to_infinity"]["counterexamples"]] == ["w"]
    md = necessity.render_markdown(list(rows.values()))
    assert "| d | no_bad_local_min | b | none yet | y @ s |" in md
    assert main(["necessity", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["defender"] == "d"
