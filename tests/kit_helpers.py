"""Helpers for tests that treat a plugin package the way its author would, without pip or a network."""
from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType


def fake_install(site: Path, dist: str, entry_points: dict[str, dict[str, str]]) -> None:
    """A dist-info folder in ``site``: importlib.metadata then finds the entry points once ``site`` is on sys.path.

    ``entry_points``: group -> {name: "module:Class"}.
    """
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    text = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in entry_points.items())
    (info / "entry_points.txt").write_text(text)


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_suites(module: ModuleType) -> list[str]:
    """Run every test method of every ``Test*`` class in ``module``; returns the names of the tests run."""
    ran = []
    for cls_name, cls in sorted(vars(module).items()):
        if not (cls_name.startswith("Test") and inspect.isclass(cls)):
            continue
        suite = cls()
        for name in sorted(dir(suite)):
            if name.startswith("test_"):
                getattr(suite, name)()
                ran.append(f"{cls_name}.{name}")
    return ran
