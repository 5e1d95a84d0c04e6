"""Plugins import only the contract and the libraries below it, never another plugin or the game.

Every ``attackers/*.py`` and ``defenders/*.py`` is parsed (imports at module level and inside
functions alike); an import of arena outside :data:`ALLOWED` fails, with file and line.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

ALLOWED = ("arena.contract", "arena.landscape", "arena.claims", "arena.search", "arena.assumptions")
# Exceptions, each with its reason (module prefix -> why a plugin may import it):
JUSTIFIED = {
    # the batched population trainer (and its Lightning wrapper, and the teacher-student descent) is
    # the search primitive attackers that train restarts call; it sits below the game and holds no
    # match state, and arena.search already builds on it
    "arena.engine": "training engine",
    # the Dataset handed to fixed-data attackers (``attack(..., data=dataset)``): a type of the contract
    "arena.data": "fixed data sets",
}
THIRD_PARTY_OK = ("numpy", "torch", "scipy")


def plugin_files() -> list[Path]:
    return sorted([*(ROOT / "attackers").glob("*.py"), *(ROOT / "defenders").glob("*.py")])


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import anywhere in the file; relative imports as ``.name``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.lineno, "." * node.level + (node.module or "")))
    return out


def forbidden(module: str) -> bool:
    """Whether a plugin may not import ``module``."""
    if module.startswith("."):
        return True  # a relative import reaches a sibling plugin
    top = module.split(".")[0]
    if top in ("attackers", "defenders"):
        return True
    if top != "arena":
        return False  # the standard library, numpy, torch, scipy: not the arena's business
    ok = ALLOWED + tuple(JUSTIFIED)
    return module == "arena" or not any(module == p or module.startswith(p + ".") for p in ok)


def test_the_rule_itself():
    assert forbidden("arena.attackers.dead_relu") and forbidden("arena.defenders.exp_neuron")
    assert forbidden("arena.game.match") and forbidden("arena.referee.judge") and forbidden(".dead_relu")
    assert forbidden("arena") and forbidden("arena.protocols")  # the alias is for third-party plugins
    assert not forbidden("arena.contract") and not forbidden("arena.landscape.setting")
    assert not forbidden("arena.search.dead_units") and not forbidden("numpy")
    assert forbidden("arena.contractual")


def test_scan_sees_function_local_imports(tmp_path):
    f = tmp_path / "p.py"
    f.write_text("import numpy\n\ndef f():\n    from arena.game import match\n")
    assert imported(f) == [(1, "numpy"), (4, "arena.game")]


def test_plugins_import_only_the_contract():
    files = plugin_files()
    assert len(files) > 20
    bad = [f"{p.relative_to(ROOT)}:{line}: {m}" for p in files for line, m in imported(p) if forbidden(m)]
    assert bad == [], "plugins may import only " + ", ".join(ALLOWED) + ":\n" + "\n".join(bad)
