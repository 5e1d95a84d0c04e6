"""A claim file never imports or calls code: Hydra instantiation keys are refused before anything is built."""
from __future__ import annotations

import json

import pytest
import torch

from arena.claims import Claim, load_claim, save_claim, zoo
from arena.cli import main
from arena.game.match import same_setting
from arena.landscape.setting import Setting, code_keys
from arena.referee.judge import judge_safely


def _hostile_settings(marker) -> dict[str, dict]:
    base = zoo.a1_dead_relu().setting
    net = base["network"]
    return {
        "open": {**base, "network": {"_target_": "builtins.open", "_args_": [str(marker), "w"]}},
        "os_system": {**base, "network": {"_target_": "os.system", "_args_": [f"touch {marker}"]}},
        "popen": {**base, "network": {"_target_": "subprocess.Popen", "_args_": [["touch", str(marker)]]}},
        "partial": {**base, "network": {"_target_": "builtins.open", "_partial_": True, "file": str(marker), "mode": "w"}},
        "in_loss": {**base, "loss": {"name": "quadratic_hinge", "_target_": "builtins.open", "_args_": [str(marker), "w"]}},
        "in_neuron": {**base, "network": {**net, "neuron": {"name": "relu", "_target_": "os.system",
                                                             "_args_": [f"touch {marker}"]}}},
        "in_regularizer": {**base, "regularizer": [{"name": "l2", "weight": 0.1},
                                                   {"_target_": "builtins.open", "_args_": [str(marker), "w"]}]},
    }


@pytest.mark.parametrize("variant", ["open", "os_system", "popen", "partial", "in_loss", "in_neuron", "in_regularizer"])
def test_hostile_setting_runs_nothing_and_is_invalid(tmp_path, variant, capsys):
    marker = tmp_path / "x.txt"
    claim = zoo.a1_dead_relu()
    claim.setting = _hostile_settings(marker)[variant]
    path = save_claim(claim, tmp_path / "claim")
    # the referee on the claim as an attacker hands it over, and as read back from its file
    for candidate in (claim, load_claim(path)) if not variant.startswith("in_") else (claim,):
        v = judge_safely(candidate, {"restarts": 0}, device="cpu")
        assert v.verdict == "invalid" and "asks to import and call code" in v.reasons[0]
    # arena verify: one line and exit 2 (the schema refuses keys the spec does not allow, the code
    # check the rest), even with the opt-in for keys outside the network
    flags = ["--allow-custom-network"] if variant.startswith("in_") else []
    assert main(["verify", str(path), "--device", "cpu", "--set", "restarts=0", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena verify:") and "\n" not in err
    assert not marker.exists()


def test_hostile_network_is_refused_by_every_entry_point(tmp_path):
    marker = tmp_path / "x.txt"
    hostile = _hostile_settings(marker)["open"]
    with pytest.raises(ValueError, match="network._target_ asks to import"):
        Setting.from_claim(hostile)
    with pytest.raises(ValueError, match="loss._target_"):  # the opt-in covers the network only
        Setting.from_claim(_hostile_settings(marker)["in_loss"], allow_custom_network=True)
    trusted = Setting.from_config(zoo.a1_dead_relu().setting)
    assert not same_setting(hostile, trusted)  # a tournament compares data, builds nothing
    assert code_keys(hostile) == ["network._target_", "network._args_"]
    assert not marker.exists()


def test_custom_network_with_the_users_opt_in(tmp_path, capsys):
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.5]], dtype=torch.float64)
    y = torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
    network = {"_target_": "arena.landscape.network.MLP", "input_dim": 2, "hidden": [2]}
    trusted = Setting.from_config({"network": network, "loss": "quadratic_hinge"})
    theta = trusted.init_params(generator=torch.Generator().manual_seed(0))
    claim = Claim(trusted.to_config(), X, y, theta)
    path = save_claim(claim, tmp_path / "c")
    refused = judge_safely(load_claim(path), {"restarts": 0}, device="cpu")
    assert refused.verdict == "invalid" and "--allow-custom-network" in refused.reasons[0]
    assert main(["verify", str(path), "--device", "cpu", "--set", "restarts=0"]) == 2
    assert "--allow-custom-network" in capsys.readouterr().err
    assert main(["verify", str(path), "--json", "--device", "cpu", "--set", "restarts=0", "--allow-custom-network"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] != "invalid" and out["evidence"]["num_params"] == 9
    # the tournament's way: the user's own setting, compared with the claim's as data
    assert same_setting(load_claim(path).setting, trusted)
    v = judge_safely(load_claim(path), {"restarts": 0}, device="cpu", setting=trusted)
    assert v.verdict == out["verdict"]
