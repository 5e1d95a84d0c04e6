"""The documentation builds (mkdocs, warnings as errors), and the repository cites only what it holds."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

PAGES = ["index.md", "design.md", "plugins.md", "claim-format.md", "referee.md", "proofs.md", "search.md",
         "symmetric.md", "data.md", "scaling.md", "report.md", "catalogue.md", "api.md",
         "contributing.md"]
SCANNED = ["arena", "attackers", "defenders", "conf", "tests", "examples", "benchmarks", "docs"]
# Documents that live outside the repository (pieces joined so this file does not match itself).
FOREIGN = re.compile("|".join([r"DESIGN\." + "md", r"theory\." + "md", r"\btheory " + "§", "shared" + "/",
                               "research" + "/", "search_and_" + "certificates", r"anchors\." + "md",
                               r"\bthe " + r"notes\b", r"(?<!')\bnotes" + r"'\s"]))


def _text_files():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt"):
                yield path
    for name in ("README.md", "pyproject.toml", "Makefile", "mkdocs.yml"):
        yield ROOT / name


def test_nav_lists_the_pages():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    assert [next(iter(item.values())) for item in nav] == PAGES
    assert all((ROOT / "docs" / page).is_file() for page in PAGES)


def test_mkdocs_builds_strict(tmp_path):
    pytest.importorskip("mkdocstrings")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "WARNING" not in proc.stderr, proc.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("AttackerConformance", "mlp_forward", "judge_path", "Guarantee", "train_population"):
        assert name in api, f"{name} missing from the API page"


def test_no_reference_to_documents_outside_the_repository():
    hits = []
    for path in _text_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if FOREIGN.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert hits == [], "\n".join(hits)


def test_docs_pages_cited_in_the_repository_exist():
    cited = set()
    for path in _text_files():
        cited |= set(re.findall(r"docs/([\w-]+\.md)", path.read_text(errors="replace")))
    assert cited, "no docs/ page is cited anywhere"
    assert sorted(page for page in cited if not (ROOT / "docs" / page).is_file()) == []


def test_the_foreign_pattern_catches_what_it_should():
    assert FOREIGN.search("see theory." + "md §5") and FOREIGN.search("(DESIGN." + "md glossary)")
    assert FOREIGN.search("in the " + "notes found") and FOREIGN.search("the note" + "s' numbers")
    assert not FOREIGN.search("docs/catalogue.md §5, A5") and not FOREIGN.search("dataset 'notes' is 1-D")
