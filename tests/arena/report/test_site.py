"""The static report: a page per match, working links and images, checked in headless Chromium."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from arena.cli import main
from tests.arena.report.conftest import ATTACKERS, DEFENDERS, match
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
