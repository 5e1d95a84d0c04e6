"""data_search: rediscovers a bad minimum of the undefended 2-4-1 ReLU network (nothing built in), keeps
its data linearly separable with the margin it was given, and reports its first population."""
import json

import pytest
import torch
import yaml

from arena.assumptions import linear_separability
from arena.attackers.data_search import DataSearch
from arena.claims import load_claim
from arena.game.match import MatchSpec, run_match
from arena.landscape.setting import Setting
from arena.search.data import SearchConfig, objective, project_separable
from tests.conftest import ROOT

RELU = {"name": "relu_1hidden", "network": {"input_dim": 2, "hidden": [4], "neuron": "relu", "bias": True},
        "loss": "quadratic_hinge", "regularizer": None}


def test_rediscovers_a_bad_relu_minimum(tmp_path):
    spec = MatchSpec(attacker=DataSearch().config() | {"name": "data_search"},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting=RELU, budget={"restarts": 16, "steps": 400, "datasets": 1, "max_claims": 1},
                     referee={"probe_random": 64, "probe_descent_steps": 15, "restarts": 16, "restart_steps": 600}, seed=0)
    result = run_match(spec, tmp_path / "m", device="cpu")
    assert result["outcome"] == "broken", result.get("reason")
    assert result["verdict"]["verdict"] == "bad_local_min" and result["verdict"]["gap"] > 0.1
    claim = json.loads((tmp_path / "m" / "claim.json").read_text())
    sep = claim["search"]["separator"]
    c = load_claim(tmp_path / "m" / "claim.json")
    u = torch.tensor(sep["u"], dtype=torch.float64)
    assert float((c.y * (c.X @ u + sep["c"])).min()) >= 0.1 - 1e-12  # the margin kept
    assert linear_separability(c.X, c.y).holds
    basin = result["bad_basin"]
    assert basin["restarts"] == 16 and basin["bad"] >= 1 and 0 < basin["ci"][0] <= basin["rate"] <= basin["ci"][1]


def test_projection_keeps_the_margin_and_the_objective_is_differentiable_in_the_data():
    gen = torch.Generator().manual_seed(0)
    Z = torch.randn(12, 2, generator=gen, dtype=torch.float64)
    y = torch.tensor([1.0, -1.0] * 6, dtype=torch.float64)
    u = torch.tensor([0.6, 0.8], dtype=torch.float64)
    X = project_separable(Z, y, u, 0.2, 0.3)
    assert float((y * (X @ u + 0.2)).min()) == pytest.approx(0.3, abs=1e-12)
    ok = (y * (Z @ u + 0.2)) >= 0.3
    assert torch.equal(X[ok], Z[ok])  # points already in the set do not move
    s = Setting.from_config({"network": {"input_dim": 2, "hidden": [3], "neuron": "softplus"}, "loss": "quadratic_hinge"})
    theta = s.flatten(s.init_params(generator=gen)).requires_grad_(True)
    Xr = X.clone().requires_grad_(True)
    J, parts = objective(s, theta, Xr, y, torch.tensor(0.0, dtype=torch.float64), SearchConfig())
    gX, gt = torch.autograd.grad(J, [Xr, theta])
    assert torch.isfinite(gX).all() and float(gX.norm()) > 0 and float(gt.norm()) > 0
    assert set(parts) == {"loss", "grad_norm", "min_eig", "gap"}


def test_config_file_matches_defaults_and_bad_values_fail():
    conf = yaml.safe_load((ROOT / "conf" / "attacker" / "data_search.yaml").read_text())
    assert {k: v for k, v in conf.items() if k not in ("_target_", "name")} == \
        {k: v for k, v in DataSearch().config().items() if k != "_target_"}
    with pytest.raises(ValueError, match="rounds"):
        DataSearch(rounds=-1)
    with pytest.raises(ValueError, match="max_steps"):
        DataSearch(max_steps=0)
