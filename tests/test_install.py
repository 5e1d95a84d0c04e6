"""The wheel installs anywhere: built here, installed into a fresh venv, run from an empty folder.

The venv reuses the dependencies already installed (a .pth line pointing at this interpreter's
site-packages; .pth files found there are not executed, so the editable install of the checkout
cannot shadow the wheel), and nothing is downloaded.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="venv layout differs on Windows")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", PYTHONUNBUFFERED="1", PIP_NO_INDEX="1")
    return env


def _build_wheel(out: Path) -> tuple[Path, str]:
    work = out / "src"
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        dst = work / rel
        if (ROOT / rel).is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes((ROOT / rel).read_bytes())
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out / "dist"),
                           str(work)], capture_output=True, text=True, env=_env(), cwd=out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return next((out / "dist").glob("localmin_arena-*.whl")), proc.stdout + proc.stderr


def _make_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "reuse_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_every_conf_group_is_a_listed_package():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    groups = sorted(p.name for p in (ROOT / "conf").iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert groups, "conf/ has no groups"
    assert [g for g in groups if f"arena.conf.{g}" not in packages] == []


def test_wheel_installs_and_runs_from_an_empty_folder(tmp_path):
    wheel, log = _build_wheel(tmp_path / "build")
    warnings = [line for line in log.splitlines() if "warning" in line.lower()]
    assert warnings == [], "\n".join(warnings)
    python = _make_venv(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, text=True, env=_env())
    empty = tmp_path / "empty"
    empty.mkdir()

    def run(*args: str) -> str:
        proc = subprocess.run([str(python), *args], cwd=empty, capture_output=True, text=True, env=_env(), timeout=600)
        assert proc.returncode == 0, f"{args}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        return proc.stdout

    where = run("-c", "import arena, arena.conf, arena.attackers; print(arena.__file__)").strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where
    arena_cmd = str(python.parent / "arena")
    listing = run(arena_cmd, "list")
    assert "dead_relu" in listing and "wide_generic_l2" in listing
    verdict = run(arena_cmd, "verify", str(ROOT / "examples" / "a1_dead_relu" / "claim.json"), "--set", "restarts=8")
    assert "bad_local_min" in verdict
    talk = run("-m", "arena", "experiment=talk", "--cfg", "job")
    assert "name: talk" in talk
    run("-m", "arena", "tournament.attackers=[dead_relu]", "tournament.defenders=[none]", "budget=smoke",
        "referee=fast", "logger=none", "progress=false", "out_dir=out")
    board = (empty / "out" / "leaderboard.md").read_text()
    assert "broken" in board
