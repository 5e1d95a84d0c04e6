"""init_search: knobs, the halving within the budget, a match on fixed data judged by the referee."""
from __future__ import annotations

import json

import pytest
import torch
import yaml

from arena.attackers.init_search import InitSearch
from arena.claims import load_claim
from arena.contract import Budget
from arena.data import load_data
from arena.data.bind import data_applies
from arena.game.match import MatchSpec, run_match
from arena.landscape.setting import Setting
from tests.conftest import ROOT

WINE = {"name": "wine", "source": "wine", "positive": [0], "negative": [1, 2], "standardize": True, "subsample": 40}


def setting_loss(claim, params):
    return Setting.from_config(claim.setting).empirical_loss(params, claim.X, claim.y)


def node(group: str, name: str) -> dict:
    return yaml.safe_load((ROOT / "conf" / group / f"{name}.yaml").read_text())


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("kwargs, message", [
    ({"schemes": ()}, r"^attacker init_search: schemes must be a non-empty list, got \(\)$"),
    ({"schemes": ("torch", "he")}, r"^attacker init_search: init must be one of torch, .*, got 'he'$"),
    ({"scales": (1.0, True)}, r"^attacker init_search: each of scales must be > 0, got True$"),
    ({"lrs": (0.01, -1.0)}, r"^attacker init_search: lr must be > 0, got -1.0$"),
    ({"optimizer": "lbfgs"}, r"^attacker init_search: optimizer must be one of adam, sgd, got 'lbfgs'$"),
    ({"momentum": 0.9}, r"^attacker init_search: momentum applies to optimizer sgd only"),
    ({"batch_size": True}, r"^attacker init_search: batch_size must be an integer >= 0 or null, got True$"),
    ({"probe_fraction": 1.0}, r"^attacker init_search: probe_fraction must be < 1, got 1.0$"),
    ({"probe_steps": 0}, r"^attacker init_search: probe_steps must be > 0, got 0$"),
    ({"keep": 0}, r"^attacker init_search: keep must be a positive integer, got 0$"),
    ({"polish_iters": 2.5}, r"^attacker init_search: polish_iters must be a positive integer, got 2.5$"),
])
def test_bad_knobs_get_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InitSearch(**kwargs)


def test_config_file_builds_the_defaults():
    cfg = {k: v for k, v in node("attacker", "init_search").items() if k not in ("_target_", "name")}
    built = InitSearch(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})
    assert built == InitSearch()


def test_halving_stays_within_the_budget_and_narrows_to_keep():
    data = load_data(WINE)
    X, y = data.tensors()
    setting = Setting.from_config({"network": {"input_dim": data.d, "hidden": [2], "neuron": "relu"}})
    budget = Budget(restarts=8, steps=200)
    search = InitSearch(schemes=("torch", "kaiming_normal"), scales=(1.0, 4.0), lrs=(0.01, 0.1), progress_bar=False)
    arms, log = search.search(setting, X, y, budget, seed=3)
    assert len(arms) == 8 and log["budget_network_steps"] == 1600
    assert 0.5 * 1600 <= log["network_steps"] <= 1600
    survivors = [len(r["arms"]) for r in log["rounds"]]
    assert survivors == [8, 4, 2]  # halved each round: ceil(log2(8 / keep)) = 3 rounds
    (chosen,) = log["chosen"]
    assert chosen in log["rounds"][-1]["arms"]
    probes = sum(r["restarts_per_arm"] * len(r["arms"]) * r["steps"] for r in log["rounds"])
    final = [a for a in arms if a.final.stop > a.final.start]
    (kept,) = final
    assert kept.label() == chosen and kept.final.stop - kept.final.start == (1600 - probes) // 200 >= 1
    assert log["network_steps"] == probes + 200 * (kept.final.stop - kept.final.start)
    points = sum(r["restarts_per_arm"] * len(r["arms"]) for r in log["rounds"]) + kept.final.stop - kept.final.start
    assert sum(int(a.loss.numel()) for a in arms) == points  # every trained point is kept
    assert all(torch.isfinite(a.loss).all() for a in arms)


def test_plays_a_match_on_fixed_data_and_the_referee_judges_its_claims(tmp_path):
    assert data_applies(InitSearch(), load_data(WINE)) == (True, "") and data_applies(InitSearch(), None)[0]
    spec = MatchSpec(attacker=node("attacker", "init_search"), defender=node("defender", "none"),
                     setting={**node("setting", "relu_1hidden"), "network": {**node("setting", "relu_1hidden")["network"],
                                                                          "hidden": [2]}},
                     budget={**node("budget", "smoke"), "restarts": 8, "steps": 200, "max_claims": 2},
                     referee=node("referee", "fast"), data=WINE)
    result = run_match(spec, tmp_path / spec.match_id, device="cpu")
    assert result["outcome"] in ("broken", "held"), result.get("reason")
    (population,) = result["bad_basin"]["populations"]  # the chosen configuration's full-length restarts
    assert population["label"].startswith("init_search data wine (") and population["comparable"] is False
    assert result["claims"] and all(c["verdict"] for c in result["claims"])  # each claim got a verdict
    if result["outcome"] == "broken":
        claim = json.loads((tmp_path / spec.match_id / "claim.json").read_text())
        search = claim["search"]
        assert search["network_steps"] <= 8 * 200 and search["config"].split()[0] in ("torch", "kaiming_normal",
                                                                                     "xavier_normal")
        loaded = load_claim(tmp_path / spec.match_id / "claim.json")
        assert search["above_best_final"]["restarts"] >= 1 and loaded.witness is not None
        assert float(setting_loss(loaded, loaded.witness)) < float(setting_loss(loaded, loaded.theta)) - 1e-4
