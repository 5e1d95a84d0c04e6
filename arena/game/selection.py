"""What ``python -m arena`` (without ``-m``) plays: the command line narrows the ``tournament`` grid.

``attacker=``, ``defender=``, ``setting=`` and ``seed=`` name an axis of the grid (one value, or a
comma-separated sub-grid ``defender=none,softplus``); their argument overrides (``attacker.n=20``,
``setting.network.hidden=[8]``) change the one plugin or setting that axis then holds. So
``python -m arena attacker=dead_relu defender=softplus`` plays one match, and ``defender=softplus``
plays every attacker against softplus. :func:`rewrite` turns the choices into ``tournament.*``
overrides before Hydra composes (Hydra itself refuses a comma list outside a multirun);
:func:`check_arguments` refuses argument overrides of an axis that holds more than one entry.

A narrowed grid gets its own folder by default (:func:`own_out_dir`): ``outputs/default`` stays the
default tournament's, and a restricted run never merges into it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

from arena.game.validate import ConfigError

AXES = {"attacker": "attackers", "defender": "defenders", "setting": "settings", "seed": "seeds"}
MULTIRUN_FLAGS = ("-m", "--multirun")


@dataclass
class Selection:
    """The command line's grid choices: axis -> values, group -> argument overrides, the rest."""

    choices: dict[str, list[str]] = field(default_factory=dict)
    arguments: dict[str, list[str]] = field(default_factory=dict)
    tournament: list[str] = field(default_factory=list)  # explicit tournament.* overrides
    named: list[str] = field(default_factory=list)  # every selecting override, as typed

    def __bool__(self) -> bool:
        return bool(self.named)


def _split(arg: str) -> tuple[str, str, str]:
    key, eq, value = arg.partition("=")
    return key.lstrip("+~"), eq, value


def parse(args: Sequence[str]) -> Selection:
    """The selecting overrides among ``args`` (Hydra's ``key=value`` strings)."""
    sel = Selection()
    for arg in args:
        key, eq, value = _split(arg)
        if not eq and not arg.startswith("~"):
            continue
        group = key.split(".", 1)[0]
        if key in AXES:
            sel.choices[key] = [v.strip() for v in value.split(",") if v.strip()]
        elif group in ("attacker", "defender", "setting") and "." in key:
            sel.arguments.setdefault(group, []).append(arg)
        elif group == "tournament":
            sel.tournament.append(key)
        else:
            continue
        sel.named.append(arg)
    return sel


def _names(value: str) -> list[str]:
    """The names of a list override's value: ``[a, 'b']`` -> ``["a", "b"]``."""
    return [v.strip().strip("'\"") for v in value.strip().strip("[]").split(",") if v.strip()]


def _sweep_syntax(value: str) -> bool:
    return "(" in value or "$" in value or value.strip() in ("", "null")


def rewrite(args: Sequence[str]) -> list[str]:
    """``args`` with each axis choice also written as ``tournament.<axis>=[...]``; ConfigError if it
    cannot be honoured (a sweep function, an axis given twice)."""
    if any(a in MULTIRUN_FLAGS for a in args):
        return list(args)
    sel = parse(args)
    out: list[str] = []
    for arg in args:
        key, eq, value = _split(arg)
        if key not in AXES or not eq:
            out.append(arg)
            continue
        if _sweep_syntax(value):
            raise ConfigError(f"{arg}: a sweep ({value}) needs -m (a multirun); without it name the values, "
                              f"e.g. {key}=a,b")
        axis = f"tournament.{AXES[key]}"
        names = sel.choices[key]
        given = [_split(a)[2] for a in args if _split(a)[0] == axis]
        if given and any(_names(v) != names for v in given):
            raise ConfigError(f"{arg} and {axis}={given[-1]} choose different {AXES[key]}; give one of them")
        if key == "seed":
            bad = [n for n in names if not re.fullmatch(r"[+-]?\d+", n)]
            if bad:
                raise ConfigError(f"{arg}: seeds must be integers, got {', '.join(map(repr, bad))}")
        out.append(f"{arg.split('=', 1)[0]}={names[0]}")  # the composed node: the first choice
        out.append(f"{axis}=[{','.join(names)}]")
    return out


def check_arguments(tournament: Mapping[str, Any], composed: Mapping[str, Any], arguments: Mapping[str, list[str]],
                    options: Mapping[str, list[str]]) -> None:
    """Argument overrides apply to one plugin or setting: refuse them when their axis holds several.

    ``tournament``: the composed ``tournament`` node; ``composed``: group -> the composed node's name;
    ``options``: group -> every name ``all`` stands for.
    """
    for group, overrides in arguments.items():
        wanted = tournament.get(AXES[group])
        names = options[group] if wanted in (None, "all", "*") else [wanted] if isinstance(wanted, str) else list(wanted)
        if len(names) != 1:
            raise ConfigError(f"{overrides[0]}: the grid plays {len(names)} {AXES[group]}, and the override "
                              f"applies to one; name it ({group}=<name> {overrides[0]}) or use -m")
        if names[0] != composed[group]:
            raise ConfigError(f"{overrides[0]}: the grid's {group} is {names[0]!r}, not the composed "
                              f"{composed[group]!r}; add {group}={names[0]}")


def slug(sel: Selection) -> str:
    """A folder-name suffix naming the selection (characters a shell leaves alone)."""
    text = ",".join(a.lstrip("+~") for a in sel.named)
    return re.sub(r"[^A-Za-z0-9_.,=+-]", "", text.replace("/", "_"))


def needs_own_out_dir(args: Sequence[str]) -> bool:
    """Whether ``args`` narrow the grid (outside a multirun) and name no ``out_dir``."""
    if any(a in MULTIRUN_FLAGS for a in args) or any(_split(a)[0] == "out_dir" for a in args):
        return False
    return bool(parse(args))


def base_out_dir(args: Sequence[str], config_module: str) -> str | None:
    """The ``out_dir`` the config (and experiment) would use, composed without running anything."""
    plain_args = [a for a in args if ("=" in a or a.startswith("~")) and not a.startswith("-")
                  and not _split(a)[0].startswith("hydra.")]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=config_module, version_base="1.3"):
            return str(compose(config_name="config", overrides=plain_args).out_dir)
    except Exception:  # noqa: BLE001 - a bad override is Hydra's (or check_overrides') to report
        return None
    finally:
        GlobalHydra.instance().clear()
