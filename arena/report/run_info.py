"""What was run, for the top of the report: command, date, versions, budget, referee, seeds.

``run.json`` (:mod:`arena.game.run_record`, written when the tournament starts) gives the command as
typed, the start time, the budget's and referee's names and the referee's every tolerance. What the
matches themselves record (``result.json``: versions, budget, referee settings, seed, start time) is
read always, so a folder without ``run.json`` still says what its matches ran with, and a folder
resumed with other versions shows both. Hydra's own record of the overrides
(``hydra/run/.hydra/overrides.yaml``) stands in for the command when ``run.json`` is missing.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from arena.game import run_record
from arena.report.tables import breakable, esc, scalar, value_html


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _distinct(values: list[Any]) -> list[tuple[Any, int]]:
    """Distinct JSON values with how many matches had each, most common first."""
    counts = Counter(json.dumps(v, sort_keys=True, default=str) for v in values)
    return [(json.loads(k), n) for k, n in counts.most_common()]


def _hydra_overrides(out_dir: Path) -> list[str] | None:
    path = out_dir / "hydra" / "run" / ".hydra" / "overrides.yaml"
    try:
        import yaml

        data = yaml.safe_load(path.read_text())
    except Exception:  # noqa: BLE001 - no such record, or not readable: nothing to show
        return None
    return [str(x) for x in data] if isinstance(data, list) else None


def _pairs(mapping: dict[str, Any], skip: tuple[str, ...] = ()) -> str:
    return ", ".join(f"{breakable(k)} = {breakable(scalar(v))}" for k, v in mapping.items() if k not in skip)


def _per_match(values: list[Any], show) -> str:
    """One value, or each distinct value with the number of matches that recorded it."""
    distinct = _distinct(values)
    if len(distinct) == 1:
        return show(distinct[0][0])
    return "<br>".join(f'{show(v)} <span class="small">({n} match{"es" if n != 1 else ""})</span>' for v, n in distinct)


def rows(out_dir: str | Path, board: dict[str, Any], results: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, HTML) rows describing the run of ``out_dir``."""
    out_dir = Path(out_dir)
    rec = run_record.read(out_dir) or {}
    res = [r for r in results.values() if r]
    out: list[tuple[str, str]] = []
    if rec.get("command"):
        out.append(("command", f'<code id="run-command">{breakable(rec["command"])}</code>'))
    else:
        out.append(("command", "not recorded (this folder has no run.json: it predates it, or a match was "
                    "run on its own)"))
    overrides = rec.get("overrides") if rec else _hydra_overrides(out_dir)
    if overrides:
        out.append(("Hydra overrides", " ".join(f"<code>{breakable(o)}</code>" for o in overrides)))
    if rec.get("started"):
        out.append(("started", esc(rec["started"].replace("T", " ").replace("Z", " UTC"))))
    started = [r["started"] for r in res if isinstance(r.get("started"), (int, float))]
    if started:
        ends = [r["started"] + (r.get("timings") or {}).get("total", 0.0) for r in res
                if isinstance(r.get("started"), (int, float))]
        out.append(("matches played", f"{esc(_when(min(started)))} to {esc(_when(max(ends)))}"))
    versions = [r["versions"] for r in res if r.get("versions")] or ([rec["versions"]] if rec.get("versions") else [])
    if versions:
        out.append(("versions", _per_match(versions, _pairs)))
    budgets = [(r.get("config") or {}).get("budget") for r in res if (r.get("config") or {}).get("budget") is not None]
    name = (rec.get("budget") or {}).get("name")
    if budgets or rec.get("budget"):
        shown = _per_match(budgets, _pairs) if budgets else _pairs(rec["budget"], ("name",))
        out.append(("budget", (f"<b>{esc(name)}</b>: " if name else "") + shown))
    out.append(("referee", _referee(rec, res)))
    cells = board["cells"]
    for label, key in (("seeds", "seed"), ("settings", "setting")):
        values = sorted({c[key] for c in cells}, key=str)
        out.append((label, breakable(", ".join(map(str, values))) if values else "none"))
    data = sorted({c["data"] for c in cells if c.get("data")})
    out.append(("data", breakable(", ".join(data)) if data else "chosen by each attacker (synthetic)"))
    out.append(("grid", f"{len(board['defenders'])} defenders × {len(board['attackers'])} attackers, "
                f"{len(cells)} matches"))
    if rec.get("device"):
        out.append(("device", esc(rec["device"])))
    return out


def _referee(rec: dict[str, Any], res: list[dict[str, Any]]) -> str:
    """The referee's name and the settings the matches ran with; every tolerance (from run.json) folded."""
    ref = rec.get("referee") or {}
    given = [(r.get("config") or {}).get("referee") for r in res if (r.get("config") or {}).get("referee") is not None]
    text = f"<b>{esc(ref['name'])}</b>" if ref.get("name") else ""
    if given:
        changed = _per_match(given, _pairs)
        text += (": " if text else "") + (changed or "the defaults")
    if len(ref) > 1:
        text += ('<details><summary>every tolerance</summary>'
                 + value_html({k: v for k, v in ref.items() if k != "name"}) + "</details>")
    return text or "not recorded"


def section(out_dir: str | Path, board: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    """The "What was run" table of the index page."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows(out_dir, board, results))
    return f'<table id="run-info"><tbody>{body}</tbody></table>'
