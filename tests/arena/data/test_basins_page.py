"""experiment=real_data's report page: basins.html with the cells (verdict, proof) and the data sets'
assumptions beside the plot; the plot's lines (colour per neuron, style per depth)."""
from __future__ import annotations

import csv
import re

from omegaconf import OmegaConf

from arena.data.basins_page import series
from arena.data.sweep import COLUMNS, run_basins


def _row(data: str, neuron: str, depth: int, width: int, bad: int) -> dict:
    return {"data": data, "neuron": neuron, "depth": depth, "width": width, "rate": bad / 10, "ci_low": 0.0,
            "ci_high": 0.5}


def test_the_plot_has_one_colour_per_neuron_and_one_style_per_depth():
    rows = [_row("iris", n, d, w, b) for n, b in (("relu", 3), ("tanh", 0)) for d in (1, 2) for w in (4, 1, 2)]
    rows.append(_row("wine", "tanh", 2, 8, 1))
    lines = series(rows)
    assert [ln["label"] for ln in lines["iris"]] == ["relu, depth 1", "relu, depth 2", "tanh, depth 1", "tanh, depth 2"]
    assert [ln["width"] for ln in lines["iris"]] == [[1, 2, 4]] * 4  # sorted by width
    colours = [ln["colour"] for ln in lines["iris"]]
    styles = [ln["style"] for ln in lines["iris"]]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    assert styles[0] == styles[2] != styles[1] == styles[3]
    assert lines["wine"][0]["colour"] == colours[2] and lines["wine"][0]["style"] == styles[1]
    assert lines["iris"][0]["err"] == [[0.3, 0.3, 0.3], [0.2, 0.2, 0.2]]  # rate 0.3 in [0, 0.5]


def test_a_two_cell_sweep_writes_the_html_page(tmp_path):
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "device": "cpu", "basins": {
        "data": ["breast_cancer"], "neurons": ["relu"], "widths": [1], "depths": [1, 2], "restarts": 8, "steps": 40,
        "lr": 0.02, "polish_iters": 200, "seed": 0, "workers": 1}})
    cells = run_basins(cfg)
    rows = list(csv.DictReader((tmp_path / "basins.csv").open()))
    assert tuple(rows[0]) == COLUMNS and [(r["depth"], r["params"]) for r in rows] == [("1", "33"), ("2", "35")]
    page = (tmp_path / "basins.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page  # self-contained
    for cell in cells:
        r = cell["row"]
        proof = {None: "", True: "yes", False: "no"}[r["proof"]]
        start = (f"<tr><td>breast_cancer</td><td>relu</td><td>{r['depth']}</td><td>1</td><td>{r['params']}</td>"
                 f"<td>8</td><td>{r['bad']}</td><td>{100 * r['rate']:.1f}%</td>")
        assert start in page
        assert re.search(re.escape(start) + r".*?<td>" + re.escape(r["verdict"] or "") + "</td><td>" + proof + "</td>", page)
    assert cells[0]["row"]["verdict"] is not None  # width 1 on breast_cancer: the worst end point was judged
    # the assumption table, beside the plot: breast_cancer is linearly separable (proved)
    assert re.search("<tr><td>breast_cancer</td><td>569 × 30</td><td>[0-9a-f]{12}</td><td>✓</td>", page)
    assert page.index("data:image/png") < page.index("<h2>The data sets</h2>") < page.index("<h2>Cells</h2>")
    assert (tmp_path / "basins.png").stat().st_size > 10_000
