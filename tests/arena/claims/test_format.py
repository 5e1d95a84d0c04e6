"""Claim files: exact round trips, and clear one-line errors for files that cannot be read."""
from __future__ import annotations

import json
import pickle

import pytest
import torch

from arena.claims import zoo
from arena.claims import FORMAT, ClaimFileError, load_claim, save_claim


def test_round_trip_is_exact_for_float32_and_float64(tmp_path):
    claim = zoo.a1_dead_relu()
    claim.theta["layers.1.weight"] = claim.theta["layers.1.weight"].float()
    path = save_claim(claim, tmp_path / "c")
    assert path.name == "claim.json"
    meta = json.loads(path.read_text())
    assert meta["format"] == FORMAT and meta["tensors"] == "claim.safetensors"
    back = load_claim(path)
    assert back.setting == claim.setting and back.attacker == claim.attacker and back.seed == 0
    assert torch.equal(back.X, claim.X) and torch.equal(back.y, claim.y)
    for k in claim.theta:
        assert back.theta[k].dtype == claim.theta[k].dtype
        assert torch.equal(back.theta[k], claim.theta[k])
    assert set(back.witness) == set(claim.witness)
    assert load_claim(tmp_path / "c").notes == claim.notes  # a folder works too


def test_a_pickle_is_never_unpickled(tmp_path):
    path = save_claim(zoo.a1_dead_relu(), tmp_path)
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tmp_path / "claim.safetensors").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ClaimFileError, match="not a readable safetensors file"):
        load_claim(path)
    assert not marker.exists()


def test_truncated_tensor_file(tmp_path):
    path = save_claim(zoo.a1_dead_relu(), tmp_path)
    data = (tmp_path / "claim.safetensors").read_bytes()
    (tmp_path / "claim.safetensors").write_bytes(data[: len(data) - 20])
    with pytest.raises(ClaimFileError) as err:
        load_claim(path)
    assert "\n" not in str(err.value) and "claim.safetensors" in str(err.value)


@pytest.mark.parametrize("text, needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"format": "other/v9"}), "'format' must be"),
    (json.dumps({"format": FORMAT, "tensors": "claim.safetensors"}), "missing key 'setting'"),
    (json.dumps({"format": FORMAT, "setting": {}, "tensors": "../x.safetensors"}), "file name in the same folder"),
    (json.dumps({"format": FORMAT, "setting": {}, "tensors": "nope.safetensors"}), "not found"),
    (json.dumps({"format": FORMAT, "setting": {}, "tensors": "claim.safetensors", "kind": "orbit"}), "'kind' must be"),
])
def test_malformed_json_gets_a_one_line_error(tmp_path, text, needle):
    save_claim(zoo.a1_dead_relu(), tmp_path)
    (tmp_path / "claim.json").write_text(text)
    with pytest.raises(ClaimFileError, match=needle):
        load_claim(tmp_path / "claim.json")


def test_missing_file(tmp_path):
    with pytest.raises(ClaimFileError, match="cannot read claim file"):
        load_claim(tmp_path / "absent.json")
