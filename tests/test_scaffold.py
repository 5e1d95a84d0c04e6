"""``arena new``: the scaffolded packages pass their own generated tests, entry point included."""
from __future__ import annotations

import sys

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
    assert (trap / "my_trap" / "conf" / "attacker" / "my_trap.yaml").read_text().startswith("# python -m arena attacker=my_trap")
    assert "Run: ``python -m arena attacker=my_trap defender=none``" in (trap / "my_trap" / "plugin.py").read_text()


def test_scaffolded_packages_pass_their_generated_tests(tmp_path, monkeypatch):
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
    finally:
        for mod in [m for m in sys.modules if m.split(".")[0] in ("new_trap", "new_guard", "scaffold_test_new_trap",
                                                                   "scaffold_test_new_guard")]:
            del sys.modules[mod]
    assert "TestNewTrap.test_entry_point" in ran and "TestNewGuard.test_defend_and_guarantee" in ran
    assert len(ran) == 11
