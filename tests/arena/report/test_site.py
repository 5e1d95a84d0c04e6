"""The static report: a page per match, working links and images, checked in headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from arena.cli import main
from tests.arena.report.conftest import ATTACKERS, DEFENDERS, WIDE_ATTACKERS, make_wide, match
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")


def _local_targets(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"#:]+)"', page.read_text())


def test_report_has_a_page_per_match_and_no_dangling_link(tiny):
    index = tiny / "report" / "index.html"
    assert index.is_file()
    text = index.read_text()
    for a in ATTACKERS:
        for d in DEFENDERS:
            mid = match(tiny, a, d).name
            assert f'href="matches/{mid}.html"' in text
            page = tiny / "report" / "matches" / f"{mid}.html"
            assert f"arena verify {match(tiny, a, d) / 'claim.json'}" in page.read_text() or d == "none" and a != "dead_relu"
    assert 'data-outcome="broken"' in text and 'data-outcome="held"' in text and "Necessity matrix" in text
    assert "http://" not in text and "https://" not in text  # no network
    pages = [index, *sorted((tiny / "report" / "matches").glob("*.html"))]
    for page in pages:
        for target in _local_targets(page):
            assert (page.parent / target).is_file(), f"{page.name}: dangling {target}"
    broken = (tiny / "report" / "matches" / f"{match(tiny, 'dead_relu', 'none').name}.html").read_text()
    for fig in ("segment", "slice", "probes", "spectrum", "decision"):
        assert f"fig_{fig}.png" in broken
    assert "Assumption checks" not in broken  # no defense, no assumption


def test_index_says_what_was_run_and_match_pages_show_evidence_tables(tiny):
    run = json.loads((tiny / "run.json").read_text())
    assert run["command"].startswith("python -m arena ") and "budget=smoke" in run["command"]
    assert f"tournament.attackers=[{','.join(ATTACKERS)}]" in run["command"]  # as typed
    assert run["budget"]["name"] == "smoke" and run["budget"]["seconds"] == 60
    assert run["referee"]["name"] == "fast" and run["referee"]["restarts"] == 16 and run["referee"]["eig_tol"] == 1e-7
    assert run["tournament"]["seeds"] == [0] and run["versions"]["torch"]
    text = (tiny / "report" / "index.html").read_text()
    start = text.index('<table id="run-info">')
    info = text[start:text.index("<p>", start)]
    for needle in ("budget=<wbr>smoke", "<b>smoke</b>", "<b>fast</b>", run["versions"]["torch"],
                   f"python = {run['versions']['python']}", run["started"][:10], "<th>seeds</th><td>0</td>"):
        assert needle in info, needle
    assert "<th>bad-basin rate [95% CI]</th>" in text
    page = (tiny / "report" / "matches" / f"{match(tiny, 'dead_relu', 'exp_neuron').name}.html").read_text()
    checks = page[page.index('<table id="assumption-checks">'):]
    assert '<table class="evidence"><tr><th>n</th><td>12</td></tr>' in checks  # inputs_distinct's evidence
    assert "quadratic_<wbr>hinge" in checks and '{"' not in checks  # tables, not JSON


def test_report_command_redraws_only_stale_pictures_and_marks_proofs(tiny, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(tiny, out, ignore=shutil.ignore_patterns("wandb", "report"))
    seg = match(out, "dead_relu", "none") / "fig_segment.png"
    before = seg.stat().st_mtime_ns
    result = match(out, "dead_relu", "none") / "result.json"
    result.write_text(result.read_text().replace('"outcome": "broken"', '"proof": true, "bad_basin": {"rate": 0.25, "ci": [0.1, 0.5], "restarts": 8, "distinct": 2}, "outcome": "broken"'))
    saddle = match(out, "dead_relu", "exp_neuron")
    for f in saddle.glob("fig_*"):
        f.unlink()
    (saddle / "claim.json").write_text('{"format": "not-a-claim"}')
    assert main(["report", str(out)]) == 0
    assert seg.stat().st_mtime_ns == before  # newer than its verdict: not drawn again
    said = capsys.readouterr().out
    assert f"no pictures for {saddle.name}: cannot read the judged claim" in said and "'format' must be" in said
    assert not list(saddle.glob("fig_*")) and (out / "report" / "matches" / f"{saddle.name}.html").is_file()
    text = (out / "report" / "index.html").read_text()
    assert text.count("&#10003; proved") == 1 and "bad basin 25%" in text
    assert main(["report", str(tmp_path / "nowhere")]) == 2


def test_report_renders_in_headless_chromium(tiny, tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package (test extra) is missing")
    index = tiny / "report" / "index.html"
    pages = [index, *sorted((tiny / "report" / "matches").glob("*.html"))]
    shot = tmp_path / "report.png"
    # playwright's 30 s timeouts would race a busy machine: five minutes only catch a hang
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"],
                                    timeout=300_000)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(300_000)
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        for html in pages:
            page.goto(html.as_uri(), wait_until="load")
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
            assert all(width > 0 for _, width in images), f"{html.name}: broken images {images}"
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                url = urlparse(href)
                assert url.scheme == "file", f"{html.name}: non-local link {href}"
                assert Path(unquote(url.path)).is_file(), f"{html.name}: dangling link {href}"
            assert page.locator("table").count() >= 1
            if html == index:
                assert page.locator("#leaderboard td").count() == len(ATTACKERS) * len(DEFENDERS)
                page.screenshot(path=str(shot), full_page=True)
            elif "dead_relu__none" in html.name:
                assert len(images) == 5
                page.screenshot(path=str(tmp_path / "match.png"), full_page=True)
        browser.close()
    assert not failed, failed
    assert shot.stat().st_size > 10_000
    keep = ROOT / "outputs" / "test-artifacts"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "report.png")
    shutil.copy(tmp_path / "match.png", keep / "report-match.png")


def test_report_is_readable_at_laptop_width(tiny, tmp_path):
    """At 1366 px: every attacker column reachable with the names pinned, the toggle hiding the
    incompatible matches, the run described, reasons whole, evidence in tables."""
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package (test extra) is missing")
    from arena.game import leaderboard
    from arena.report.site import write_site

    wide = make_wide(tiny, tmp_path / "wide")
    shutil.copy(tiny / "run.json", wide / "run.json")
    index = write_site(wide)
    board = leaderboard.build(wide)
    reasons = {Path(c["match_dir"]).name: c["reason"] for c in board["cells"]}
    assert max(map(len, reasons.values())) > 1000  # the long reason is there to be cut, and must not be
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"],
                                    timeout=300_000)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        page.set_default_timeout(300_000)
        page.goto(index.as_uri(), wait_until="load")
        # the run, first
        info = page.locator("#run-info")
        assert info.is_visible() and page.locator("#run-command").inner_text().startswith("python -m arena ")
        assert "budget=smoke" in page.locator("#run-command").inner_text()
        for label in ("versions", "budget", "referee", "seeds", "started"):
            assert info.locator(f"th:text-is('{label}')").count() == 1, label
        # the page itself never scrolls sideways; the grid scrolls in its own box
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        toggle = page.locator("#hide-incompatible")
        assert toggle.is_checked()  # hidden by default
        grid = page.locator(".grid-wrap")
        box = grid.bounding_box()
        heads = page.locator("#leaderboard thead th[scope=col]")
        assert heads.count() == len(WIDE_ATTACKERS)
        shown = [h for h in heads.all() if h.is_visible()]
        assert [h.get_attribute("title") for h in shown] == [a for a in WIDE_ATTACKERS if a != "some_installed_plugin_attacker"]
        corner = page.locator("#leaderboard tbody th:visible").first
        for h in shown:  # each column scrolled into view: legible, inside the box, the defender column still there
            h.scroll_into_view_if_needed()
            b = h.bounding_box()
            assert b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1, h.get_attribute("title")
            assert b["width"] >= 40 and h.inner_text().replace("\n", "") == h.get_attribute("title")
            c = corner.bounding_box()
            assert abs(c["x"] - box["x"]) <= 2 and c["x"] + c["width"] <= b["x"] + 1  # pinned, not covering it
        # incompatible: hidden in the grid and the list; all-incompatible row and column gone
        incompatible = page.locator('#leaderboard td[data-outcome="incompatible"] div')
        n_inc = sum(c["outcome"] == "incompatible" for c in board["cells"])
        assert incompatible.count() == n_inc and not any(x.is_visible() for x in incompatible.all())
        assert not page.locator('#leaderboard th[title="wide_generic_l2"]').is_visible()
        rows = page.locator("#matches tbody tr")
        assert sum(r.is_visible() for r in rows.all()) == len(board["cells"]) - n_inc
        assert page.locator('#leaderboard td[data-outcome="out_of_scope?"] div').is_visible()
        page.screenshot(path=str(tmp_path / "wide-hidden.png"))
        page.locator("label[for=hide-incompatible]").click()
        assert not toggle.is_checked() and all(x.is_visible() for x in incompatible.all())
        assert page.locator('#leaderboard th[title="some_installed_plugin_attacker"]').is_visible()
        assert sum(r.is_visible() for r in rows.all()) == len(board["cells"])
        # every reason whole, wrapped inside its cell (nothing clipped)
        for r in rows.all():
            mid = r.locator("td").first.inner_text().replace("\n", "")
            cell = r.locator("td.reason")
            assert cell.inner_text() == reasons[mid], mid
            assert cell.evaluate("e => e.scrollWidth <= e.clientWidth && getComputedStyle(e).textOverflow != 'ellipsis'")
        page.screenshot(path=str(tmp_path / "wide-all.png"))
        # a match page: assumption evidence as tables
        page.goto((tiny / "report" / "matches" / f"{match(tiny, 'dead_relu', 'exp_neuron').name}.html").as_uri())
        evidence = page.locator("#assumption-checks td table.evidence")
        assert evidence.count() >= 5 and evidence.first.is_visible()
        assert not any(t.strip().startswith("{") for t in page.locator("#assumption-checks td").all_inner_texts())
        browser.close()
    keep = ROOT / "outputs" / "test-artifacts"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "wide-hidden.png", keep / "report-1366.png")
