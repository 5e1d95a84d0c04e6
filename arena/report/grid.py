"""The leaderboard grid of the index page, readable at laptop width, and the incompatible toggle.

The grid scrolls inside its own box with the attacker row and the defender column pinned (CSS
``position: sticky``), so every column is reachable with both names in view; column headers wrap
at ``_`` and carry the full name as a tooltip. One checkbox (no script: a CSS sibling selector)
hides the ``incompatible`` matches everywhere on the page: their cells in the grid, the rows and
columns that hold nothing else, and their lines in the list of matches.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from arena.game import leaderboard
from arena.report import palette
from arena.report.tables import basin_text, breakable, esc

TOGGLE_ID = "hide-incompatible"
HIDDEN = "incompatible"


def css() -> str:
    """The grid's CSS: sticky headers, outcome colours from the palette, the toggle's rules."""
    colours = "".join(f'.o[data-outcome="{o}"]{{background:{c}}}' for o, c in palette.PAGE.items())
    hide = f"#{TOGGLE_ID}:checked ~ *"
    return f"""
.grid-wrap{{overflow:auto;max-height:85vh;width:fit-content;max-width:100%;border:1px solid #bbb;margin:0.8em 0}}
#leaderboard{{border-collapse:separate;border-spacing:0;margin:0;font-size:0.8em}}
#leaderboard th,#leaderboard td{{border:0;border-right:1px solid #ccc;border-bottom:1px solid #ccc;padding:3px 4px;
min-width:5em;max-width:8.5em}}
#leaderboard thead th{{position:sticky;top:0;z-index:2;background:#eee;font-weight:600}}
#leaderboard tbody th{{position:sticky;left:0;z-index:1;background:#f7f7f7;max-width:9em}}
#leaderboard thead th:first-child{{left:0;z-index:3}}
.o{{background:#e4d7f5}}{colours}
{hide} [data-outcome="{HIDDEN}"] > *,{hide} .only-{HIDDEN}{{display:none}}
{hide} td[data-outcome="{HIDDEN}"]{{background:#fff}}
{hide} tr[data-outcome="{HIDDEN}"]{{display:none}}
.toggle{{background:#f6f6f6;padding:4px 8px;border:1px solid #ddd;display:inline-block}}
"""


def toggle(cells: list[dict[str, Any]]) -> str:
    """The checkbox (checked: incompatible matches hidden) and its label; place it before the grid."""
    n = sum(c["outcome"] == HIDDEN for c in cells)
    return (f'<input type="checkbox" id="{TOGGLE_ID}" checked>'
            f'<label class="toggle" for="{TOGGLE_ID}">hide the {n} of {len(cells)} matches that are '
            f"<i>{HIDDEN}</i> ({esc(palette.MEANING[HIDDEN])})</label>")


def legend() -> str:
    return '<p class="legend">' + "".join(
        f'<span class="o" data-outcome="{esc(o)}" title="{esc(palette.MEANING.get(o, ""))}">{esc(o)}</span>'
        for o in palette.ORDER) + "</p>"


def _links(cells: list[dict[str, Any]], extras) -> str:
    links = []
    for c in cells:
        mid = Path(c["match_dir"]).name
        ex = extras(c)
        mark = ' <span class="proved" title="proved">&#10003; proved</span>' if ex.get("proof") is True else ""
        basin = f' <span class="small">{esc(basin_text(ex["bad_basin"]))}</span>' if "bad_basin" in ex else ""
        links.append(f'<a href="matches/{esc(mid)}.html" title="{esc(mid)}">{breakable(c["setting"])} '
                     f's{esc(c["seed"])}</a>{mark}{basin}')
    return "<br>".join(links)


def grid_html(board: dict[str, Any], extras) -> str:
    """The defenders x attackers grid; ``extras(cell)`` -> ``proof``/``bad_basin`` of a cell's match."""
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in board["cells"]:
        by_pair[(c["defender"], c["attacker"])].append(c)

    def top(cells: list[dict[str, Any]]) -> str:
        counts = Counter(c["outcome"] for c in cells)
        return next((o for o in palette.ORDER if counts[o]), cells[0]["outcome"])

    tops = {pair: top(cells) for pair, cells in by_pair.items()}
    only = lambda pairs: all(tops.get(p, HIDDEN) == HIDDEN for p in pairs)  # noqa: E731
    defenders = [r["defender"] for r in board["ranking"]]
    hidden_cols = {a for a in board["attackers"] if only([(d, a) for d in defenders])}
    head = "".join(f'<th scope="col" title="{esc(a)}"{_only(a in hidden_cols)}>{breakable(a)}</th>'
                   for a in board["attackers"])
    rows = []
    for d in defenders:
        tds = [f'<th scope="row" title="{esc(d)}">{breakable(d)}</th>']
        for a in board["attackers"]:
            cells = by_pair[(d, a)]
            if not cells:
                tds.append(f"<td{_only(a in hidden_cols)}></td>")
                continue
            o = tops[(d, a)]
            tds.append(f'<td class="o{" only-" + HIDDEN if a in hidden_cols else ""}" data-outcome="{esc(o)}" '
                       f'title="{esc(d)} vs {esc(a)}"><div>{breakable(leaderboard.cell_text(cells))}<br>'
                       f'<span class="small">{_links(cells, extras)}</span></div></td>')
        row_only = _only(only([(d, a) for a in board["attackers"]]))
        rows.append(f"<tr{row_only}>" + "".join(tds) + "</tr>")
    return (f'<div class="grid-wrap"><table id="leaderboard"><thead><tr><th>defender \\ attacker</th>{head}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _only(flag: bool) -> str:
    return f' class="only-{HIDDEN}"' if flag else ""
