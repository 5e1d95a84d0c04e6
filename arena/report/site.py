"""The static report: ``DIR/report/index.html`` and one page per match, no server and no network.

Everything the pages show is inside ``DIR/report/``: inline CSS, the pictures copied next to
their page (``matches/<match_id>/fig_*.png`` with their data ``fig_*.json``), relative links only,
so the folder can be zipped, mailed or logged to wandb as it is.
"""
from __future__ import annotations

import html
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from arena.game import leaderboard, necessity
from arena.report import grid, palette, run_info
from arena.report.tables import basin_text, breakable, checks_html, value_html

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em auto;max-width:1400px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:0.8em 0;font-size:0.88em}
th,td{border:1px solid #bbb;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#eee} a{color:#0645ad} code,pre{background:#f6f6f6;font-size:0.85em}
pre{padding:0.6em;overflow-x:auto;max-height:32em} .proved{font-weight:bold;color:#1a5e1a}
.small{font-size:0.8em;color:#555} figure{display:inline-block;margin:0.4em;vertical-align:top}
figure img{max-width:560px;border:1px solid #ddd} figcaption{font-size:0.8em;color:#444}
.legend span{padding:2px 8px;margin-right:4px;border:1px solid #bbb}
table.evidence{margin:0;font-size:1em} table.evidence th{background:#f4f4f4;font-weight:normal}
#matches td,#run-info td{overflow-wrap:break-word} #matches{width:100%}
"""
CAPTIONS = {
    "segment": "Loss along the segment from the claim to the target, beyond both ends: the barrier between them.",
    "slice": "2-D slice: the target direction and a Hessian direction (filter-normalised per unit).",
    "probes": "The referee's probes: |min ΔL| per ball against its radius, per direction family.",
    "spectrum": "Hessian spectrum at the claim; flat directions named by parameter.",
    "path": "The path: L(t) and ‖θ(t)‖, with the estimated limit where the verdict gives one.",
    "decision": "The samples by label and the network's output f(x) at the claim and at the target.",
}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"<style>{CSS}{grid.css()}</style></head><body>\n{body}\n</body></html>\n")


def table(header: list[str], rows: list[list[str]], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then they are HTML already)."""
    cell = (lambda c: c) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def read_result(match_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((match_dir / "result.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def extras(cell: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Fields other parts of the arena may add to a cell or result: ``proof`` and ``bad_basin``."""
    out = {}
    for key in ("proof", "bad_basin"):
        value = cell.get(key, result.get(key))
        if value is not None:
            out[key] = value
    return out


def leaderboard_html(board: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    """The legend and the defenders x attackers grid (:mod:`arena.report.grid`)."""
    return grid.legend() + grid.grid_html(board, lambda c: extras(c, results.get(Path(c["match_dir"]).name, {})))


def ranking_html(board: dict[str, Any]) -> str:
    """Defenders with their counts and pooled bad-basin rate (a dash where no restarts were trained)."""
    from arena.search.basins import rate_text

    rows = [[r["defender"], r["broken"], r["out_of_scope"], r["held"], r["errors"], rate_text(r.get("bad_basin"))]
            for r in board["ranking"]]
    return table(["defender", "broken", "out_of_scope", "held", "errors", "bad-basin rate [95% CI]"], rows)


def matches_html(board: dict[str, Any]) -> str:
    """Every match with its outcome and whole reason (wrapped, never cut)."""
    rows = []
    for c in board["cells"]:
        mid = Path(c["match_dir"]).name
        o = c["outcome"]
        rows.append(f'<tr data-outcome="{esc(o)}"><td><a href="matches/{esc(mid)}.html">{breakable(mid)}</a></td>'
                    f'<td><span class="o" data-outcome="{esc(o)}">{esc(o)}</span></td>'
                    f'<td class="reason">{esc(c.get("reason", ""))}</td></tr>')
    return ('<table id="matches"><thead><tr><th>match</th><th>outcome</th><th>reason</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def necessity_html(rows: list[dict[str, Any]]) -> str:
    def names(entries: list[dict[str, Any]]) -> str:
        return ", ".join(sorted({f"{e['attacker']} @ {e['setting']}" for e in entries}))

    body = [[r["defender"], r["promise"], r["assumption"], names(r["counterexamples"]) or "none yet",
             names(r.get("with_others", []))] for r in rows]
    return table(["defender", "promise", "assumption", "counterexamples (only this fails)", "with others failing"],
                 body or [["(no defender with a promise played)", "", "", "", ""]])


def index_html(board: dict[str, Any], nec: list[dict[str, Any]], results: dict[str, dict[str, Any]],
               chart: str | None) -> str:
    n = len(board["cells"])
    counts = Counter(c["outcome"] for c in board["cells"])
    summary = ", ".join(f"{esc(o)} {counts[o]}" for o in palette.ordered(counts))
    parts = [f"<h1>Local-Min Arena report: {esc(Path(board['out_dir']).name)}</h1>",
             "<h2>What was run</h2>", run_info.section(board["out_dir"], board, results),
             f"<p>{n} matches: {summary}</p>",
             grid.toggle(board["cells"]),  # before everything it hides: the CSS selects its later siblings
             "<h2>Leaderboard</h2>",
             "<p>Defenders (rows) ranked by in-scope breaks, fewest first; attackers in columns (the grid "
             "scrolls both ways; hover a name or cell for its full name). Each cell links to its matches "
             "(one per setting and seed).</p>", leaderboard_html(board, results)]
    if chart:
        parts.append(f'<figure><img src="{esc(chart)}" alt="outcomes per defender"><figcaption>Outcomes per '
                     "defender.</figcaption></figure>")
    parts += ["<h2>Ranking</h2>", ranking_html(board),
              '<p class="small">bad-basin rate: the share of trained restarts, pooled over the defender\'s '
              "matches on data that do not depend on the defender, ending in a bad local minimum, with a 95% "
              "Wilson interval; a dash where no match trained restarts.</p>",
              "<h2>Necessity matrix</h2>",
              "<p>For each assumption of each guarantee: the verified counterexamples that break only that assumption."
              "</p>", necessity_html(nec), "<h2>Matches</h2>", matches_html(board)]
    if board["problems"]:
        parts += ["<h2>Unreadable results</h2><ul>", *[f"<li>{esc(p)}</li>" for p in board["problems"]], "</ul>"]
    return page("Local-Min Arena report", "\n".join(parts))


def _num(value: Any) -> str:
    return f"{value:.9g}" if isinstance(value, float) else str(value)


def match_html(mid: str, result: dict[str, Any], verdict: dict[str, Any], figures: list[str], replay: str) -> str:
    """One match: outcome, replay command, pictures, verdict with evidence, assumption checks."""
    outcome = result.get("outcome", "?")
    ex = extras({}, result)
    parts = ['<p><a href="../index.html">&larr; report</a></p>', f"<h1>{esc(mid)}</h1>",
             f'<p><span class="o" data-outcome="{esc(outcome)}" style="padding:2px 8px">{esc(outcome)}</span> '
             f'{esc(result.get("reason", ""))}</p>']
    if ex.get("proof") is True:
        parts.append('<p class="proved">&#10003; proved (an exact certificate backs the verdict)</p>')
    if "bad_basin" in ex:
        parts.append(f"<p>{esc(basin_text(ex['bad_basin']))}</p>")
    about = [["attacker", result.get("attacker")], ["defender", result.get("defender")],
             ["setting", f"{result.get('setting')} ({result.get('defended_setting_description', '')})"],
             ["seed", result.get("seed")],
             ["time", f"{(result.get('timings') or {}).get('total', float('nan')):.2f} s"]]
    parts += [table(["match", ""], about), "<h2>Replay</h2>", f"<pre id=\"replay\">{esc(replay)}</pre>"]
    if figures:
        parts.append("<h2>Pictures</h2>")
        for name in figures:
            parts.append(f'<figure><img src="{esc(mid)}/fig_{esc(name)}.png" alt="{esc(name)}"><figcaption>'
                         f'{esc(CAPTIONS.get(name, name))} <a href="{esc(mid)}/fig_{esc(name)}.json">data</a>'
                         "</figcaption></figure>")
    if verdict:
        keys = ("verdict", "loss", "best_loss", "gap", "train_error", "grad_norm", "hessian_min_eig")
        parts += ["<h2>Verdict</h2>", table(["", "value"], [[k, _num(verdict.get(k))] for k in keys]),
                  "<ul>" + "".join(f"<li>{esc(r)}</li>" for r in verdict.get("reasons", [])) + "</ul>",
                  '<details id="verdict-evidence"><summary>evidence</summary>'
                  + value_html(verdict.get("evidence", {})) + "</details>"]
    checks = result.get("assumption_checks") or []
    if checks:
        parts += ["<h2>Assumption checks</h2>", checks_html(checks)]
    if result.get("traceback"):
        parts += ["<h2>Traceback</h2>", f"<pre>{esc(result['traceback'])}</pre>"]
    return page(mid, "\n".join(parts))


def write_site(out_dir: str | Path) -> Path:
    """Write ``out_dir/report/`` (index, match pages, copied pictures); returns the index path."""
    out_dir = Path(out_dir)
    site = out_dir / "report"
    pages = site / "matches"
    pages.mkdir(parents=True, exist_ok=True)
    board = leaderboard.build(out_dir)
    results = {}
    for c in board["cells"]:
        match_dir = Path(c["match_dir"])
        mid = match_dir.name
        results[mid] = result = read_result(match_dir)
        try:
            verdict = json.loads((match_dir / "verdict.json").read_text())
        except (OSError, json.JSONDecodeError):
            verdict = result.get("verdict") or {}
        figs = sorted(p.stem[len("fig_"):] for p in match_dir.glob("fig_*.png"))
        order = ["segment", "slice", "probes", "spectrum", "path", "decision"]
        figs.sort(key=lambda n: order.index(n) if n in order else len(order))
        (pages / mid).mkdir(exist_ok=True)
        for p in match_dir.glob("fig_*"):
            shutil.copy2(p, pages / mid / p.name)
        claim = match_dir / "claim.json"
        replay = f"arena verify {claim}" if claim.is_file() else "(no claim was submitted: nothing to replay)"
        (pages / f"{mid}.html").write_text(match_html(mid, result, verdict, figs, replay))
    chart = outcome_chart(board, site)
    (site / "index.html").write_text(index_html(board, necessity.build(out_dir), results, chart))
    return site / "index.html"


def outcome_counts(board: dict[str, Any]) -> dict[str, dict[str, int]]:
    """defender -> outcome -> matches, defenders in ranking order."""
    counts = {r["defender"]: {} for r in board["ranking"]}
    for c in board["cells"]:
        counts[c["defender"]][c["outcome"]] = counts[c["defender"]].get(c["outcome"], 0) + 1
    return counts


def outcome_chart(board: dict[str, Any], site: Path) -> str | None:
    """outcomes.png in the site (relative path), or None without matplotlib or matches."""
    if not board["cells"]:
        return None
    try:
        from arena.report.figures import draw_outcomes
    except ImportError:
        return None
    draw_outcomes(outcome_counts(board), site / "outcomes.png")
    return "outcomes.png"


def inline_images(index: Path) -> str:
    """The page's HTML with its local ``<img src>`` files embedded as data URIs (for wandb.Html)."""
    import base64
    import re

    text = index.read_text()

    def embed(m: re.Match) -> str:
        path = index.parent / html.unescape(m.group(1))
        if not path.is_file():
            return m.group(0)
        return f'src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"'

    return re.sub(r'src="([^":]+\.png)"', embed, text)
