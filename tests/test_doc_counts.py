"""The numbers of matches the docs state are the sizes of the grids the configs define.

The grid of ``python -m arena [experiment=NAME]`` (without ``-m``) is ``tournament.attackers ×
tournament.defenders × tournament.settings × tournament.seeds``, ``all`` standing for every config
of the group (arena.game.tournament.grid_specs). :func:`facts` computes those sizes from the
configs; ``STATED`` finds each place where README.md or docs/ states one (a regular expression whose
named groups are facts); every "N matches" in the docs must be one of them or in ``RUNS``: a count
of a described run (an earlier grid, a sub-grid), named with the reason it is not today's grid. The
README's list of config groups names every config of the small groups (experiments included).
"""
from __future__ import annotations

import re
from functools import cache

import pytest

from tests.conftest import ROOT
from tests.doc_text import pages

EXPERIMENTS = sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))


def _grid(overrides: list[str]) -> dict[str, int]:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="arena.conf", version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
            loader = GlobalHydra.instance().config_loader()
            t = OmegaConf.to_container(cfg.tournament, resolve=True)
            sizes = {}
            for group, axis in (("attacker", "attackers"), ("defender", "defenders"), ("setting", "settings")):
                wanted = t[axis]
                sizes[axis] = len(loader.get_group_options(group)) if wanted in (None, "all", "*") else \
                    1 if isinstance(wanted, str) else len(wanted)
            sizes["seeds"] = 1 if isinstance(t["seeds"], int) else len(t["seeds"])
            sizes["matches"] = sizes["attackers"] * sizes["defenders"] * sizes["settings"] * sizes["seeds"]
            sweep = cfg.get("sweep")
            if sweep:
                sizes["cells"] = len(sweep.k) * len(sweep.students)
            basins = cfg.get("basins")
            if basins:
                sizes["cells"] = len(basins.data) * len(basins.neurons) * len(basins.widths) * len(basins.depths)
            return sizes
    finally:
        GlobalHydra.instance().clear()


@cache
def grids() -> dict[str, dict[str, int]]:
    """``default`` and each experiment -> its grid's sizes (the tournament with ``sweep=null``/``basins=null``)."""
    from arena.game.registry import register_configs

    register_configs("pkg://arena.conf")  # installed plugins join 'all', as in python -m arena
    out = {"default": _grid([])}
    for name in EXPERIMENTS:
        out[name] = _grid([f"experiment={name}"])
    return out


@cache
def facts() -> dict[str, int]:
    g = grids()
    return {"default": g["default"]["matches"], "default_attackers": g["default"]["attackers"],
            "default_defenders": g["default"]["defenders"], "default_defenders_again": g["default"]["defenders"],
            # the default grid before symmetric_family and init_search joined (the README's timed run)
            "default_before_symmetric": (g["default"]["attackers"] - 2) * g["default"]["defenders"],
            "talk": g["talk"]["matches"], "talk_attackers": g["talk"]["attackers"],
            "talk_defenders": g["talk"]["defenders"], "talk_settings": g["talk"]["settings"],
            "safran_shamir_cells": g["safran_shamir"]["cells"], "real_data_cells": g["real_data"]["cells"],
            "real_data_full_cells": g["real_data_full"]["cells"]}


STATED = [
    ("README.md", r"(?P<default>\d+) matches \((?P<default_attackers>\d+)\s+attackers × (?P<default_defenders>\d+) "
                  r"defenders; the (?P<default_before_symmetric>\d+) matches before `symmetric_family` and `init_search` "
                  r"joined"
                  r"[^;]*?its (?P<default_defenders_again>\d+) are `incompatible`"),
    ("README.md", r"experiment=talk\s+# (?P<talk>\d+) matches \((?P<talk_attackers>\d+) attackers × "
                  r"(?P<talk_defenders>\d+) defenders × (?P<talk_settings>\d+) settings\)"),
    ("README.md", r"in every one of\s+the (?P<safran_shamir_cells>\d+) cells"),
    ("docs/catalogue.md", r"experiment=talk\s+# (?P<talk>\d+) matches"),
    ("docs/catalogue.md", r"plays every attacker against these defenders on\s+(?P<talk_settings>\w+) base settings"),
    ("docs/scaling.md", r"plays the default tournament \((?P<default>\d+) matches"),
    ("docs/data.md", r"The default sweep is small:[^:]*: (?P<real_data_cells>\d+) cells"),
    ("docs/data.md", r"`experiment=real_data_full`[^.]*?\((?P<real_data_full_cells>\d+) cells"),
    ("README.md", r"`experiment=real_data_full` \((?P<real_data_full_cells>\d+) cells"),
]

# "N matches" that count a described run rather than a config's grid today, with why
RUNS = {
    ("README.md", "650"): "the talk's time, measured before teacher_student_search and symmetric_family joined",
    ("README.md", "176"): "benchmarks/gpu.py --quick, run before symmetric_family joined",
    ("docs/scaling.md", "104"): "the table's run, when the default tournament had 104 matches",
    ("docs/catalogue.md", "416"): "the leaderboard shown, from the talk with 8 attackers and 4 settings",
    ("docs/search.md", "8"): "a sub-grid of data searches: 2 networks × 2 neurons × 2 seeds",
    ("docs/search.md", "4"): "the outcomes of that sub-grid's searches",
}
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def _number(text: str) -> int:
    return WORDS[text] if text in WORDS else int(text.replace(",", ""))


def test_the_grids_are_what_the_configs_say():
    g = grids()
    attackers = len(list((ROOT / "conf" / "attacker").glob("*.yaml")))
    defenders = len(list((ROOT / "conf" / "defender").glob("*.yaml")))
    assert g["default"] == {"attackers": attackers, "defenders": defenders, "settings": 1, "seeds": 1,
                            "matches": attackers * defenders}
    assert g["talk"]["settings"] == 5 and g["talk"]["defenders"] == 13 and g["talk"]["attackers"] == attackers
    assert g["safran_shamir"]["matches"] == 16 and g["safran_shamir"]["cells"] == 60
    assert g["real_data"]["cells"] == 3 * 3 * 4 * 1 and g["real_data_full"]["cells"] == 5 * 3 * 7 * 2
    assert set(g) == {"default", *EXPERIMENTS}


@pytest.mark.parametrize("page,pattern", STATED, ids=[f"{p}:{i}" for i, (p, _) in enumerate(STATED)])
def test_stated_count_matches_the_grid(page, pattern):
    text = (ROOT / page).read_text()
    found = list(re.finditer(pattern, text))
    assert found, f"{page}: no longer states {pattern!r}; update STATED"
    f = facts()
    for m in found:
        wrong = {k: (v, f[k]) for k, v in m.groupdict().items() if _number(v) != f[k]}
        assert wrong == {}, f"{page}: {m.group(0)!r}: stated vs computed {wrong}"


def test_every_match_count_in_the_docs_is_checked_or_a_described_run():
    checked = {}
    for page, pattern in STATED:
        for m in re.finditer(pattern, (ROOT / page).read_text()):
            for name in m.groupdict():
                checked.setdefault(page, set()).add(m.start(name))
    loose = []
    for path in pages():
        page = str(path.relative_to(ROOT))
        for m in re.finditer(r"\b(\d[\d,]*)\s+matches\b", path.read_text()):
            if m.start(1) not in checked.get(page, set()) and (page, m.group(1)) not in RUNS:
                loose.append(f"{page}: {m.group(0)!r}")
    assert loose == [], "check these in STATED or name them in RUNS:\n" + "\n".join(loose)
    stale = [key for key in RUNS if not re.search(rf"\b{key[1]}\s+matches\b", (ROOT / key[0]).read_text())]
    assert stale == [], f"RUNS names counts the docs no longer state: {stale}"


def test_the_readme_leaderboard_has_every_attacker_and_defender():
    text = (ROOT / "README.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| defender \\ attacker |"))
    table = text[text.index(header):].split("\n\n", 1)[0].splitlines()
    columns = [c.strip() for c in header.strip("|").split("|")][1:-1]  # without the bad-basin column
    rows = [line.split("|")[1].strip() for line in table[2:]]
    assert columns == sorted(p.stem for p in (ROOT / "conf" / "attacker").glob("*.yaml"))
    assert sorted(rows) == sorted(p.stem for p in (ROOT / "conf" / "defender").glob("*.yaml"))


def _listed(text: str, group: str) -> list[str]:
    """The backticked names of the README's "`group/` (...)" entry."""
    m = re.search(rf"`{group}/`\s+\(([^)]*)\)", text)
    assert m, f"README.md: the config groups no longer list {group}/"
    return re.findall(r"`(\w+)`", m.group(1))


@pytest.mark.parametrize("group", ["experiment", "budget", "referee", "logger", "launcher"])
def test_readme_lists_every_config_of_the_group(group):
    shipped = sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml"))
    assert sorted(_listed((ROOT / "README.md").read_text(), group)) == shipped
