"""Bad configs fail before any match runs, with one line naming the key (no traceback).

Three checks, in the order ``python -m arena`` meets them:

* :func:`check_overrides` — the command line's ``group=name`` choices exist (before Hydra composes,
  so ``experiment=tlak`` cannot fall through the defaults list's ``optional experiment`` and play
  the default tournament, and ``attacker=typo`` gets one line instead of Hydra's search-path dump);
* :func:`check_run` — the run-level keys (``seed``, ``device``, ``isolation``, ``workers``, ...);
* :func:`check_specs` — every match's budget, referee, setting and plugins build.
"""
from __future__ import annotations

import difflib
import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from arena.contract.budget import Budget
from arena.game.registry import PluginError, discover, instantiate_plugin

GROUPS = ("attacker", "defender", "setting", "data", "budget", "referee", "logger", "launcher", "experiment")


class ConfigError(ValueError):
    """A config value that cannot work; the message is one line that starts with the key."""


def did_you_mean(name: str, options: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest option, or ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def group_options(conf_dir: str | Path, group: str) -> list[str]:
    """Names ``group=<name>`` accepts: YAML files in ``conf_dir/group`` (a folder or
    ``pkg://package``) plus installed plugins."""
    text = str(conf_dir)
    if text.startswith("pkg://"):
        folder = files(text[len("pkg://"):].replace("/", ".")).joinpath(group)
        names = {Path(f.name).stem for f in folder.iterdir() if f.name.endswith(".yaml")} if folder.is_dir() else set()
    else:
        names = {p.stem for p in (Path(conf_dir) / group).glob("*.yaml")}
    if group in ("attacker", "defender"):
        names |= set(discover(group))
    return sorted(names)


def _choices(value: str) -> list[str] | None:
    """The plain names in an override value (``a`` or ``a,b``); None for sweep functions like glob(*)."""
    if "(" in value or "$" in value or value in ("", "null"):
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def check_overrides(args: Iterable[str], conf_dir: str | Path) -> None:
    """Raise ConfigError for ``group=name`` overrides naming a config that does not exist."""
    for arg in args:
        key, eq, value = arg.lstrip("+~").partition("=")
        if not eq or key not in GROUPS:
            continue
        names = _choices(value)
        if names is None:
            continue
        options = group_options(conf_dir, key)
        unknown = [n for n in names if n not in options]
        if unknown:
            raise ConfigError(f"{key}={value}: no {key} named {', '.join(map(repr, unknown))}"
                              f"{did_you_mean(unknown[0], options)} (available: {', '.join(options)})")


def _positive_int(cfg: Mapping[str, Any], key: str, *, auto: bool = False) -> None:
    value = cfg.get(key)
    if auto and value == "auto":
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key}: must be a positive integer{' or auto' if auto else ''}, got {value!r}")


def check_run(cfg: Mapping[str, Any]) -> None:
    """The keys of conf/config.yaml that are not a group."""
    seed = cfg.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed: must be a non-negative integer (it seeds torch and numpy), got {seed!r}")
    if cfg.get("isolation", "none") not in ("process", "none"):
        raise ConfigError(f"isolation: must be 'process' or 'none', got {cfg.get('isolation')!r}")
    _positive_int(cfg, "workers", auto=True)
    _positive_int(cfg, "gpu_slots_per_device")
    for key in ("memory_limit_gb", "referee_allowance_s"):
        value = cfg.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ConfigError(f"{key}: must be a positive number or null, got {value!r}")
    try:
        from arena.engine.population import resolve_device  # torch: not loaded before Hydra composes

        resolve_device(str(cfg.get("device", "auto")))
    except ValueError as exc:
        raise ConfigError(f"device: {exc}") from None


def check_specs(specs: Iterable[Any]) -> None:
    """Build what each match would build first (plugins, setting, budget, referee); ConfigError if one fails."""
    # torch and the referee: validate runs before Hydra composes, these load only when specs are checked
    from arena.data import load_data
    from arena.landscape.setting import Setting
    from arena.referee.judge import RefereeConfig

    seen: set[str] = set()

    def once(key: str, node: Any, build: Any) -> None:
        tag = key + json.dumps(node, sort_keys=True, default=str)
        if tag in seen:
            return
        seen.add(tag)
        try:
            build(node)
        except Exception as exc:  # noqa: BLE001 - any failure to build is a config error, reported in one line
            message = " ".join(str(exc).split())
            raise ConfigError(message if message.startswith(key.split()[0]) else f"{key}: {message}") from None

    for spec in specs:
        once("budget", spec.budget, Budget.from_config)
        if spec.data:  # a fixed data set loads (file, labels, sizes) before the first match
            once("data", spec.data, load_data)
        once("referee", spec.referee, lambda n: RefereeConfig.from_mapping({**n, "seed": 0}))
        once(f"setting {spec.setting_name}", spec.setting,
             lambda n: Setting.from_config({k: v for k, v in n.items() if k != "name"}))
        once(f"attacker {spec.attacker.get('name')}", spec.attacker, lambda n: instantiate_plugin("attacker", n))
        once(f"defender {spec.defender.get('name')}", spec.defender, lambda n: instantiate_plugin("defender", n))


def or_exit(check: Any, *args: Any) -> Any:
    """``check(*args)``, or print ``error: <one line>`` to stderr and exit with status 2."""
    try:
        return check(*args)
    except (ValueError, PluginError) as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        sys.exit(2)
