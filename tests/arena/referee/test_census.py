"""Proofs for a sweep's distinct minima and their re-check from hit_rates.json."""
from __future__ import annotations

import copy
import json

from omegaconf import OmegaConf

from arena.game.sweep import run_sweep
from arena.referee.proofs.census import check_hit_rates, is_hit_rates
from arena.referee.proofs.recheck import run_cli


def test_sweep_proves_its_minima_and_the_file_rechecks(tmp_path, capsys):
    """k = n = 8, 24 restarts: the S_7-symmetric minimum (F = 0.0215080372) is found, proved, re-checked."""
    cfg = OmegaConf.create({"out_dir": str(tmp_path), "seed": 0,
                            "sweep": {"k": [8], "students": ["="], "restarts": 24, "steps": 20000, "workers": 1}})
    (cell,) = run_sweep(cfg)
    minima = cell["census"]["minima"]
    assert minima and abs(minima[0]["loss"] - 0.0215080372) < 1e-9
    assert all(m["proof"] is True for m in minima) and cell["row"]["proved_minima"] == len(minima)
    lo, hi = (float(x) for x in minima[0]["certificate"]["minimum_loss"])
    assert lo <= minima[0]["loss"] + 1e-12 and minima[0]["loss"] - 1e-12 <= hi
    assert "point" not in minima[0]["certificate"]["witness"]  # rebuilt from (k, n) by the checker
    path = tmp_path / "hit_rates.json"
    data = json.loads(path.read_text())
    assert is_hit_rates(data)
    ok, lines = check_hit_rates(data)
    assert ok and lines[-1] == f"{len(minima)} of {len(minima)} distinct spurious minima re-checked as proved"
    assert run_cli([path]) == 0 and "certificate: CHECKED" in capsys.readouterr().out
    bad = copy.deepcopy(data)
    bad["cells"][0]["census"]["minima"][0]["certificate"]["mu_lower"] = "0.5"
    (tmp_path / "edited.json").write_text(json.dumps(bad))
    assert run_cli([tmp_path / "edited.json"]) == 1 and "REJECTED" in capsys.readouterr().out
    bad = copy.deepcopy(data)
    bad["cells"][0]["row"]["n"] = 9  # the same point read as a k = 8, n = 9 minimum does not fit
    assert check_hit_rates(bad)[0] is False
