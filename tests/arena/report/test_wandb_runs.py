"""wandb runs: a tournament played three times keeps one run per match and one leaderboard run, whose
numbers per defender (history steps and summary) are the leaderboard's, read back from the offline
folders with wandb's own reader; run ids and the deletion of the local folders a run replaces."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from arena.report import wandb_runs
from arena.report.wandb_log import OUTCOME_METRICS
from tests.arena.report.offline_runs import runs, summary
from tests.conftest import run_arena

GRID = ["referee=fast", "budget=smoke", "progress=false", "logger=wandb", "isolation=none",
        "tournament.attackers=[all_dead,dead_relu]", "tournament.defenders=[none,softplus]"]


def _expected(board: dict) -> dict[str, dict[str, int]]:
    """Per defender, from leaderboard.json: its rank, match count and the count of each outcome."""
    out = {}
    for rank, r in enumerate(board["ranking"], 1):
        counts = Counter(c["outcome"] for c in board["cells"] if c["defender"] == r["defender"])
        row = {"rank": rank, "matches": sum(counts.values()), **{m: counts[o] for o, m in OUTCOME_METRICS.items()}}
        assert (row["broken"], row["held"], row["out_of_scope"], row["error"]) == (
            r["broken"], r["held"], r["out_of_scope"], r["errors"])
        out[r["defender"]] = row
    return out


def test_three_runs_of_a_tournament_keep_one_leaderboard_run_with_its_numbers(tmp_path):
    out = tmp_path / "t"
    folders = []  # the run folders after each tournament run (their names carry the second they began)
    # first: the matches play; second: they are replayed (rerun=true); third: all skipped as finished
    for extra in ([], ["rerun=true"], []):
        proc = run_arena(f"out_dir={out}", *GRID, *extra, env_extra={"OMP_NUM_THREADS": "1"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        names = [p.name for p in (out / "wandb").glob("offline-run-*")]
        assert len(names) == 5, names  # four matches and the leaderboard, each time
        folders.append({n.split("-", 3)[3]: n for n in names})  # run id -> folder
    assert all(folders[1][i] != folders[0][i] for i in folders[0])  # the replay replaced every run
    assert {i: n for i, n in folders[2].items() if i.startswith("match-")} == {
        i: n for i, n in folders[1].items() if i.startswith("match-")}  # skipped matches keep their runs
    board = json.loads((out / "leaderboard.json").read_text())
    assert len(board["cells"]) == 4
    found = runs(out)  # every folder `wandb leet out/wandb` lists, by display name (unique)
    match_ids = sorted(p.name for p in (out / "matches").iterdir())
    assert sorted(found) == sorted([*match_ids, "default-leaderboard"])
    for mid in match_ids:  # the replayed matches' runs replaced the first ones
        run, header, _ = found[mid]
        assert header["job_type"] == "match" and header["run_id"] == wandb_runs.match_run_id(out, mid)
        result = json.loads((out / "matches" / mid / "result.json").read_text())
        assert summary(run)["summary"]["outcome"] == result["outcome"]

    run, header, records = found["default-leaderboard"]
    assert header["job_type"] == "leaderboard" and header["run_id"] == wandb_runs.leaderboard_run_id(out)
    expected = _expected(board)
    assert expected["none"]["broken"] == 2 and expected["softplus"]["held"] == 1  # the grid's known verdicts
    history = [r["history"]["item"] for r in records if r["type"] == "history"]
    steps = [h for h in history if "defender" in h]
    assert [h["defender"] for h in steps] == [r["defender"] for r in board["ranking"]]  # once each, in order
    for h in steps:
        assert {k[len("by_defender/"):]: v for k, v in h.items() if k.startswith("by_defender/")} == {
            k: v for k, v in expected[h["defender"]].items() if k != "rank"}
        assert h["rank"] == expected[h["defender"]]["rank"]
    info = summary(run)
    assert info["state"] == "finished"
    logged = {(k.split("/")[1], k.split("/")[2]): v for k, v in info["summary"].items() if k.startswith("defender/")}
    assert logged == {(d, k): v for d, row in expected.items() for k, v in row.items()}
    assert not any(k.startswith("by_defender/") for k in info["summary"])  # no defender's numbers pose as the board's


def test_run_ids_follow_the_folder_the_match_and_the_grid(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert wandb_runs.match_run_id(a, "m1") == wandb_runs.match_run_id(tmp_path / "x" / ".." / "a", "m1")
    assert len({wandb_runs.match_run_id(a, "m1"), wandb_runs.match_run_id(a, "m2"), wandb_runs.match_run_id(b, "m1"),
                wandb_runs.match_run_id(a, "m1", "match_report")}) == 4
    assert wandb_runs.leaderboard_run_id(a).endswith("-folder")  # no grid.json: the folder is the tournament
    a.mkdir()
    (a / "grid.json").write_text(json.dumps({"tournament": "t", "matches": ["m1", "m2"]}))
    first = wandb_runs.leaderboard_run_id(a)
    (a / "grid.json").write_text(json.dumps({"tournament": "t", "matches": ["m2", "m1"]}))
    assert wandb_runs.leaderboard_run_id(a) == first  # the grid's order does not matter
    (a / "grid.json").write_text(json.dumps({"tournament": "t", "matches": ["m1"]}))
    assert wandb_runs.leaderboard_run_id(a) != first
    assert wandb_runs.leaderboard_run_id(a).startswith(wandb_runs.leaderboard_prefix(a))
    assert not wandb_runs.leaderboard_run_id(a, "report").startswith(wandb_runs.leaderboard_prefix(a))


def test_remove_earlier_deletes_only_the_replaced_folders(tmp_path):
    root = tmp_path / "wandb"
    names = ["offline-run-20260101_000000-match-abc-1", "run-20260102_000000-match-abc-1",
             "offline-run-20260101_000000-match-abc-12", "offline-run-20260101_000000-leaderboard-abc-g1",
             "offline-run-20260102_000000-leaderboard-abc-g2", "offline-run-20260101_000000-leaderboard-xyz-g1",
             "offline-run-20260101_000000-7f3k2q9z"]
    for n in names:
        (root / n / "files").mkdir(parents=True)
    (root / "latest-run").symlink_to(root / names[0])
    gone = wandb_runs.remove_earlier(root, "match-abc-1")
    assert sorted(p.name for p in gone) == sorted(names[:2])
    gone = wandb_runs.remove_earlier(root, "leaderboard-abc-g3", same_prefix="leaderboard-abc-")
    assert sorted(p.name for p in gone) == sorted(names[3:5])
    assert sorted(p.name for p in root.iterdir() if not p.is_symlink()) == sorted([names[2], *names[5:]])
    assert wandb_runs.remove_earlier(tmp_path / "absent", "match-abc-1") == []


def test_folder_names_parse_to_their_run_id():
    assert wandb_runs.FOLDER.match("offline-run-20261204_183815-leaderboard-d5b7-bb95")["id"] == "leaderboard-d5b7-bb95"
    assert wandb_runs.FOLDER.match("run-20261204_183815-x")["id"] == "x"
    assert wandb_runs.FOLDER.match("latest-run") is None and wandb_runs.FOLDER.match("debug.log") is None
    assert Path(wandb_runs.wandb_root({"dir": "/w"}, "/o")) == Path("/w/wandb")
    assert Path(wandb_runs.wandb_root({"dir": None}, "/o")) == Path("/o/wandb")
