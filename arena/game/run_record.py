"""What was run: ``<out_dir>/run.json``, written when a tournament starts, read by the report.

It holds the command line as typed (before the grid choices are rewritten into ``tournament.*``
overrides), the overrides Hydra received, the start time (UTC, ISO 8601), the versions every match
records too, the budget and the referee (its name and every tolerance, defaults filled in), and the
tournament's grid node (seeds, settings). A later run into the same folder replaces it: the file
describes the last command that played there; each match keeps its own ``started`` and versions.
"""
from __future__ import annotations

import dataclasses
import shlex
import sys
import time
from pathlib import Path
from typing import Any

NAME = "run.json"
_typed: list[str] | None = None  # sys.argv[1:] before arena.__main__ rewrites it


def remember_command_line(args: list[str]) -> None:
    """Keep the arguments as the user typed them (called before they are rewritten)."""
    global _typed
    _typed = list(args)


def command_line() -> str:
    """``python -m arena <args as typed>`` (or the program's name when it is not ``-m arena``)."""
    args = _typed if _typed is not None else sys.argv[1:]
    prog = sys.argv[0] if sys.argv else "arena"
    prog = "python -m arena" if prog.endswith("__main__.py") or not prog else Path(prog).name
    return " ".join([prog, *map(shlex.quote, args)])


def _hydra_node(cfg: Any) -> Any:
    """Hydra's own node: HydraConfig in a run; a multirun's start callback gets it inside cfg."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            return HydraConfig.get()
    except Exception:  # noqa: BLE001 - outside Hydra: the config's node, if any
        pass
    try:
        return cfg.get("hydra")
    except Exception:  # noqa: BLE001
        return None


def _overrides(hydra: Any) -> list[str]:
    try:
        return [str(o) for o in hydra.overrides.task]
    except Exception:  # noqa: BLE001 - outside Hydra there are none
        return []


def _choice(hydra: Any, group: str) -> str | None:
    try:
        return str(hydra.runtime.choices[group])
    except Exception:  # noqa: BLE001 - outside Hydra nothing was chosen by name
        return None


def describe(cfg: Any, mode: str = "run") -> dict[str, Any]:
    """The record of this run, from its composed config (a DictConfig)."""
    from arena.game.match import versions
    from arena.plain import plain
    from arena.referee.judge import RefereeConfig

    referee = plain(cfg.referee)
    try:
        resolved = dataclasses.asdict(RefereeConfig.from_mapping(referee))
    except (TypeError, ValueError):  # check_specs refuses such a run; the record keeps what was given
        resolved = referee
    t = cfg.get("tournament") or {}
    hydra = _hydra_node(cfg)
    return {
        "command": command_line(), "overrides": _overrides(hydra), "mode": mode,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": versions(),
        "budget": {"name": _choice(hydra, "budget"), **plain(cfg.budget)},
        "referee": {"name": _choice(hydra, "referee"), **resolved},
        # a multirun's grid is its sweep overrides; the tournament node describes only a run's
        **({"tournament": {k: plain(t.get(k)) for k in ("name", "attackers", "defenders", "settings", "seeds")}}
           if mode == "run" else {}),
        "data": plain((cfg.get("data") or {}).get("name")) if cfg.get("data") else None,
        "device": plain(cfg.get("device")), "isolation": plain(cfg.get("isolation")),
    }


def write(out_dir: str | Path, cfg: Any, mode: str = "run") -> Path:
    from arena.contract.atomic import write_json

    return write_json(Path(out_dir) / NAME, describe(cfg, mode))


def read(out_dir: str | Path) -> dict[str, Any] | None:
    """The folder's record, or None when it has none (older folders) or it cannot be read."""
    import json

    try:
        data = json.loads((Path(out_dir) / NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
