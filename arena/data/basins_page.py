"""The bad-basin sweep's pages: ``basins.md``, ``basins.html``, ``assumptions.md`` and ``basins.png``.

``basins.html`` is self-contained (inline CSS, the plot embedded as a data URI), so it can be mailed
or opened from anywhere: the settings, the plot with the per-data-set assumption table beside it,
then one row per cell with the referee's verdict, its proof flag and, without a proof, why.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

DATA_ASSUMPTIONS = ("data_linearly_separable", "data_linearly_separable_through_origin", "inputs_distinct",
                    "inputs_distinct_in_one_coordinate")
MARKS = {(True, True): "✓", (True, False): "✓?", (False, True): "✗", (False, False): "✗?"}
NEURON_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
DEPTH_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))
CSS = ("body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1400px;color:#222;padding:0 1em}"
       "table{border-collapse:collapse;margin:0.8em 0;font-size:0.85em}"
       "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}"
       ".side{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}.side img{max-width:900px;width:100%}"
       ".small{font-size:0.8em;color:#555}td.num{text-align:right}")


def _mark(check: dict[str, Any]) -> str:
    return MARKS.get((check["holds"], check["proved"]), "?")


def render_rows(rows: list[dict[str, Any]]) -> str:
    """The cells as a Markdown table (rate with its 95% Wilson interval, referee verdict, ✓ = proved)."""
    lines = ["| data | neuron | depth | width | params | bad / restarts | rate [95% CI] | best loss | worst bad loss | referee |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        worst = "-" if r["worst_bad_loss"] is None else f"{r['worst_bad_loss']:.6g}"
        verdict = "-" if r["verdict"] is None else r["verdict"] + (" ✓" if r["proof"] else "")
        lines.append(f"| {r['data']} | {r['neuron']} | {r['depth']} | {r['width']} | {r['params']} | {r['bad']} / "
                     f"{r['restarts']} | {100 * r['rate']:.1f}% [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}] | "
                     f"{r['best_loss']:.6g} | {worst} | {verdict} |")
    return "\n".join(lines)


def render_assumptions(tables: list[dict[str, Any]]) -> str:
    """The per-data-set assumption table (Markdown)."""
    head = "| data | n × d | fingerprint | " + " | ".join(DATA_ASSUMPTIONS) + " |"
    lines = ["## The data sets", "", "✓ proved, ✓? holds numerically, ✗ proved to fail, ✗? fails without proof, ? undecided.",
             "", head, "|" + "---|" * (3 + len(DATA_ASSUMPTIONS))]
    for t in tables:
        cells = [_mark(t["checks"][a]) for a in DATA_ASSUMPTIONS]
        lines.append(f"| {t['data']} | {t['n']} × {t['d']} | `{t['fingerprint'][:12]}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def settings_text(node: dict[str, Any], wall: float, cpu: float) -> str:
    """One paragraph: how every cell was played, and what the sweep cost."""
    return (f"{node['restarts']} restarts per cell, {_training_text(node)} (lr {node['lr']}, "
            f"{node['steps']} steps) from PyTorch's standard initialisation, then L-BFGS in float64; loss "
            f"{node.get('loss', 'quadratic_hinge')}. `bad`: converged minima above the cell's best loss by the arena's "
            "cheap test; `referee`: the verdict on the worst converged point above the best (✓: proved). "
            f"Wall time {wall:.0f} s, {cpu:.0f} CPU seconds in the cells.")


def _training_text(node: dict[str, Any]) -> str:
    """``full-batch adam``, ``sgd (momentum 0.9) on batches of 64``, ..."""
    name = str(node.get("optimizer", "adam")) + (f" (momentum {node['momentum']:g})" if node.get("momentum") else "")
    return f"{name} on batches of {node['batch_size']}" if node.get("batch_size") else f"full-batch {name}"


def render_page(rows: list[dict[str, Any]], tables: list[dict[str, Any]], node: dict[str, Any], wall: float,
                plotted: bool, cpu: float = 0.0) -> str:
    """The report page (Markdown): settings, the data sets' assumptions, the cells, the plot."""
    return "\n".join(["# Bad basins on real data", "", settings_text(node, wall, cpu), "",
                      render_assumptions(tables), "## Cells", "", render_rows(rows), "",
                      *(["![bad-basin rate against width](basins.png)", ""] if plotted else [])])


def _table(header: list[str], body: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"


def _cell_row(cell: dict[str, Any]) -> list[Any]:
    r, judged = cell["row"], cell.get("census", {}).get("judged") or {}
    worst = "" if r["worst_bad_loss"] is None else f"{r['worst_bad_loss']:.6g}"
    proof = "" if r["proof"] is None else ("yes" if r["proof"] else "no")
    why = "" if r["proof"] is not False else (judged.get("proof_reason") or "")
    return [r["data"], r["neuron"], r["depth"], r["width"], r["params"], r["restarts"], r["bad"],
            f"{100 * r['rate']:.1f}%", f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]", f"{r['best_loss']:.6g}",
            worst, r["verdict"] or "", proof, why, f"{cell.get('cpu_seconds', 0.0):.0f}"]


def render_html(cells: list[dict[str, Any]], tables: list[dict[str, Any]], node: dict[str, Any], wall: float,
                png: Path | None) -> str:
    """The self-contained report page: plot beside the assumption table, then every cell."""
    cpu = sum(c.get("cpu_seconds", 0.0) for c in cells)
    image = ""
    if png is not None and png.is_file():
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        image = f'<img alt="bad-basin rate against width" src="data:image/png;base64,{data}">'
    assumed = _table(["data", "n × d", "fingerprint", *DATA_ASSUMPTIONS],
                     [[t["data"], f"{t['n']} × {t['d']}", t["fingerprint"][:12],
                       *[_mark(t["checks"][a]) for a in DATA_ASSUMPTIONS]] for t in tables])
    header = ["data", "neuron", "depth", "width", "params", "restarts", "bad", "rate", "95% CI", "best_loss",
              "worst_bad_loss", "verdict", "proof", "no proof because", "CPU s"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bad basins on real data</title>"
            f"<style>{CSS}</style></head><body>\n<h1>Bad basins on real data</h1>\n"
            f"<p>{html.escape(settings_text(node, wall, cpu).replace('`', ''))}</p>\n"
            f"<div class=\"side\"><div>{image}</div><div><h2>The data sets</h2>\n{assumed}\n"
            "<p class=\"small\">✓ proved, ✓? holds numerically, ✗ proved to fail, ✗? fails without proof, "
            "? undecided.</p></div></div>\n<h2>Cells</h2>\n"
            f"{_table(header, [_cell_row(c) for c in cells])}\n</body></html>\n")


def series(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The plot's lines per data set: one per (neuron, depth), by increasing width; the colour names
    the neuron, the line style and marker the depth; ``err``: the Wilson interval as [below, above]."""
    neurons = list(dict.fromkeys(r["neuron"] for r in rows))
    depths = sorted({r["depth"] for r in rows})
    out: dict[str, list[dict[str, Any]]] = {}
    for name in dict.fromkeys(r["data"] for r in rows):
        out[name] = []
        for i, neuron in enumerate(neurons):
            for j, depth in enumerate(depths):
                group = sorted((r for r in rows if (r["data"], r["neuron"], r["depth"]) == (name, neuron, depth)),
                               key=lambda r: r["width"])
                if not group:
                    continue
                style, marker = DEPTH_STYLES[j % len(DEPTH_STYLES)]
                out[name].append({"label": f"{neuron}, depth {depth}", "colour": NEURON_COLOURS[i % len(NEURON_COLOURS)],
                                  "style": style, "marker": marker, "width": [r["width"] for r in group],
                                  "rate": [r["rate"] for r in group],
                                  "err": [[max(0.0, r["rate"] - r["ci_low"]) for r in group],
                                          [max(0.0, r["ci_high"] - r["rate"]) for r in group]]})
    return out


def plot(path: Path, rows: list[dict[str, Any]]) -> str | None:
    """Rate against width (log2 axis) with Wilson intervals as error bars: one panel per data set,
    one colour per neuron, one line style and marker per depth. None when written, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install 'localmin-arena[report]')"
    names = list(dict.fromkeys(r["data"] for r in rows))
    cols = min(3, len(names))
    nrows = -(-len(names) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.4 * cols, 3.6 * nrows), squeeze=False)
    lines = series(rows)
    for ax, name in zip(axes.flat, names):
        for line in lines[name]:
            ax.errorbar(line["width"], line["rate"], yerr=line["err"], capsize=3, color=line["colour"],
                        linestyle=line["style"], marker=line["marker"], markersize=4, label=line["label"])
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("width (log2)")
        ax.set_title(name)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for row in axes:
        row[0].set_ylabel("share of restarts in a bad minimum")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write_pages(out: Path, cells: list[dict[str, Any]], tables: list[dict[str, Any]], node: dict[str, Any],
                wall: float) -> tuple[str, str | None]:
    """Write basins.png, basins.md, basins.html and assumptions.md under ``out``: (the Markdown page, why
    the plot is missing or None)."""
    rows = [c["row"] for c in cells]
    note = plot(out / "basins.png", rows)
    cpu = sum(c.get("cpu_seconds", 0.0) for c in cells)
    page = render_page(rows, tables, node, wall, plotted=note is None, cpu=cpu)
    (out / "basins.md").write_text(page)
    (out / "basins.html").write_text(render_html(cells, tables, node, wall, None if note else out / "basins.png"))
    (out / "assumptions.md").write_text(render_assumptions(tables))
    return page, note
