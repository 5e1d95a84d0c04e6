"""`make wheelhouse`: what goes into the folder for an air-gapped GPU node, and the offline install."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _wheelhouse():
    spec = importlib.util.spec_from_file_location("wheelhouse", ROOT / ".ci" / "wheelhouse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_plan_ships_the_arena_closure_without_torch():
    pins = _wheelhouse().plan((), ["numpy", "scipy"])
    for needed in ("hydra-core", "omegaconf", "antlr4-python3-runtime", "wandb", "python-flint",
                   "pytorch-lightning", "safetensors", "jsonschema"):
        assert needed in pins, needed
    for left_out in ("torch", "numpy", "scipy", "localmin-arena", "sympy", "filelock"):
        assert left_out not in pins, left_out
    assert all("+" not in v for v in pins.values())  # local version tags never reach the index


def test_extras_of_shared_requirements_are_followed():
    # torch needs plain fsspec; pytorch-lightning needs fsspec[http], whose aiohttp torch never pulls
    pins = _wheelhouse().plan((), [])
    assert "aiohttp" in pins and "fsspec" not in pins


@pytest.mark.slow
def test_offline_install_from_the_wheelhouse(tmp_path):
    """Build the wheelhouse, then install into a fresh venv that has only torch, with no index."""
    house, venv = tmp_path / "house", tmp_path / "node"
    subprocess.run([sys.executable, str(ROOT / ".ci" / "wheelhouse.py"), "--out", str(house)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", f"torch=={__import__('torch').__version__.split('+')[0]}"],
                   check=True)
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}  # no find-links or index from the machine's pip.conf
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(house),
                    "-r", str(house / "requirements.txt")], check=True, env=env)
    out = subprocess.run([py, "-m", "arena.cli", "verify", str(ROOT / "examples" / "a1_dead_relu")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert "bad_local_min" in out.stdout, out.stdout + out.stderr
