"""Plugin discovery through entry points, and their default configs in Hydra's ConfigStore.

Groups ``arena.attackers`` and ``arena.defenders``: each entry point names a plugin class whose
constructor arguments are its config. At start-up :func:`register_configs` stores, for every
plugin, the node ``{"_target_": "pkg.mod.Class", "name": <entry name>, **defaults}`` under the
Hydra group ``attacker`` or ``defender``, so ``attacker=<name>`` and ``attacker=glob(*)`` see
plugins installed from any distribution. Two plugins with one name is an error naming both.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from arena.plain import is_plain

GROUPS = {"attacker": "arena.attackers", "defender": "arena.defenders"}


class PluginError(Exception):
    """Discovery or construction of a plugin failed (message names the plugin and its package)."""


@dataclass(frozen=True)
class PluginEntry:
    kind: str  # "attacker" or "defender"
    name: str
    target: str  # "module:Class" as declared
    package: str  # the distribution that declared it

    @property
    def dotted(self) -> str:
        return self.target.replace(":", ".")

    def load(self) -> type:
        module, _, attr = self.target.partition(":")
        try:
            obj = __import__(module, fromlist=[attr or "_"])
            return getattr(obj, attr) if attr else obj
        except Exception as exc:  # noqa: BLE001 - reported with the plugin's name
            raise PluginError(f"{self.kind} {self.name!r} from package {self.package!r}: cannot load "
                              f"{self.target!r} ({exc.__class__.__name__}: {exc})") from exc

    def default_config(self) -> dict[str, Any]:
        """``{"_target_": ..., "name": ..., <constructor defaults>}``."""
        cls = self.load()
        node: dict[str, Any] = {"_target_": self.dotted}
        for p in inspect.signature(cls).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.default is not inspect.Parameter.empty and is_plain(p.default):
                node[p.name] = p.default
        node["name"] = self.name
        return node


def _package_of(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "unknown"


def discover(kind: str) -> dict[str, PluginEntry]:
    """All plugins of one kind ("attacker" or "defender") by name; duplicates raise PluginError."""
    if kind not in GROUPS:
        raise ValueError(f"unknown plugin kind {kind!r}; known: {sorted(GROUPS)}")
    found: dict[str, PluginEntry] = {}
    for ep in entry_points(group=GROUPS[kind]):
        entry = PluginEntry(kind, ep.name, ep.value, _package_of(ep))
        if ep.name in found and found[ep.name].target != entry.target:
            other = found[ep.name]
            raise PluginError(f"two {kind} plugins are named {ep.name!r}: {other.target} from package "
                              f"{other.package!r} and {entry.target} from package {entry.package!r}")
        found[ep.name] = entry
    return dict(sorted(found.items()))


def conf_yaml(kind: str, name: str, conf_dir: str | Path | None = "pkg://arena.conf") -> str | None:
    """The text of ``<conf_dir>/<kind>/<name>.yaml`` (a folder or ``pkg://package``), or None."""
    if conf_dir is None:
        return None
    text = str(conf_dir)
    if text.startswith("pkg://"):
        path = files(text[len("pkg://"):].replace("/", ".")).joinpath(kind, f"{name}.yaml")
    else:
        path = Path(text) / kind / f"{name}.yaml"
    return path.read_text() if path.is_file() else None


def base_settings() -> dict[str, Any]:
    """Every base setting of the ``setting`` config group (the YAML files under ``arena.conf``), by name
    (:class:`arena.landscape.setting.Setting` each)."""
    from arena.landscape.setting import Setting  # torch: not loaded before Hydra composes (start-up)

    folder = files("arena.conf").joinpath("setting")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = Setting.from_config(yaml.safe_load(entry.read_text()))
    return out


def register_configs(conf_dir: str | Path | None = "pkg://arena.conf") -> None:
    """Put every plugin's default config into Hydra's ConfigStore (groups attacker/ and defender/).

    Plugins with a YAML file in ``conf_dir/<kind>/`` (a folder or ``pkg://arena.conf``) are
    skipped: that file is their config, and a second node of the same name would make Hydra merge
    the two.
    """
    from hydra.core.config_store import ConfigStore  # hydra: discovery alone (arena list) goes without it

    cs = ConfigStore.instance()
    for kind in GROUPS:
        for name, entry in discover(kind).items():
            if conf_yaml(kind, name, conf_dir) is not None:
                continue
            cs.store(group=kind, name=name, node=entry.default_config(), provider=entry.package)


def instantiate_plugin(kind: str, cfg: Any) -> Any:
    """Build a plugin from its config node (``_target_`` + constructor arguments)."""
    from hydra.utils import instantiate  # hydra: discovery alone (arena list) goes without it
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(cfg, resolve=True) if not isinstance(cfg, dict) else dict(cfg)
    if not isinstance(node, dict) or "_target_" not in node:
        raise PluginError(f"{kind} config must be a mapping with a _target_, got {node!r}")
    name = node.pop("name", None)
    try:
        plugin = instantiate(node, _convert_="all")
    except Exception as exc:  # noqa: BLE001 - a bad config value gets a message naming the plugin
        cause = exc.__cause__ or exc
        raise PluginError(f"{kind} {name or node['_target_']!r}: bad config ({cause})") from exc
    if name is not None and getattr(plugin, "name", name) != name:
        raise PluginError(f"{kind} config name {name!r} does not match the plugin's name {plugin.name!r}")
    return plugin
