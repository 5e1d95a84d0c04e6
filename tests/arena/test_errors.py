"""What a user gets wrong gets one line naming it and a non-zero exit status (no traceback, no hint page)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest
import torch

from tests.conftest import ROOT, pip_install_target, run_arena

EXAMPLES = ROOT / "examples"


def _one_line(proc: subprocess.CompletedProcess, *needles: str, status: int = 2) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == status, proc.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert all(n in lines[0] for n in needles), lines[0]
    return lines[0]


def test_a_key_typo_is_one_line_with_the_nearest_key(tmp_path):
    proc = run_arena("budget.restart=3", f"out_dir={tmp_path}", "logger=none")
    _one_line(proc, "budget.restart=3", "did you mean 'restarts'?")
    proc = run_arena("attacker=dead_relu", "defender=none", "attacker.nn=3", f"out_dir={tmp_path}", "logger=none")
    _one_line(proc, "attacker.nn=3", "did you mean 'n'?")
    assert not (tmp_path / "matches").exists()


def test_an_unknown_name_gets_a_did_you_mean(tmp_path):
    _one_line(run_arena("setting=tanh_1hiden", f"out_dir={tmp_path}"), "did you mean 'tanh_1hidden'?")
    _one_line(run_arena("info", "softplu"), "arena info: no plugin named 'softplu'; did you mean 'softplus'?")


@pytest.mark.parametrize("launcher,extra", [("slurm", "slurm"), ("submitit_local", "slurm"), ("ray", "ray")])
def test_a_launcher_without_its_extra_names_the_extra(tmp_path, launcher, extra):
    module = "hydra_plugins.hydra_ray_launcher" if launcher == "ray" else "hydra_plugins.hydra_submitit_launcher"
    if importlib.util.find_spec("hydra_plugins") and importlib.util.find_spec(module):
        pytest.skip(f"the {extra} extra is installed here")
    proc = run_arena("-m", f"launcher={launcher}", "attacker=dead_relu", f"out_dir={tmp_path}")
    _one_line(proc, f"launcher={launcher}", f"pip install 'localmin-arena[{extra}]'")


def test_two_plugins_with_one_name_at_python_m_arena(tmp_path):
    site = tmp_path / "clash"
    pip_install_target(ROOT / "tests" / "fixtures" / "arena_ext_clash", site)
    proc = run_arena(f"out_dir={tmp_path / 'o'}", env_extra={"PYTHONPATH": str(site)})
    _one_line(proc, "'dead_relu'", "localmin-arena", "arena-ext-clash")


def test_a_closed_pipe_ends_quietly():
    """``arena info softplus | head``: the reader is gone before the first write."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "arena", "info", "softplus"], cwd=ROOT, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert proc.returncode == 1 and proc.stderr == ""


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_verify_on_an_absent_gpu_blames_the_machine_not_the_claim():
    proc = run_arena("verify", str(EXAMPLES / "a1_dead_relu"), "--device", "cuda")
    _one_line(proc, "--device cuda", "CUDA is not available")
    assert proc.stdout == ""


def test_verify_a_folder_of_claim_folders_judges_each(tmp_path):
    for name in ("a1_dead_relu", "a1_global_min"):
        shutil.copytree(EXAMPLES / name, tmp_path / "claims" / name)
    proc = run_arena("verify", str(tmp_path / "claims"), "--set", "restarts=0", "--seed", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    judged = [line for line in proc.stdout.splitlines() if line.startswith("== ")]
    assert judged == [f"== {tmp_path / 'claims' / n / 'claim.json'}" for n in ("a1_dead_relu", "a1_global_min")]
