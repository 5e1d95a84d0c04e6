"""docs/claim-format.md, the JSON Schema and the loader agree: one test per documented sentence on
repeated keys and on the teacher–student task."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save

from arena.claims import ClaimFileError, load_claim, save_claim, zoo
from arena.claims.format import schema_problem
from arena.referee.config import RefereeConfig
from arena.referee.steps.validate import validate

f64 = torch.float64


def _write(folder, meta_text: str, tensors: dict[str, torch.Tensor]):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claim.safetensors").write_bytes(save(tensors))
    (folder / "claim.json").write_text(meta_text)
    return folder / "claim.json"


def _ts_meta(setting: str) -> str:
    return ('{"format": "localmin-arena/claim/v1", "kind": "local_min", "setting": ' + setting
            + ', "tensors": "claim.safetensors"}')


# "no object repeats a key ... such a file is refused, at any depth"
def test_a_repeated_top_level_key_is_refused(tmp_path):
    good = save_claim(zoo.a1_dead_relu(), tmp_path / "c")
    text = good.read_text().replace('"setting": {', '"setting": {"network": {"input_dim": 7}}, "setting": {', 1)
    good.write_text(text)
    with pytest.raises(ClaimFileError, match="'setting' appears twice"):
        load_claim(good)


def test_a_repeated_nested_key_is_refused(tmp_path):
    good = save_claim(zoo.a1_dead_relu(), tmp_path / "c")
    meta = json.loads(good.read_text())
    assert meta["setting"]["loss"]
    text = good.read_text().replace('"loss":', '"loss": "logistic", "loss":', 1)
    good.write_text(text)
    with pytest.raises(ClaimFileError, match="'loss' appears twice"):
        load_claim(good)


# "... and so is a safetensors header that names a tensor twice"
def test_a_tensor_named_twice_in_the_header_is_refused(tmp_path):
    path = save_claim(zoo.a1_dead_relu(), tmp_path / "c")
    blob = (tmp_path / "c" / "claim.safetensors").read_bytes()
    n = int.from_bytes(blob[:8], "little")
    header = blob[8: 8 + n].decode()
    first = header.index('"theta.layers.1.bias"')
    entry_end = header.index("}", first) + 1
    entry = header[first:entry_end]
    forged = header[:entry_end] + "," + entry + header[entry_end:]
    pad = forged.encode()
    (tmp_path / "c" / "claim.safetensors").write_bytes(len(pad).to_bytes(8, "little") + pad + blob[8 + n:])
    with pytest.raises(ClaimFileError, match="appears twice"):
        load_claim(path)


# "Such a claim holds the student's parameters as theta.W [n, d] and no data: X and y are absent"
def test_a_teacher_student_claim_without_data_loads_and_validates(tmp_path):
    W = torch.tensor([[0.9, 0.1, 0.0], [0.05, 1.1, 0.2]], dtype=f64)
    path = _write(tmp_path / "ts", _ts_meta('{"task": "teacher_student", "k": 2, "n": 2, "d": 3}'), {"theta.W": W})
    claim = load_claim(path)
    assert claim.X.shape == (0, 0) and claim.y.shape == (0,)
    setting, problems = validate(claim, RefereeConfig())
    assert problems == [] and setting.num_params == 6


# "d defaults to k (and must be at least k)"
def test_d_defaults_to_k_and_must_cover_k(tmp_path):
    W = torch.tensor([[0.7, 0.2], [0.1, 0.6], [0.3, 0.3]], dtype=f64)
    claim = load_claim(_write(tmp_path / "a", _ts_meta('{"task": "teacher_student", "k": 2, "n": 3}'), {"theta.W": W}))
    setting, problems = validate(claim, RefereeConfig())
    assert problems == [] and setting.param_shapes == {"W": (3, 2)}
    claim = load_claim(_write(tmp_path / "b", _ts_meta('{"task": "teacher_student", "k": 3, "n": 3, "d": 2}'),
                              {"theta.W": W}))
    _, problems = validate(claim, RefereeConfig())
    assert problems and "d >= k" in problems[0]


# "k and n are required ... the setting has no other keys"
@pytest.mark.parametrize("setting, where", [({"task": "teacher_student", "k": 2}, "setting"),
                                            ({"task": "teacher_student", "k": 2, "n": 2, "width": 3}, "setting"),
                                            ({"task": {"name": "teacher_student"}, "k": 2, "n": 2}, "setting")])
def test_the_schema_refuses_what_the_text_excludes(setting, where):
    meta = {"format": "localmin-arena/claim/v1", "setting": setting, "tensors": "claim.safetensors"}
    problem = schema_problem(meta)
    assert problem is not None and f"at {where}" in problem


def test_a_teacher_student_claim_with_the_wrong_shape_is_invalid(tmp_path):
    W = torch.ones(3, 3, dtype=f64)
    claim = load_claim(_write(tmp_path / "c", _ts_meta('{"task": "teacher_student", "k": 2, "n": 2, "d": 3}'),
                              {"theta.W": W}))
    _, problems = validate(claim, RefereeConfig())
    assert problems and "theta" in problems[0]
