"""Fixed data meet a match: the network's input dimension, who may attack, which claims count."""
from __future__ import annotations

import json

import yaml

from arena.claims import Claim
from arena.data import load_data
from arena.data.bind import claim_problem, data_applies, fit_setting
from arena.game.match import MatchSpec, run_match
from arena.landscape.setting import Setting
from tests.conftest import ROOT

WINE = {"name": "wine", "source": "wine", "positive": [0], "negative": [1, 2], "standardize": True}


def node(group: str, name: str) -> dict:
    return yaml.safe_load((ROOT / "conf" / group / f"{name}.yaml").read_text())


def test_network_built_for_the_data_and_population_tasks_refused():
    data = load_data(WINE)
    base = Setting.from_config({"network": {"input_dim": 2, "hidden": [3], "neuron": "relu"}})
    fitted, why = fit_setting(base, data)
    assert why == "" and fitted.input_dim == 13 and fitted.to_config()["network"]["hidden"] == [3]
    task = Setting.from_config({k: v for k, v in node("setting", "teacher_student_k6").items() if k != "name"})
    fitted, why = fit_setting(task, data)
    assert fitted is None and "population task" in why


def test_only_attackers_declaring_fixed_data_play_it():
    data = load_data(WINE)

    class Chooser:
        name = "chooser"

    class Taker:
        name = "taker"
        fixed_data = True

    ok, why = data_applies(Chooser(), data)
    assert not ok and why.startswith("attacker chooser chooses its own data") and "data=wine" in why
    assert data_applies(Taker(), data) == (True, "") and data_applies(Chooser(), None) == (True, "")


def test_a_claim_on_other_data_does_not_count():
    data = load_data(WINE)
    X, y = data.tensors()
    same = Claim({}, X, y, {})
    assert claim_problem(same, data) is None and claim_problem(same, None) is None
    X2 = X.clone()
    X2[0, 0] += 1e-12
    assert "not the fixed data set wine" in claim_problem(Claim({}, X2, y, {}), data)


def test_random_restarts_trains_on_the_fixed_data(tmp_path):
    spec = MatchSpec(attacker=node("attacker", "random_restarts"), defender=node("defender", "none"),
                     setting=node("setting", "relu_1hidden"), budget={**node("budget", "smoke"), "restarts": 6},
                     referee=node("referee", "fast"), data={**WINE, "subsample": 40})
    result = run_match(spec, tmp_path / spec.match_id, device="cpu")
    data = load_data({**WINE, "subsample": 40})
    assert result["outcome"] in ("broken", "held"), result.get("reason")
    assert result["data"]["fingerprint"] == data.fingerprint and result["defended_setting"]["network"]["input_dim"] == 13
    (population,) = result["bad_basin"]["populations"]  # one population, on the fixed data
    assert population["restarts"] == 6 and population["label"] == "random_restarts data wine"
    if result["outcome"] == "broken":
        claim = json.loads((tmp_path / spec.match_id / "claim.json").read_text())
        assert claim["data"] == {"name": "wine", "fingerprint": data.fingerprint, "n": 40, "d": 13}
