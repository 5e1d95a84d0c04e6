"""The shell commands of README.md and docs/ are executed: a documented command that fails fails CI.

Every command of a fenced ``bash``/``sh``/``shell``/``console`` block (:mod:`tests.doc_text`) is
classified here, and a test checks that none is left out, so a new command in the docs cannot
escape (docs/contributing.md):

* ``FAST``: run by default, each in a fresh temporary folder (the cwd, with ``examples/`` linked in;
  ``HOME`` there too), ``python -m arena`` with ``budget=smoke referee=fast logger=none
  progress=false isolation=none`` unless the command sets them. A value names a command that
  prepares the folder first (a small tournament for a command that reads one).
* ``SLOW``: run the same way under ``@pytest.mark.slow`` (minutes on 2 cores); the value says why.
* ``SKIP``: never run here, with the reason (a GPU, an install, a long sweep, a placeholder path).
  ``RULES`` skip whole families (``make`` targets, installs, GPUs, clusters) with one reason each.
* A command that is a plugin's "Run:" line is played by tests/test_run_lines.py.
"""
from __future__ import annotations

import glob
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.doc_text import doc_commands
from tests.test_run_lines import PLUGIN_LINES

TINY = "python -m arena tournament.attackers=[dead_relu,all_dead] tournament.defenders=[none,softplus] out_dir={}"

FAST: dict[str, str | None] = {
    "arena list": None,
    "arena info softplus": None,
    "arena info dead_relu": None,
    "arena new attacker my_trap": None,
    "arena verify examples/a1_dead_relu": None,
    "arena verify examples/a1_dead_relu --json": None,
    "python -m arena attacker=dead_relu defender=softplus": None,
    "python -m arena tournament.attackers=[dead_relu] tournament.defenders=[none,softplus] tournament.seeds=[0,1]": None,
    "arena necessity outputs/talk": TINY.format("outputs/talk"),
    "python .ci/api_page.py --check": None,
    "arena verify examples/*/claim.json": None,
    "python -m arena attacker=symmetric_family setting=teacher_student_k7 defender=none out_dir=outputs/sym7": None,
    "python -m arena experiment=safran_shamir_large \"sweep.k=[40]\" sweep.restarts=4 sweep.workers=1": None,
    "python -m arena attacker=symmetric_family setting=teacher_student_k20 defender=none "
    "'attacker.families=[s_5_x_s_k_minus_5,s_9_x_s_k_minus_9]'": None,
    "arena verify --check-certificate outputs/sym7/matches/symmetric_family__none__teacher_student_k7__s0":
        "python -m arena attacker=symmetric_family setting=teacher_student_k7 defender=none out_dir=outputs/sym7",
}

SLOW: dict[str, str] = {
    "arena verify examples/adversarial/*/claim.json": "the adversarial corpus, each judged by the default referee",
    "arena report outputs/default": "draws every verdict's pictures (after a 4-match tournament)",
    "arena report outputs/default --wandb": "draws and logs to wandb offline (after a 4-match tournament)",
    "python -m arena defender=none,softplus seed=0,1": "every attacker x 2 defenders x 2 seeds: 48 matches",
    "python -m arena data=breast_cancer 'tournament.attackers=[all_dead,random_restarts,dead_relu]' "
    "'tournament.defenders=[none,softplus]' out_dir=outputs/breast_cancer": "6 matches training on breast cancer",
    "python -m arena -m attacker=random_restarts defender=none data=iris,wine budget=smoke "
    "out_dir=outputs/real_small": "a 2-job multirun of training restarts",
    'python -m arena tournament.attackers=[teacher_student_search] '
    '"tournament.defenders=[none,overparam_plus1,overparam_plus2,overparam_x2]" '
    '"tournament.settings=[teacher_student_k8,teacher_student_k10]"': "8 teacher-student searches",
}

# what SLOW commands play first in their folder
PREPARE = {"arena report outputs/default": TINY.format("outputs/default"),
           "arena report outputs/default --wandb": TINY.format("outputs/default")}
# the exit code a command is documented to end with, where it is not 0
EXIT = {"arena verify examples/adversarial/*/claim.json": 2}  # files of the corpus that cannot be read: exit 2

_DEFAULT = "the whole default tournament (192 matches; its size is checked in tests/test_doc_counts.py)"
_TALK = "the talk tournament (845 matches; its size is checked in tests/test_doc_counts.py)"
SKIP: dict[str, str] = {
    "python -m arena": _DEFAULT,
    "python -m arena logger=none": _DEFAULT,
    "python -m arena workers=2 memory_limit_gb=4": _DEFAULT,
    "python -m arena report=true": _DEFAULT + ", drawing every verdict",
    "python -m arena experiment=talk": _TALK,
    "python -m arena -m attacker='glob(*)' defender='glob(*)' seed=0,1": "the default grid twice as a multirun",
    "python -m arena -m launcher=joblib attacker='glob(*)' defender='glob(*)'": "the default grid as a multirun",
    "python -m arena experiment=real_data": "the real-data sweep (491 CPU seconds)",
    "python -m arena experiment=real_data_full": "the full real-data sweep (about 16 CPU-hours, extrapolated in docs/data.md)",
    "python -m arena experiment=real_data_full 'basins.data=[iris,wine,breast_cancer]' 'basins.widths=[1,2,4,8,16]'":
        "part of the full real-data sweep (90 cells, 44 CPU minutes)",
    "python benchmarks/real_data_cells.py --measured outputs/real_data_full/basins.json":
        "a benchmark (11 cells of the full real-data sweep, ~4 CPU minutes)",
    "python -m arena data=file data.path=my.csv data.name=mine data.standardize=true "
    "'tournament.attackers=[random_restarts]' 'tournament.defenders=[none]' out_dir=outputs/mine":
        "needs the reader's file my.csv (tests/arena/data read such files)",
    "python -m arena experiment=safran_shamir": "the Safran-Shamir sweep (12 minutes on 2 cores)",
    "python -m arena experiment=safran_shamir_large": "the large-k Safran-Shamir sweep (CPU-hours)",
    "python -m arena experiment=safran_shamir_large \"sweep.restarts=[500,500,500,500,500,500,100,100,100]\"":
        "the large-k sweep as measured (about an hour on 2 cores)",
    "python -m arena experiment=safran_shamir 'sweep.students=[\"=\"]' sweep.prove=false":
        "the Safran-Shamir sweep with n = k (5 minutes on 2 cores)",
    "python -m arena experiment=safran_shamir sweep.restarts=100": "the Safran-Shamir sweep (2.5 minutes)",
    "python -m arena experiment=safran_shamir \"sweep.k=[6,7,8]\" 'sweep.students=[\"=\",\"+1\"]' sweep.workers=1":
        "a Safran-Shamir sweep of 3000 restarts",
    "python -m arena attacker=data_search defender=none": "a data search (minutes on 2 cores)",
    "python -m arena attacker=data_search attacker.rounds=6 attacker.x_steps=80 attacker.max_steps=null "
    "attacker.max_restarts=null": "a data search without step limits",
    "python -m arena attacker=smooth_plateau defender=softplus": "a witness search (minutes on 2 cores)",
    "python -m arena attacker=symmetric_family setting=teacher_student_k100 defender=none":
        "one to two minutes of the float referee at k = 100",
    "arena verify path/to/claim.json": "a placeholder path",
    "arena verify claim.json --json --seed 8142": "a placeholder claim and seed",
    "arena verify --check-certificate outputs/<name>/matches/<match>/": "a placeholder path",
    "arena verify --check-certificate .../claim.json": "a placeholder path",
    "arena verify --check-certificate .../verdict.json": "a placeholder path",
    "arena verify --check-certificate outputs/safran_shamir/hit_rates.json": "reads the Safran-Shamir sweep's output",
    "pytest my_trap": "the scaffold's own tests: tests/test_scaffold.py runs them",
    "python -m arena attacker=my_trap defender=none": "needs the scaffolded package installed (tests/test_scaffold.py)",
    "python benchmarks/referee.py": "a benchmark",
    "python benchmarks/restarts_vs_search.py --data breast_cancer wine --width 2 --seeds 0 1 2 3 4 --batch-size 64":
        "a benchmark (about 5 minutes on 2 cores)",
    "python benchmarks/restarts_vs_search.py --data breast_cancer wine --width 4 --seeds 0 1 2 3 4":
        "a benchmark (about 3 minutes on 2 cores)",
    "python .ci/api_page.py": "rewrites docs/api.md (the --check form runs)",
    "python benchmarks/symmetric_families.py --plot docs/symmetric_loss.png": "a benchmark that redraws a docs picture",
    "python benchmarks/symmetric_crosscheck.py --k 7 8 9 10 --restarts 50": "a benchmark (200 searches)",
}

RULES = [(re.compile(r"^make "), "a make target: sets up .venv, runs the test suite or the default tournament"),
         (re.compile(r"^pip install "), "installs a package"),
         (re.compile(r"device[= ]cuda|budget=gpu|benchmarks/gpu\.py"), "needs a GPU"),
         (re.compile(r"launcher=(slurm|ray)\b"), "needs a cluster and an optional extra")]

ARENA_DEFAULTS = {"logger": "none", "budget": "smoke", "referee": "fast", "progress": "false", "isolation": "none"}
DOCS = doc_commands()


def run_line(command: str) -> str | None:
    """The plugin "Run:" line that ``command`` is (the same arguments in any order), or None."""
    args = shlex.split(command)
    if args[:3] != ["python", "-m", "arena"]:
        return None
    return next((line for line in PLUGIN_LINES if sorted(shlex.split(line)) == sorted(args[3:])), None)


def rule(command: str) -> str | None:
    return next((why for pattern, why in RULES if pattern.search(command)), None)


def test_every_doc_command_is_classified():
    unclassified = [f"{c!r} ({', '.join(w)})" for c, w in DOCS.items()
                    if c not in FAST and c not in SLOW and c not in SKIP and not rule(c) and not run_line(c)]
    assert unclassified == [], "classify these in tests/test_doc_commands.py:\n" + "\n".join(unclassified)


def test_the_classification_names_only_doc_commands():
    stale = sorted(c for c in [*FAST, *SLOW, *SKIP] if c not in DOCS)
    assert stale == [], f"no longer in the docs: {stale}"
    assert not set(FAST) & set(SLOW) and not set(FAST) & set(SKIP) and not set(SLOW) & set(SKIP)
    assert set(PREPARE) <= set(SLOW) and set(EXIT) <= set(FAST) | set(SLOW)
    assert all(why.strip() for why in [*SLOW.values(), *SKIP.values()])


def test_the_extraction_joins_lines_and_drops_comments():
    from tests.doc_text import commands_of

    assert commands_of(["$ arena list", "dead_relu  attacker  ...", "$ arena info x \\", "  --json"], prompt=True) == \
        ["arena list", "arena info x --json"]
    lines = ["# a comment", "python -m arena a=1 \\", "    'b=[x,y]'   # two  spaces", "arena list", "",
             "python -m arena -m attacker='glob(*)'", "python -m arena 'k=\"#1\"'"]
    assert commands_of(lines) == ["python -m arena a=1 'b=[x,y]'", "arena list",
                                  "python -m arena -m attacker='glob(*)'", "python -m arena 'k=\"#1\"'"]


def _args(command: str, cwd: Path) -> list[str]:
    args = []
    for arg in shlex.split(command):  # the shell's glob expansion, for paths
        matched = sorted(glob.glob(arg, root_dir=cwd)) if "*" in arg and "/" in arg and "=" not in arg else []
        args += matched or [arg]
    return args


def execute(command: str, cwd: Path, monkeypatch) -> None:
    """Run one documented command in ``cwd`` as the shell would, through the real entry points."""
    from arena.__main__ import main as arena_main
    from arena.cli import main as cli_main

    args = _args(command, cwd)
    if args[0] == "python" and args[1].endswith(".py"):  # a script of the repository
        proc = subprocess.run([sys.executable, str(ROOT / args[1]), *args[2:]], cwd=cwd, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, f"{command!r} exited with {proc.returncode}: {proc.stderr[-2000:]}"
        return
    if args[0] == "arena":
        code = cli_main(args[1:])
        assert code == EXIT.get(command, 0), f"{command!r} exited with {code}"
        return
    assert args[:3] in (["python", "-m", "arena"], ["python3", "-m", "arena"]), f"cannot run {command!r} here"
    rest = args[3:]
    given = {a.lstrip("+").partition("=")[0] for a in rest}
    rest += [f"{k}={v}" for k, v in ARENA_DEFAULTS.items() if k not in given]
    monkeypatch.setattr(sys, "argv", ["arena", *rest])
    try:
        arena_main()
    except SystemExit as exc:
        assert exc.code in (0, None), f"{command!r} exited with {exc.code}"
    for path in cwd.glob("outputs*/**/matches/*/result.json"):
        result = json.loads(path.read_text())
        assert result["outcome"] != "error", f"{command!r}: {path.parent.name}: {result.get('reason')}"


def _folder(tmp_path: Path, monkeypatch) -> Path:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return cwd


@pytest.mark.parametrize("command", sorted(FAST))
def test_fast_doc_command_runs(command, tmp_path, monkeypatch):
    cwd = _folder(tmp_path, monkeypatch)
    if FAST[command]:
        execute(FAST[command], cwd, monkeypatch)
    execute(command, cwd, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(SLOW))
def test_slow_doc_command_runs(command, tmp_path, monkeypatch):
    cwd = _folder(tmp_path, monkeypatch)
    if command in PREPARE:
        execute(PREPARE[command], cwd, monkeypatch)
    execute(command, cwd, monkeypatch)
