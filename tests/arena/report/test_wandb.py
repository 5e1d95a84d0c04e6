"""wandb: the pictures as media and the claim folder as an artifact of each match run, the report and
the outcomes per defender in the leaderboard run, all read back from the offline run folders."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.arena.report.conftest import match
from tests.arena.report.offline_runs import runs as _runs


def _md5_b64(path: Path) -> str:
    return base64.b64encode(hashlib.md5(path.read_bytes()).digest()).decode()


@pytest.fixture(scope="module")
def tiny_runs(tiny):
    return _runs(tiny)


def test_match_runs_carry_pictures_and_the_claim_folder(tiny, tiny_runs):
    runs = tiny_runs
    assert len(runs) == 5  # four matches and the leaderboard
    mid = match(tiny, "dead_relu", "none").name
    run, header, records = runs[mid]
    assert header["job_type"] == "match" and header["run_group"] == "default"
    images = {p.name.split("_")[0]: p for p in (run / "files" / "media" / "images" / "fig").glob("*.png")}
    assert sorted(images) == ["decision", "probes", "segment", "slice", "spectrum"]
    for name, logged in images.items():
        assert logged.read_bytes() == (tiny / "matches" / mid / f"fig_{name}.png").read_bytes()
    (art,) = [r["artifact"] for r in records if r["type"] == "artifact"]
    assert art["type"] == "claim" and art["name"] == f"claim-{mid}"
    files = {c["path"]: c for c in art["manifest"]["contents"]}
    assert sorted(files) == ["claim.json", "claim.safetensors", "verdict.json"]
    for name, entry in files.items():
        assert entry["digest"] == _md5_b64(tiny / "matches" / mid / name)
    # a path claim gets its own pictures; an incompatible match has neither pictures nor claim
    run, _, _ = runs[match(tiny, "path_to_infinity", "exp_neuron").name]
    assert sorted(p.name.split("_")[0] for p in (run / "files/media/images/fig").glob("*.png")) == ["decision", "path"]
    run, _, records = runs[match(tiny, "path_to_infinity", "none").name]
    assert not (run / "files/media/images").exists() and not [r for r in records if r["type"] == "artifact"]


def test_leaderboard_run_logs_the_report_and_outcomes_per_defender(tiny_runs):
    run, header, _ = tiny_runs["default-leaderboard"]
    assert header["job_type"] == "leaderboard"
    (page,) = (run / "files" / "media" / "html").glob("report_*.html")
    text = page.read_text()
    assert "Local-Min Arena report" in text and 'id="leaderboard"' in text
    assert 'src="data:image/png;base64,' in text  # the chart travels inside the page
    (table,) = (run / "files" / "media" / "table").glob("outcomes_*.table.json")
    t = json.loads(table.read_text())
    rows = {r[0]: dict(zip(t["columns"][1:], r[1:])) for r in t["data"]}
    assert rows["none"]["broken"] == 1 and rows["none"]["incompatible"] == 1
    assert rows["exp_neuron"]["held"] == 1 and rows["exp_neuron"]["out_of_scope"] == 1
    assert list((run / "files" / "media" / "images").glob("outcomes_chart_*.png"))


@pytest.mark.slow
def test_report_command_logs_its_runs_in_the_group_once(tiny, tmp_path):
    from arena.cli import main

    out = tmp_path / "default"
    shutil.copytree(tiny, out, ignore=shutil.ignore_patterns("wandb"))
    assert main(["report", str(out), "--wandb"]) == 0
    first = sorted(p.name for p in (out / "wandb").glob("offline-run-*"))
    assert main(["report", str(out), "--wandb"]) == 0  # again: the same runs, rewritten
    runs = _runs(out)
    assert len(runs) == len(first) == 5  # four matches and the report
    assert {h["job_type"] for _, h, _ in runs.values()} == {"match_report", "report"}
    assert {h["run_group"] for _, h, _ in runs.values()} == {"default"}
    run, _, records = runs[match(out, "dead_relu", "none").name]
    assert len(list((run / "files/media/images/fig").glob("*.png"))) == 5
    assert [r["artifact"]["type"] for r in records if r["type"] == "artifact"] == ["claim"]
    assert list((runs["default-report"][0] / "files/media/html").glob("report_*.html"))
