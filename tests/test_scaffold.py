"""``arena new``: the scaffolded packages pass their own generated tests, entry point included, build
without a warning, and show their config in ``arena info``; a name in use is refused."""
from __future__ import annotations

import subprocess
import sys

import pytest

from arena.cli import main
from tests.kit_helpers import fake_install, load_module, run_suites


def test_new_refuses_to_overwrite_and_bad_names(tmp_path, capsys):
    assert main(["new", "attacker", "my_trap", "--dir", str(tmp_path)]) == 0
    assert main(["new", "attacker", "my_trap", "--dir", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["new", "attacker", "Not-A-Name", "--dir", str(tmp_path)]) == 2
    assert "lower-case Python identifier" in capsys.readouterr().err
    trap = tmp_path / "my_trap"
    assert 'my_trap = "my_trap.plugin:MyTrap"' in (trap / "pyproject.toml").read_text()
    assert "Run: ``python -m arena attacker=my_trap defender=none``" in (trap / "my_trap" / "plugin.py").read_text()
    # the constructor defaults are the config the arena uses: no YAML that it would not read
    assert sorted(p.relative_to(trap).as_posix() for p in trap.rglob("*") if p.is_file()) == [
        "my_trap/__init__.py", "my_trap/plugin.py", "pyproject.toml", "tests/test_my_trap.py"]


@pytest.mark.parametrize("kind,name", [("attacker", "dead_relu"), ("defender", "softplus"), ("attacker", "softplus")])
def test_new_refuses_a_name_in_use_in_one_line(kind, name, tmp_path, capsys):
    assert main(["new", kind, name, "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{name}' is taken by the " in err and "localmin-arena" in err, err
    assert not (tmp_path / name).exists()


def test_scaffolded_package_builds_without_warnings(tmp_path):
    pytest.importorskip("setuptools", minversion="77")
    assert main(["new", "attacker", "quiet_one", "--dir", str(tmp_path)]) == 0  # a defender differs in the entry-point group only
    code = ("import sys, warnings; warnings.simplefilter('always'); from setuptools import build_meta; "
            "print(build_meta.build_wheel(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "wheel")], cwd=tmp_path / "quiet_one",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # setuptools' warnings are Python warnings (BuildBackendWarning, SetuptoolsDeprecationWarning) in a "!!" box
    assert "Warning" not in proc.stderr and "!!" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("quiet_one-0.1.0-py3-none-any.whl")


def test_scaffolded_packages_pass_their_generated_tests(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    ran = []
    for kind, name, cls in (("attacker", "new_trap", "NewTrap"), ("defender", "new_guard", "NewGuard")):
        assert main(["new", kind, name, "--dir", str(tmp_path)]) == 0
        fake_install(site, f"arena-{name}", {f"arena.{kind}s": {name: f"{name}.plugin:{cls}"}})
        monkeypatch.syspath_prepend(str(tmp_path / name))
    monkeypatch.syspath_prepend(str(site))
    try:
        for name in ("new_trap", "new_guard"):
            module = load_module(tmp_path / name / "tests" / f"test_{name}.py", f"scaffold_test_{name}")
            assert module.INSTALLED, "the generated test does not see the entry point"
            ran += run_suites(module)
        capsys.readouterr()
        assert main(["info", "new_trap"]) == 0  # the config the arena uses: the constructor's defaults
        info = capsys.readouterr().out
        assert "_target_: new_trap.plugin.NewTrap\n  n: 8\n  dead_bias: -10.0\n  name: new_trap" in info, info
    finally:
        for mod in [m for m in sys.modules if m.split(".")[0] in ("new_trap", "new_guard", "scaffold_test_new_trap",
                                                                   "scaffold_test_new_guard")]:
            del sys.modules[mod]
    assert "TestNewTrap.test_entry_point" in ran and "TestNewGuard.test_defend_and_guarantee" in ran
    assert len(ran) == 11
