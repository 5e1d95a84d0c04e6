"""Evidence as HTML tables: any JSON value (a verdict's or an assumption check's evidence) laid out.

A mapping becomes a two-column table (key, value), a list of mappings a table with one column per
key, a list of plain values one comma-separated line; nesting nests tables. Nothing is shortened:
every number and string of the evidence is on the page (floats with 9 significant digits).
"""
from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 5  # deeper than this, the rest is shown as JSON text


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def breakable(text: Any) -> str:
    """Escaped text that may wrap after ``_``, ``/``, ``,`` and ``=`` (long identifiers, paths)."""
    out = esc(text)
    for ch in ("_", "/", ",", "="):
        out = out.replace(ch, ch + "<wbr>")
    return out


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.9g}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def value_html(value: Any, depth: int = 0) -> str:
    """One value as HTML (escaped): a scalar as text, containers as tables."""
    if _is_scalar(value):
        return breakable(scalar(value))
    if depth >= MAX_DEPTH:
        return f"<code>{esc(json.dumps(value, default=str))}</code>"
    if isinstance(value, Mapping):
        if not value:
            return '<span class="small">(empty)</span>'
        rows = "".join(f"<tr><th>{breakable(k)}</th><td>{value_html(v, depth + 1)}</td></tr>" for k, v in value.items())
        return f'<table class="evidence">{rows}</table>'
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        return '<span class="small">(none)</span>'
    if all(_is_scalar(v) for v in items):
        return "[" + ", ".join(breakable(scalar(v)) for v in items) + "]"
    if all(isinstance(v, Mapping) for v in items):
        keys = list(dict.fromkeys(k for v in items for k in v))
        head = "".join(f"<th>{breakable(k)}</th>" for k in keys)
        body = "".join("<tr>" + "".join(f"<td>{value_html(v[k], depth + 1) if k in v else ''}</td>" for k in keys)
                       + "</tr>" for v in items)
        return f'<table class="evidence"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    rows = "".join(f"<tr><td>{value_html(v, depth + 1)}</td></tr>" for v in items)
    return f'<table class="evidence">{rows}</table>'


def checks_html(checks: list[Mapping[str, Any]]) -> str:
    """The assumption checks of a guarantee: name, holds, proved (when recorded) and the evidence."""
    proved = any("proved" in c for c in checks)
    head = ["assumption", "", *(["proved"] if proved else []), "evidence"]
    rows = []
    for c in checks:
        state = "holds" if c.get("holds") else ("FAILS" if c.get("holds") is False else "undecided")
        cells = [breakable(c.get("name", "")), f'<span data-holds="{esc(state)}">{state}</span>']
        if proved:
            cells.append(scalar(c.get("proved")) if "proved" in c else "")
        cells.append(value_html(c.get("evidence", {})))
        rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    return f'<table id="assumption-checks"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def basin_text(value: Any) -> str:
    """A bad-basin entry (or its rate, a fraction) as ``bad basin 12%``."""
    if isinstance(value, dict):
        value = value.get("rate", value.get("fraction", value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"bad basin {100 * value:.0f}%"
    return f"bad basin {value}"
