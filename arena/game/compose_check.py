"""Command-line overrides Hydra cannot apply, as one line with a "did you mean" (before Hydra runs).

Hydra answers ``budget.restart=3`` with a multi-line hint (``To append to your config use
+budget.restart=3``) whose advice only moves the error to the budget's own check. Composing the
config once up front turns such a failure into ``error: budget.restart=3: budget has no key
'restart'; did you mean 'restarts'?``. Launchers that live in an optional extra are named with it.
"""
from __future__ import annotations

import importlib.util
import re
from typing import Any, Sequence

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

from arena.game.validate import ConfigError, did_you_mean

# launcher config -> (the Hydra plugin module it needs, the extra that installs it)
LAUNCHER_EXTRAS = {"ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
                   "slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
                   "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "slurm")}


# Hydra flags that name another config to compose
OTHER_CONFIG = ("-cn", "--config-name", "-cp", "--config-path", "-cd", "--config-dir", "--experimental-rerun")


def check_launchers(args: Sequence[str]) -> None:
    """Refuse ``launcher=ray``/``slurm``/``submitit_local`` when its extra is not installed."""
    for arg in args:
        key, eq, value = arg.lstrip("+").partition("=")
        if key != "launcher" or value not in LAUNCHER_EXTRAS:
            continue
        module, extra = LAUNCHER_EXTRAS[value]
        if importlib.util.find_spec("hydra_plugins") is None or importlib.util.find_spec(module) is None:
            raise ConfigError(f"launcher={value} needs the {extra} extra: pip install 'localmin-arena[{extra}]'")


def _node(cfg: Any, dotted: str) -> Any:
    for part in dotted.split(".") if dotted else []:
        cfg = cfg.get(part) if hasattr(cfg, "get") else None
    return cfg


def _explain(arg: str, message: str, args: Sequence[str], config_module: str) -> str:
    """One line for Hydra's complaint about ``arg``, with the nearest existing key."""
    key = arg.lstrip("+~").partition("=")[0]
    parent, _, leaf = key.rpartition(".")
    rest = [a for a in args if a != arg]
    try:
        node = _node(_compose(rest, config_module), parent)
    except Exception:  # noqa: BLE001 - then without a suggestion
        node = None
    if hasattr(node, "keys"):
        keys = [str(k) for k in node.keys()]
        where = parent or "the config"
        return f"{arg}: {where} has no key {leaf!r}{did_you_mean(leaf, keys)} (keys: {', '.join(keys)})"
    return f"{arg}: {message}"


def _compose(args: Sequence[str], config_module: str) -> Any:
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=config_module, version_base="1.3"):
            return compose(config_name="config", overrides=list(args))
    finally:
        GlobalHydra.instance().clear()


def check_composes(args: Sequence[str], config_module: str) -> None:
    """Compose the config with the command line's overrides (not a multirun's); ConfigError if Hydra cannot."""
    if any(a.split("=")[0] in OTHER_CONFIG for a in args) or any(a in ("-m", "--multirun") for a in args):
        return  # a multirun's sweeps, or another primary config: Hydra's to compose
    # overrides have an "=" (or delete a key with ~); the rest are flags and their values (--cfg job)
    plain = [a for a in args if ("=" in a or a.startswith("~")) and not a.startswith("-")
             and not a.lstrip("+~").startswith("hydra.")]
    try:
        _compose(plain, config_module)
    except Exception as exc:  # noqa: BLE001 - Hydra's composition errors, reported in one line
        message = " ".join(str(exc).split())
        quoted = re.findall(r"'([^']+)'", str(exc))
        for arg in plain:
            key = arg.lstrip("+~").partition("=")[0]
            if key in quoted or arg in quoted:
                raise ConfigError(_explain(arg, message, plain, config_module)) from None
        raise ConfigError(message.split(" Set the environment variable")[0]) from None
