"""arena's layers import one way: the graph of its subpackages is acyclic, function-local imports
included, and the game (arena.game) imports nothing above it (report, kit, CLI, entry point, plugins)."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.test_imports import find_cycle, module_files

# The plugin contract's modules are nodes of their own: its leaves (what an attacker may spend,
# atomic file writes, knob checks, outcomes) are used by the layers below the protocols, and must
# stay leaves (test below); the protocols sit above the assumptions, claims and landscape.
CONTRACT = ("arena.contract.budget", "arena.contract.atomic", "arena.contract.knobs", "arena.contract.outcomes")
LEAF_MAY_IMPORT = ("arena.clock", "arena.plain", *CONTRACT)
# What the game must never import: the layers above it, and the plugins (reached through entry points).
ABOVE_GAME = ("arena.report", "arena.testing", "arena.cli", "arena.hooks", "arena.__main__", "arena.attackers",
              "arena.defenders")


def every_import(path: Path, package: str, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(arena module, line) for every import in the file, at module level or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:  # `import arena.x.y.z`: the module it names
                name = name.rpartition(".")[0]
            if name.startswith("arena."):
                found.append((name, node.lineno))
    return found


def layer(module: str) -> str:
    """``arena.game.match`` -> ``arena.game``; a contract module is its own node."""
    if module.startswith("arena.contract."):
        return module
    return ".".join(module.split(".")[:2])


def module_edges() -> dict[str, list[tuple[str, str]]]:
    """module -> [(imported arena module, "file:line")], every import counted."""
    modules = module_files()
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges[name] = [(target, f"{path.name}:{line}") for target, line in every_import(path, package, modules)
                       if target != name]
    return edges


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, targets in module_edges().items():
        graph.setdefault(layer(name), set()).update(layer(t) for t, _ in targets if layer(t) != layer(name))
    return graph


def test_the_graph_sees_function_local_imports():
    # arena.game.leaderboard imports arena.search inside a function (torch loads only when drawn)
    assert any(t.startswith("arena.search") for t, _ in module_edges()["arena.game.leaderboard"])
    assert "arena.referee" in package_graph()["arena.search"]


def test_subpackages_form_no_cycle():
    cycle = find_cycle(package_graph())
    assert cycle is None, "cycle between arena's subpackages: " + " -> ".join(cycle or [])


def test_modules_form_no_cycle_even_through_function_local_imports():
    graph = {name: {t for t, _ in targets if not name.startswith(t + ".")} for name, targets in module_edges().items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle (function-local imports included): " + " -> ".join(cycle or [])


def test_the_contract_modules_are_leaves():
    edges = module_edges()
    for name in CONTRACT:
        game = [f"{t} ({where})" for t, where in edges.get(name, []) if layer(t) not in LEAF_MAY_IMPORT]
        assert game == [], f"{name} must import nothing of the arena but {', '.join(LEAF_MAY_IMPORT)}: {game}"


def test_the_game_imports_nothing_above_it():
    upward = [f"{name} imports {t} ({where})" for name, targets in module_edges().items()
              if name.startswith("arena.game") for t, where in targets if layer(t) in ABOVE_GAME]
    assert upward == [], "arena.game depends on a layer above it:\n" + "\n".join(upward)
