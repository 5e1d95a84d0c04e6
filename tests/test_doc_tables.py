"""The large-k Safran–Shamir tables of README.md, docs/search.md and docs/symmetric.md are the
committed docs/hit_rates_large.csv, read again: counts, families and losses."""
from __future__ import annotations

import csv
import re

import pytest

from tests.conftest import ROOT

CSV = ROOT / "docs" / "hit_rates_large.csv"


def _m(family: str) -> int:
    return 1 if family == "s_k_minus_1" else int(re.fullmatch(r"s_(\d+)_x_s_k_minus_\d+", family).group(1))


def _cells() -> dict[int, dict]:
    out = {}
    for row in csv.DictReader(CSV.open()):
        ladder: dict[int, int] = {}
        for entry in filter(None, row["family_minima"].split(";")):
            name, count = entry.rsplit(":", 1)
            ladder[_m(name)] = int(count)
        out[int(row["k"])] = {"restarts": int(row["restarts"]), "spurious": int(row["spurious"]),
                              "distinct": int(row["distinct_minima"]), "loss": float(row["min_spurious_loss"]),
                              "ladder": ladder}
    return out


def _rows(page: str, after: str) -> list[list[str]]:
    """The rows of the first table after the line containing ``after``, split into cells."""
    lines = (ROOT / page).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    rows, seen = [], False
    for line in lines[start:]:
        if line.startswith("|"):
            seen = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0].isdigit():
                rows.append(cells)
        elif seen:
            break
    return rows


def _ladder_text(ladder: dict[int, int], low: int = 1) -> str:
    kept = {m: c for m, c in ladder.items() if m >= low}
    return f"{min(kept)}–{max(kept)} ({max(kept, key=kept.get)}"


@pytest.mark.parametrize("page, after", [("README.md", "**At large k**"), ("docs/search.md", "### The sweep at large k")])
def test_the_large_k_table_is_the_committed_csv(page, after):
    cells, rows = _cells(), _rows(page, after)
    assert sorted(int(r[0]) for r in rows) == sorted(cells)
    for k, restarts, spurious, distinct, family, m_found, loss, *_ in rows:
        cell = cells[int(k)]
        assert (int(restarts), int(spurious.split()[0]), int(distinct)) == \
            (cell["restarts"], cell["spurious"], cell["distinct"]), f"{page}, k = {k}"
        assert family == f"{sum(cell['ladder'].values())} ({len(cell['ladder'])})", f"{page}, k = {k}"
        assert m_found.startswith(_ladder_text(cell["ladder"])), f"{page}, k = {k}"
        assert float(loss) == pytest.approx(cell["loss"], abs=5e-7), f"{page}, k = {k}"


def test_the_large_k_ladder_of_docs_symmetric_is_the_committed_csv():
    cells, rows = _cells(), _rows("docs/symmetric.md", "At large k (`experiment=safran_shamir_large`")
    assert sorted(int(r[0]) for r in rows) == sorted(cells)
    for k, spurious, m1, m2, higher, distinct_m, other in rows:
        cell = cells[int(k)]
        ladder = cell["ladder"]
        assert spurious == f"{cell['spurious']} / {cell['restarts']}"
        assert (int(m1), int(m2)) == (ladder.get(1, 0), ladder.get(2, 0)), f"k = {k}"
        modal = max((m for m in ladder if m >= 3), key=ladder.get)
        assert higher == f"{_ladder_text(ladder, 3)}: {ladder[modal]})", f"k = {k}"
        assert int(distinct_m) == len(ladder)
        assert other == f"{cell['spurious'] - sum(ladder.values())} ({cell['distinct'] - len(ladder)})", f"k = {k}"


def test_the_k6_to_20_ladder_of_docs_symmetric_adds_up_to_the_readme_counts():
    """Each restart of the n = k sweep is counted once: at an m, or among the other minima; the
    spurious counts are the README's table."""
    readme = {int(r[0]): int(r[1]) for r in _rows("README.md", "| k | n = k: spurious / 500 |")}
    rows = _rows("docs/symmetric.md", "| k | spurious / 500 | m = 1 | m = 2 | m >= 3 (m: restarts) | other |")
    assert [int(r[0]) for r in rows] == list(range(6, 21))
    for k, spurious, m1, m2, higher, other in rows:
        at_m = [int(part.split(":")[1]) for part in higher.split(",")] if higher != "–" else []
        counted = int(m1) + int(m2) + sum(at_m) + int(other.split()[0])
        assert counted == int(spurious) == readme[int(k)], f"k = {k}"
