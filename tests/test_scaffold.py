"""``arena new``: the scaffolded packages pass their own generated tests, entry point included."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from arena.cli import main
from tests.conftest import ROOT


def fake_install(site: Path, dist: str, group: str, name: str, target: str) -> None:
    """A dist-info folder on ``site``: importlib.metadata then finds the entry point (no pip, no network)."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {target}\n")


def test_new_scaffolds_packages_that_pass_the_kit(tmp_path, capsys):
    assert main(["new", "attacker", "my_trap", "--dir", str(tmp_path)]) == 0
    assert main(["new", "defender", "my_guard", "--dir", str(tmp_path)]) == 0
    assert main(["new", "attacker", "my_trap", "--dir", str(tmp_path)]) == 2  # never overwrites
    assert main(["new", "attacker", "Not-A-Name", "--dir", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    trap = tmp_path / "my_trap"
    assert 'my_trap = "my_trap.plugin:MyTrap"' in (trap / "pyproject.toml").read_text()
    assert (trap / "my_trap" / "conf" / "attacker" / "my_trap.yaml").read_text().startswith("# python -m arena attacker=my_trap")
    assert "Run: ``python -m arena attacker=my_trap``" in (trap / "my_trap" / "plugin.py").read_text()

    site = tmp_path / "site"
    fake_install(site, "arena-my-trap", "arena.attackers", "my_trap", "my_trap.plugin:MyTrap")
    fake_install(site, "arena-my-guard", "arena.defenders", "my_guard", "my_guard.plugin:MyGuard")
    path = os.pathsep.join([str(site), str(trap), str(tmp_path / "my_guard"), str(ROOT)])
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           str(trap / "tests"), str(tmp_path / "my_guard" / "tests")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "skipped" not in proc.stdout  # the entry-point checks ran
    assert "11 passed" in proc.stdout
