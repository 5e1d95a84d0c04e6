"""One tiny tournament per test session for the report tests: 2 attackers x 2 defenders, smoke budget,
drawn while it plays (``report=true``) and logged to offline wandb; and wandb's own offline reader
(``wandb leet inspect``) over its run folders."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_arena

ATTACKERS = ("dead_relu", "path_to_infinity")
DEFENDERS = ("none", "exp_neuron")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")
    out = tmp_path_factory.mktemp("report") / "tiny"
    proc = run_arena(f"out_dir={out}", "logger=wandb", "referee=fast", "budget=smoke", "progress=false",
                     "report=true", f"tournament.attackers=[{','.join(ATTACKERS)}]",
                     f"tournament.defenders=[{','.join(DEFENDERS)}]", env_extra={"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def match(out, attacker: str, defender: str):
    return out / "matches" / f"{attacker}__{defender}__relu_1hidden__s0"


def records(run: Path) -> list[dict]:
    """The records of an offline run folder's transaction log, as ``wandb leet inspect --json`` reads them."""
    wandb = shutil.which("wandb", path=str(Path(sys.executable).parent))
    out = subprocess.run([wandb, "leet", "inspect", "--json", str(run)], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def summary(run: Path) -> dict:
    """``wandb leet inspect --summary --json``: the run's state, config and final summary."""
    wandb = shutil.which("wandb", path=str(Path(sys.executable).parent))
    out = subprocess.run([wandb, "leet", "inspect", "--summary", "--json", str(run)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def runs(out: Path) -> dict[str, tuple[Path, dict, list[dict]]]:
    """display name -> (folder, run header, records) of every run folder ``wandb leet`` lists under out/wandb."""
    found = {}
    for run in sorted((out / "wandb").glob("offline-run-*")):
        recs = records(run)
        header = next(r["run"] for r in recs if r["type"] == "run")
        assert header["display_name"] not in found, f"two runs named {header['display_name']}"
        found[header["display_name"]] = (run, header, recs)
    return found
