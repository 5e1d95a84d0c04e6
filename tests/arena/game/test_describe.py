"""``arena list`` and ``arena info NAME``."""
from __future__ import annotations

from arena.cli import main
from arena.defenders.softplus import Softplus
from arena.game.registry import discover
from arena.testing import base_settings


def test_list_shows_every_plugin_with_kind_and_first_docstring_line(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for kind in ("attacker", "defender"):
        for name in discover(kind):
            (line,) = [ln for ln in lines if ln.split()[0] == name]
            assert line.split()[1] == kind
    (softplus,) = [ln for ln in lines if ln.startswith("softplus ")]
    assert softplus.endswith("Softplus neurons (increasing, strictly convex): Liang, Sun, Li, Srikant, \"Understanding the Loss")


def test_info_of_a_defender_lists_its_guarantee(capsys):
    assert main(["info", "softplus"]) == 0
    out = capsys.readouterr().out
    assert "_target_: arena.defenders.softplus.Softplus" in out
    assert "Run: ``python -m arena attacker=dead_relu defender=softplus``" in out
    guarantee = Softplus().guarantee(base_settings()["relu_1hidden"])
    assert "promise no_bad_local_min" in out and guarantee.paper in out
    for a in guarantee.assumptions:
        assert f"  - {a.label}: {a.description}" in out


def test_info_of_an_attacker_shows_config_and_paper(capsys):
    assert main(["info", "linear_region"]) == 0
    out = capsys.readouterr().out
    assert "linear_region (attacker) = arena.attackers.linear_region:LinearRegion" in out
    assert "paper: Yun, Sra, Jadbabaie" in out


def test_info_of_an_unknown_name_lists_the_names(capsys):
    assert main(["info", "no_such_plugin"]) == 2
    err = capsys.readouterr().err
    assert "no plugin named 'no_such_plugin'" in err and "dead_relu" in err and "softplus" in err
