"""Every "Run:" line plays the match it names.

Each plugin's docstring names the command that runs it (``Run: ``python -m arena ...````) and its
config's first comment repeats it; the other configs (settings, budgets, referees, loggers) name
theirs in their first comment too. Each such command is run through the real entry point
(``arena.__main__.main``, in this process, ``isolation=none``) with a smoke budget and a temporary
out_dir, and must play exactly the one match it names. Tournament commands (``-m``, ``experiment=``,
the bare default tournament) are the tournaments' tests' business.
"""
from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest

from arena.game.selection import parse
from tests.conftest import ROOT

PLUGIN_RUN = re.compile(r"Run: ``python -m arena ([^`]*)``")
CONFIG_RUN = re.compile(r"^# python -m arena(.*?)(\s{2,}\(.*)?$")


def _plugin_lines() -> dict[str, str]:
    lines = {}
    for folder in ("attackers", "defenders"):
        for path in sorted((ROOT / folder).glob("*.py")):
            for cmd in PLUGIN_RUN.findall(path.read_text()):
                lines.setdefault(cmd.strip(), f"{folder}/{path.name}")
    for group in ("attacker", "defender"):
        for path in sorted((ROOT / "conf" / group).glob("*.yaml")):
            m = CONFIG_RUN.match(path.read_text().splitlines()[0])
            lines.setdefault(m.group(1).strip(), f"conf/{group}/{path.name}")
    return lines


def _config_lines() -> dict[str, str]:
    lines = {}
    for path in sorted((ROOT / "conf").glob("*/*.yaml")):
        if path.parent.name in ("attacker", "defender", "experiment", "launcher"):
            continue
        m = CONFIG_RUN.match(path.read_text().splitlines()[0])
        assert m, f"{path}: the first comment must be the command that runs it"
        lines.setdefault(m.group(1).strip(), f"conf/{path.parent.name}/{path.name}")
    return lines


PLUGIN_LINES = _plugin_lines()
CONFIG_LINES = {k: v for k, v in _config_lines().items() if k not in PLUGIN_LINES}


def _play(command: str, tmp_path: Path, monkeypatch) -> list[dict]:
    from arena.__main__ import main

    args = shlex.split(command)
    given = {a.partition("=")[0] for a in args}
    extra = {"logger": "none", "budget": "smoke", "referee": "fast", "progress": "false", "isolation": "none",
             "out_dir": str(tmp_path / "out")}
    args += [f"{k}={v}" for k, v in extra.items() if k not in given]
    for arg in args:  # a line that reads the user's own file (data=file) gets a small one under that name
        if arg.startswith("data.path="):
            monkeypatch.chdir(tmp_path)
            rows = np.random.default_rng(0).normal(size=(40, 3))
            lines = [",".join(f"{v:.6f}" for v in r) + f",{int(r[0] + r[1] > 0)}" for r in rows]
            Path(arg.partition("=")[2]).write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(sys, "argv", ["arena", *args])
    main()
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("matches/*/result.json"))]


def _check(command: str, results: list[dict]) -> None:
    sel = parse(shlex.split(command))
    assert len(sel.choices.get("attacker", [])) == 1 and len(sel.choices.get("defender", [])) == 1, \
        f"{command!r} must name one attacker and one defender (one match)"
    assert len(results) == 1, f"{command!r} played {len(results)} matches"
    r = results[0]
    assert r["attacker"] == sel.choices["attacker"][0] and r["defender"] == sel.choices["defender"][0]
    assert r["setting"] == sel.choices.get("setting", ["relu_1hidden"])[0]
    assert r["outcome"] not in ("error", "incompatible"), f"{command!r}: {r['outcome']}: {r.get('reason')}"


# run by default (constructions, seconds each); the searches' lines take minutes on 2 cores: slow
FAST = {"attacker=dead_relu defender=none", "attacker=dead_relu defender=softplus",
        "attacker=smooth_plateau defender=none setting=tanh_1hidden",
        "attacker=teacher_student_search defender=none setting=teacher_student_k8"}


@pytest.mark.parametrize("command", [c if c in FAST else pytest.param(c, marks=pytest.mark.slow)
                                     for c in sorted(PLUGIN_LINES)], ids=lambda c: PLUGIN_LINES[c])
def test_plugin_run_line_plays_its_match(command, tmp_path, monkeypatch):
    _check(command, _play(command, tmp_path, monkeypatch))


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(CONFIG_LINES), ids=lambda c: CONFIG_LINES[c])
def test_config_run_line_plays_its_match(command, tmp_path, monkeypatch):
    _check(command, _play(command, tmp_path, monkeypatch))
