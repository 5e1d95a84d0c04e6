"""What ``arena list`` and ``arena info NAME`` print about the installed plugins."""
from __future__ import annotations

import inspect
import sys
from typing import Any

import yaml

from arena.game.registry import GROUPS, PluginEntry, base_settings, conf_yaml, discover, instantiate_plugin
from arena.plain import plain

DEFAULT_SETTING = "relu_1hidden"  # the setting a defender's guarantee is shown for


def first_line(obj: Any) -> str:
    """The first line of an object's docstring ('' without one)."""
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def list_lines() -> list[str]:
    """One line per plugin, attackers first: name, kind, first line of the plugin file's docstring."""
    lines = []
    for kind in GROUPS:
        for name, entry in discover(kind).items():
            cls = entry.load()
            lines.append(f"{name:24s} {kind:9s} {first_line(sys.modules[cls.__module__]) or first_line(cls)}")
    return lines


def find(name: str) -> list[PluginEntry]:
    """The plugins called ``name`` (an attacker and a defender may share one)."""
    return [entries[name] for kind in GROUPS if name in (entries := discover(kind))]


def all_names() -> list[str]:
    return sorted({name for kind in GROUPS for name in discover(kind)})


def config_text(entry: PluginEntry) -> str:
    """The shipped YAML config, or the default config the ConfigStore gets for an installed plugin."""
    text = conf_yaml(entry.kind, entry.name)
    if text is not None:
        return text.rstrip()
    node = plain(entry.default_config())
    return "# (default config from the constructor)\n" + yaml.safe_dump(node, sort_keys=False, allow_unicode=True).rstrip()


def info_text(entry: PluginEntry) -> str:
    """Kind, target, package, config, docstrings, paper and (defenders) the guarantee with each assumption."""
    cls = entry.load()
    module = sys.modules[cls.__module__]
    parts = [f"{entry.name} ({entry.kind}) = {entry.target}  [package {entry.package}]", "",
             "config:", _indent(config_text(entry)), "", "docstring:", _indent(inspect.getdoc(module) or "(none)")]
    if inspect.getdoc(cls) and inspect.getdoc(cls) != inspect.getdoc(module):
        parts += ["", f"{cls.__name__}:", _indent(inspect.getdoc(cls) or "")]
    paper = getattr(module, "PAPER", "") or getattr(cls, "paper", "")
    if entry.kind == "defender":
        parts += ["", *_guarantee_lines(instantiate_plugin("defender", entry.default_config()))]
    elif paper:
        parts += ["", f"paper: {paper}"]
    return "\n".join(parts)


def _guarantee_lines(defender: Any) -> list[str]:
    settings = base_settings()
    for name in [DEFAULT_SETTING, *settings]:
        try:
            g = defender.guarantee(settings[name])
        except ValueError:
            continue
        lines = [f"guarantee (on setting {name}): promise {g.promise}", f"paper: {g.paper or '(none)'}"]
        lines += [f"  - {a.label}: {a.description}" for a in g.assumptions] or ["  (no assumptions)"]
        if g.notes:
            lines += [f"notes: {g.notes}"]
        return lines
    return ["guarantee: the defender applies to none of the shipped settings"]


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.splitlines())
