"""wandb's own offline reader over a tournament's run folders: ``wandb leet inspect`` (the installed
wandb's reader of the ``.wandb`` transaction log), as the tests read them back."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


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
