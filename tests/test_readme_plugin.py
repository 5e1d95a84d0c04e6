"""The README's plugin example, extracted from its fenced blocks, registered and run through the kit."""
from __future__ import annotations

import re
import sys
import tomllib

from tests.conftest import ROOT
from tests.kit_helpers import fake_install, load_module, run_suites

SECTION = "## Writing and registering a plugin"


def readme_blocks() -> dict[str, str]:
    """``{relative path: code}`` for each fenced block of the plugin section whose first line names its file."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else None]
    blocks = {}
    for body in re.findall(r"```(?:python|toml)\n(.*?)```", section, flags=re.S):
        first = body.splitlines()[0]
        match = re.match(r"#\s+(\S+?\.(?:py|toml)):?(\s|$)", first)
        assert match, f"a block of the plugin section does not name its file: {first!r}"
        blocks[match.group(1)] = body
    return blocks


def test_readme_plugin_passes_the_kit(tmp_path, monkeypatch):
    blocks = readme_blocks()
    assert sorted(blocks) == ["my_attacks/my_attacks/trap.py", "my_attacks/pyproject.toml", "my_attacks/tests/test_trap.py"]
    for rel, code in blocks.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(code)
    (tmp_path / "my_attacks" / "my_attacks" / "__init__.py").write_text("")
    project = tomllib.loads(blocks["my_attacks/pyproject.toml"])["project"]
    assert project["entry-points"] == {"arena.attackers": {"constant_trap": "my_attacks.trap:ConstantTrap"}}
    fake_install(tmp_path / "site", project["name"], project["entry-points"])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(tmp_path / "my_attacks"))
    monkeypatch.delitem(sys.modules, "my_attacks", raising=False)
    try:
        ran = run_suites(load_module(tmp_path / "my_attacks" / "tests" / "test_trap.py", "readme_test_trap"))
    finally:
        for name in [m for m in sys.modules if m == "my_attacks" or m.startswith("my_attacks.") or m == "readme_test_trap"]:
            del sys.modules[name]
    assert "TestConstantTrap.test_entry_point" in ran and "TestConstantTrap.test_deterministic_under_seed" in ran
    assert len(ran) == 7
