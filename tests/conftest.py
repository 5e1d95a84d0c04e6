"""Shared fixtures: offline wandb everywhere, and the arena run as a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _offline_wandb(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb-default"))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)


def run_arena(*args: str, env_extra: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python -m arena ARGS`` from the repository root; output captured as text."""
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", PYTHONUNBUFFERED="1")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "arena", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def pip_install_target(src: Path, target: Path) -> None:
    """Install a distribution from source into ``target`` (no index, no network).

    The source is copied next to ``target`` first: building writes build/ and *.egg-info into it.
    """
    import shutil

    work = target.parent / f"{src.name}-src"
    shutil.copytree(src, work, dirs_exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(work)], check=True, capture_output=True, text=True)
