"""Hostile claim files: never a crash, a hang or unbounded memory; always ``invalid`` or a one-line refusal.

Hypothesis mutates a valid claim (its JSON, its tensors, the raw bytes of its safetensors file);
every example must end as a :class:`ClaimFileError` or a verdict
(mutations that keep the claim valid may get any verdict), and a referee crash caught by
``judge_safely`` counts as a failure here: validation must name the problem first. The default run
keeps to a few seconds; ``-m slow`` runs the same properties on many more examples.

What bounds the referee's work is its own caps (``CHEAP`` below), not a clock: the per-example
deadline of two minutes only turns a hang into a failure. Examples take milliseconds to a few
seconds, depending on the machine and its load, so a tighter deadline would race them.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.claims import Claim, ClaimFileError, load_claim, save_claim, zoo
from arena.claims.format import MAX_JSON_BYTES, check_safetensors_header
from arena.cli import main
from arena.referee.judge import VERDICTS, judge_safely

CHEAP = {"restarts": 0, "probe_random": 8, "probe_descent_steps": 2, "probe_descent_starts": 1,
         "probe_radii": [0.1, 0.01, 0.001], "polish_iters": 5, "max_path_evaluations": 1e6}
FAST = settings(max_examples=12, deadline=timedelta(seconds=120), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=300, derandomize=False)

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
KEY_PATHS = [("format",), ("kind",), ("setting",), ("setting", "network"), ("setting", "network", "input_dim"),
             ("setting", "network", "hidden"), ("setting", "network", "neuron"), ("setting", "loss"),
             ("setting", "regularizer"), ("tensors",), ("seed",), ("notes",), ("attacker",), ("path",),
             ("setting", "network", "_target_")]


def _template(kind: str) -> tuple[dict, dict]:
    """A valid claim as (claim.json dict, tensors) to mutate."""
    claim = zoo.a12_path() if kind == "path" else zoo.a1_dead_relu()
    with tempfile.TemporaryDirectory() as tmp:
        path = save_claim(claim, tmp)
        from safetensors.torch import load_file

        return json.loads(path.read_text()), load_file(str(Path(tmp) / "claim.safetensors"))


TEMPLATES = {kind: _template(kind) for kind in ("local_min", "path")}


def _judge_folder(folder: Path) -> str:
    """'refused' (ClaimFileError) or the verdict; fails on any other exception or a referee crash."""
    try:
        claim = load_claim(folder)
    except ClaimFileError as exc:
        assert "\n" not in str(exc)
        return "refused"
    v = judge_safely(claim, CHEAP, device="cpu")
    assert v.verdict in VERDICTS
    assert not (v.reasons and v.reasons[0].startswith("referee failed")), v.reasons
    return v.verdict


def _write(folder: Path, meta, tensors) -> None:
    from safetensors.torch import save_file

    (folder / "claim.json").write_text(json.dumps(meta, allow_nan=True) if not isinstance(meta, str) else meta)
    if tensors is not None:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / "claim.safetensors"))


def _set(meta: dict, path: tuple[str, ...], value, delete: bool) -> None:
    node = meta
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    if delete:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


@st.composite
def mutated_json(draw):
    kind = draw(st.sampled_from(sorted(TEMPLATES)))
    meta = json.loads(json.dumps(TEMPLATES[kind][0]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(KEY_PATHS))
        value = draw(json_values)
        if draw(st.booleans()) and draw(st.booleans()):
            depth = draw(st.integers(1, 3000))
            value = json.loads("[" * depth + json.dumps(value) + "]" * depth) if depth < 900 else ("deep", depth)
        _set(meta, path, value, delete=draw(st.booleans()) and draw(st.booleans()))
    return kind, meta


def _render(meta) -> str:
    """JSON text; a ('deep', n) marker becomes n nested lists written by hand (beyond json.dumps)."""
    marker = "__DEEP__"
    deep = []

    def swap(node):
        if isinstance(node, tuple) and node and node[0] == "deep":
            deep.append(node[1])
            return marker
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(meta), allow_nan=True)
    for n in deep:
        text = text.replace(json.dumps(marker), "[" * n + "1" + "]" * n, 1)
    return text


def _check_mutated_json(case) -> None:
    kind, meta = case
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), _render(meta), TEMPLATES[kind][1])
        _judge_folder(Path(tmp))


@FAST
@given(mutated_json())
def test_mutated_json(case):
    _check_mutated_json(case)


@FAST
@given(mutated_json())
def test_mutated_claims_handed_over_in_memory(case):
    """An attacker hands claims over in-process, past the JSON Schema: the referee alone must cope."""
    kind, meta = case
    tensors = TEMPLATES[kind][1]
    known = ("format", "kind", "setting", "tensors", "attacker", "seed", "notes")
    claim = Claim(setting=meta.get("setting"), X=tensors["X"], y=tensors["y"],
                  theta={k[len("theta."):]: v for k, v in tensors.items() if k.startswith("theta.")},
                  kind=kind, extra={k: v for k, v in meta.items() if k not in known},
                  extra_tensors={k: v for k, v in tensors.items() if k.startswith("path")})
    v = judge_safely(claim, CHEAP, device="cpu")
    assert v.verdict in VERDICTS and not v.reasons[0].startswith("referee failed"), v.reasons


DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.uint8, torch.bool]
VALUES = [0.0, 1.0, -1.0, 2.0, math.nan, math.inf, -math.inf, 1e300]


@st.composite
def mutated_tensors(draw):
    kind = draw(st.sampled_from(sorted(TEMPLATES)))
    tensors = {k: v.clone() for k, v in TEMPLATES[kind][1].items()}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(tensors) + ["theta.bogus", "path.exp.w", "path_t", "witness.x"]))
        action = draw(st.sampled_from(["dtype", "shape", "value", "delete"]))
        if action == "delete":
            tensors.pop(name, None)
            continue
        base = tensors.get(name, torch.zeros(2, dtype=torch.float64))
        if action == "dtype":
            tensors[name] = base.to(draw(st.sampled_from(DTYPES)))
        elif action == "shape":
            shape = draw(st.lists(st.integers(0, 4), max_size=3))
            tensors[name] = torch.full(shape, draw(st.sampled_from(VALUES)), dtype=torch.float64)
        elif base.numel():
            flat = base.to(torch.float64).reshape(-1).clone()
            flat[draw(st.integers(0, flat.numel() - 1))] = draw(st.sampled_from(VALUES))
            tensors[name] = flat.reshape(base.shape)
    return kind, tensors


@FAST
@given(mutated_tensors())
def test_mutated_tensors(case):
    kind, tensors = case
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), TEMPLATES[kind][0], tensors)
        _judge_folder(Path(tmp))


@FAST
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6),
       st.one_of(st.none(), st.integers(0, 2**64 - 1)), st.one_of(st.none(), st.integers(0, 600)))
def test_mutated_safetensors_bytes(flips, header_len, cut):
    meta, tensors = TEMPLATES["local_min"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, meta, tensors)
        data = bytearray((folder / "claim.safetensors").read_bytes())
        for pos, byte in flips:
            if pos < len(data):
                data[pos] = byte
        if header_len is not None:
            data[:8] = header_len.to_bytes(8, "little")
        if cut is not None:
            data = data[:cut]
        (folder / "claim.safetensors").write_bytes(bytes(data))
        _judge_folder(folder)


@pytest.mark.slow
@SLOW
@given(mutated_json())
def test_mutated_json_many(case):
    _check_mutated_json(case)


@pytest.mark.slow
@SLOW
@given(mutated_tensors())
def test_mutated_tensors_many(case):
    test_mutated_tensors.hypothesis.inner_test(case)


def _header_file(folder: Path, header: dict, payload: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path = folder / "claim.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + payload)
    return path


@pytest.mark.parametrize("header, needle", [
    ({"X": {"dtype": "F64", "shape": [10**6, 10**6], "data_offsets": [0, 8 * 10**12]}}, "exceed the limit"),
    ({"X": {"dtype": "F64", "shape": [2], "data_offsets": [0, 10**9]}}, "disagree"),
    ({"X": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, "dtype"),
    ({"X": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}}, "shape"),
    ({f"t{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(10_001)}, "tensors exceed"),
])
def test_sizes_are_checked_from_the_header_before_loading(tmp_path, header, needle):
    path = _header_file(tmp_path, header)
    with pytest.raises(ClaimFileError, match=needle):
        check_safetensors_header(path)


def test_declared_header_length_beyond_the_file(tmp_path):
    path = tmp_path / "claim.safetensors"
    path.write_bytes((2**62).to_bytes(8, "little") + b"{}")
    with pytest.raises(ClaimFileError, match="declared header"):
        check_safetensors_header(path)


def test_oversized_and_deep_claim_json_are_refused_before_parsing(tmp_path, capsys):
    save_claim(zoo.a1_dead_relu(), tmp_path)
    (tmp_path / "claim.json").write_bytes(b" " * (MAX_JSON_BYTES + 1))
    with pytest.raises(ClaimFileError, match="larger than"):
        load_claim(tmp_path)
    (tmp_path / "claim.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ClaimFileError, match="not valid JSON"):
        load_claim(tmp_path)
    assert main(["verify", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_symlinks_and_special_files(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    save_claim(zoo.a1_dead_relu(), outside)
    folder = tmp_path / "claim"
    folder.mkdir()
    shutil.copy(outside / "claim.json", folder / "claim.json")
    os.symlink(outside / "claim.safetensors", folder / "claim.safetensors")
    with pytest.raises(ClaimFileError, match="outside the claim's folder"):
        load_claim(folder)
    (folder / "claim.safetensors").unlink()
    shutil.copy(outside / "claim.safetensors", folder / "real.safetensors")
    os.symlink("real.safetensors", folder / "claim.safetensors")  # a link inside the folder is fine
    assert load_claim(folder).X.shape == zoo.a1_dead_relu().X.shape
    (folder / "claim.safetensors").unlink()
    os.mkfifo(folder / "claim.safetensors")  # reading a FIFO would block forever
    with pytest.raises(ClaimFileError, match="not a regular file"):
        load_claim(folder)


def test_verify_names_the_schema_problem_in_one_line(tmp_path, capsys):
    path = save_claim(zoo.a1_dead_relu(), tmp_path)
    meta = json.loads(path.read_text())
    meta["setting"]["network"]["hidden"] = ["four"]
    path.write_text(json.dumps(meta))
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "claim schema at setting/network" in err
