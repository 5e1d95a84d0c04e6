"""``python -m arena`` without ``-m``: the command line's choices select what plays, in its own folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arena.game.selection import check_arguments, parse, rewrite, slug
from arena.game.validate import ConfigError
from tests.conftest import ROOT

FAST = ["logger=none", "budget=smoke", "referee=fast", "progress=false"]


def _arena(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "arena", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def _board(out: Path) -> list[tuple[str, str, str, int]]:
    cells = json.loads((out / "leaderboard.json").read_text())["cells"]
    return sorted((c["attacker"], c["defender"], c["setting"], c["seed"]) for c in cells)


def test_choices_become_the_grid_and_a_sweep_needs_multirun():
    args = ["attacker=dead_relu", "defender=none,softplus", "seed=1,2", "attacker.n=20", "budget=smoke"]
    out = rewrite(args)
    assert "tournament.attackers=[dead_relu]" in out and "tournament.defenders=[none,softplus]" in out
    assert "tournament.seeds=[1,2]" in out and "defender=none" in out and "seed=1" in out
    assert parse(args).arguments == {"attacker": ["attacker.n=20"]}
    assert slug(parse(args)) == "attacker=dead_relu,defender=none,softplus,seed=1,2,attacker.n=20"
    assert rewrite(["-m", "attacker=glob(*)"]) == ["-m", "attacker=glob(*)"]  # a multirun is Hydra's
    with pytest.raises(ConfigError, match=r"^attacker=glob\(\*\): a sweep .* needs -m"):
        rewrite(["attacker=glob(*)"])
    with pytest.raises(ConfigError, match="choose different attackers"):
        rewrite(["attacker=dead_relu", "tournament.attackers=[all_dead]"])
    assert "tournament.attackers=[dead_relu]" in rewrite(["attacker=dead_relu", "tournament.attackers=[dead_relu]"])
    with pytest.raises(ConfigError, match="seeds must be integers"):
        rewrite(["seed=one"])


def test_argument_overrides_need_one_entry_on_their_axis():
    options = {"attacker": ["all_dead", "dead_relu"]}
    check_arguments({"attackers": ["dead_relu"]}, {"attacker": "dead_relu"}, {"attacker": ["attacker.n=20"]}, options)
    with pytest.raises(ConfigError, match=r"^attacker.n=20: the grid plays 2 attackers"):
        check_arguments({"attackers": "all"}, {"attacker": "dead_relu"}, {"attacker": ["attacker.n=20"]}, options)


def test_one_match_without_multirun_plays_exactly_that_match(tmp_path):
    """``attacker=dead_relu defender=softplus`` is one match (worker processes included), n=20 honoured."""
    out = tmp_path / "d"
    proc = _arena("attacker=dead_relu", "defender=softplus", "attacker.n=20", "seed=3", f"out_dir={out}", *FAST,
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _board(out) == [("dead_relu", "softplus", "relu_1hidden", 3)]
    result = json.loads((out / "matches" / "dead_relu__softplus__relu_1hidden__s3" / "result.json").read_text())
    assert result["config"]["attacker"]["n"] == 20 and result["outcome"] == "held"


def test_unhonourable_choices_are_refused_before_any_match(tmp_path):
    for args, needle in ((["seed=-1"], "seed: must be a non-negative integer"),
                         (["attacker.n=20"], "attacker.n=20: the grid plays"),
                         (["attacker=glob(*)"], "needs -m")):
        proc = _arena(*args, f"out_dir={tmp_path / 'x'}", *FAST, cwd=tmp_path)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and needle in lines[0], proc.stderr[-2000:]
        assert not (tmp_path / "x" / "matches").exists()


def test_two_restricted_runs_with_default_settings_keep_their_own_leaderboards(tmp_path):
    first = _arena("attacker=dead_relu", "defender=none", *FAST, cwd=tmp_path)
    second = _arena("attacker=all_dead", "defender=none,softplus", *FAST, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, (first.stderr[-2000:], second.stderr[-2000:])
    outputs = tmp_path / "outputs"
    assert not (outputs / "default").exists()  # the default tournament's folder is left alone
    assert _board(outputs / "default__attacker=dead_relu,defender=none") == [("dead_relu", "none", "relu_1hidden", 0)]
    assert _board(outputs / "default__attacker=all_dead,defender=none,softplus") == [
        ("all_dead", "none", "relu_1hidden", 0), ("all_dead", "softplus", "relu_1hidden", 0)]


# The docs' numbers (docs/search.md): the S_{k-1}-symmetric spurious minimum, found from seed 0
DOCS_F = {"teacher_student_k7": 0.0232027, "teacher_student_k8": 0.0215080, "teacher_student_k10": 0.0187022}


@pytest.mark.parametrize("settings", [["teacher_student_k8"],
                                      pytest.param(["teacher_student_k7", "teacher_student_k10"],
                                                   marks=pytest.mark.slow)])
def test_teacher_student_search_breaks_none_through_the_tournament(tmp_path, settings):
    """The real tournament path (worker processes): the claim's population setting is the defended one."""
    out = tmp_path / "ts"
    proc = _arena("attacker=teacher_student_search", "defender=none", f"setting={','.join(settings)}",
                  "budget.restarts=32", "budget.steps=1500", f"out_dir={out}", *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for setting in settings:
        r = json.loads((out / "matches" / f"teacher_student_search__none__{setting}__s0" / "result.json").read_text())
        assert r["outcome"] == "broken", r.get("reason")
        assert r["verdict"]["verdict"] == "bad_local_min"
        assert r["verdict"]["loss"] == pytest.approx(DOCS_F[setting], abs=5e-7)


def test_a_folder_keeps_one_grid(tmp_path):
    """Another grid in the same out_dir is refused naming the folder; the leaderboard shows its own grid."""
    from arena.game import grid_record, leaderboard

    out = tmp_path / "g"
    first = _arena("attacker=dead_relu", "defender=none", f"out_dir={out}", *FAST, "isolation=none", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    second = _arena("attacker=all_dead", "defender=none", f"out_dir={out}", *FAST, cwd=tmp_path)
    lines = second.stderr.strip().splitlines()
    assert second.returncode == 2 and len(lines) == 1 and f"out_dir {out} holds another grid" in lines[0], second.stderr
    assert [p.name for p in (out / "matches").iterdir()] == ["dead_relu__none__relu_1hidden__s0"]
    # a stray match folder (copied in by hand) is not part of the grid's leaderboard
    stray = out / "matches" / "all_dead__none__relu_1hidden__s0"
    stray.mkdir()
    (stray / "result.json").write_text((out / "matches" / "dead_relu__none__relu_1hidden__s0" / "result.json")
                                       .read_text().replace('"attacker": "dead_relu"', '"attacker": "all_dead"'))
    assert [p.parent.name for p in grid_record.result_paths(out)] == ["dead_relu__none__relu_1hidden__s0"]
    assert len(leaderboard.build(out)["cells"]) == 1
    with pytest.raises(ConfigError, match="without all_dead__none"):
        grid_record.check_member(out, "all_dead__none__relu_1hidden__s0")


# What the docs state for the constructions against `none` (README's leaderboard, docs/catalogue.md's
# numbers, docs/search.md for smooth_plateau): outcome and the claim's loss
DOCUMENTED = {("all_dead", "relu_1hidden"): ("broken", None), ("dead_relu", "relu_1hidden"): ("broken", None),
              ("linear_region", "relu_1hidden"): ("broken", 8 / 9),
              ("logistic_dead", "relu_1d_logistic"): ("broken", 0.636514),
              ("concavity_trap", "softplus_1d_m2"): ("broken", 8 / 9),
              ("squared_loss_trap", "exp_1d"): ("held", 0.38807835237138),
              ("smooth_plateau", "tanh_1hidden"): ("broken", 1.0)}


@pytest.mark.slow
def test_every_construction_against_none_on_every_setting(tmp_path):
    """The real tournament path (worker processes): every setting each applies to, the documented outcomes."""
    attackers = sorted({a for a, _ in DOCUMENTED} | {"path_to_infinity"})
    out = tmp_path / "all"
    proc = _arena(f"attacker={','.join(attackers)}", "defender=none", "tournament.settings=all", f"out_dir={out}",
                  *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {(r["attacker"], r["setting"]): r for r in
               (json.loads(p.read_text()) for p in (out / "matches").glob("*/result.json"))}
    assert not [k for k, r in results.items() if r["outcome"] == "error"]
    for key, (outcome, loss) in DOCUMENTED.items():
        assert results[key]["outcome"] == outcome, (key, results[key].get("reason"))
        if loss is not None:
            assert results[key]["verdict"]["loss"] == pytest.approx(loss, abs=1e-6), key


def test_the_narrowed_config_is_what_cfg_job_prints(tmp_path):
    proc = _arena("experiment=talk", "defender=none,softplus", "--cfg", "job", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "out_dir: outputs/talk__defender=none,softplus" in proc.stdout
    assert "  defenders:\n  - none\n  - softplus\n" in proc.stdout
