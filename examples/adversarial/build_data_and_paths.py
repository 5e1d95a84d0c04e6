"""Write the adversarial claims about code in claim files, hostile files and bad paths to infinity.

Run: ``python examples/adversarial/build_data_and_paths.py`` (the files are committed; this rebuilds
them). Each entry is ``examples/adversarial/<name>/`` with ``claim.json`` (+ tensors) and
``expected.json``: ``{"verdict": ..., "reason": ...}`` for what the referee must answer, or
``{"exit": 2, ...}`` for what ``arena verify`` must refuse with one line.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from arena.claims import Claim, save_claim, zoo

HERE = Path(__file__).resolve().parent
F64 = torch.float64
X = torch.tensor([[1.0, 0.5], [2.0, -1.0], [-1.0, -0.3], [-2.0, 0.4]], dtype=F64)  # separable by w0 = (1, 0)
Y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
LINEAR = {"network": {"input_dim": 2, "hidden": [], "neuron": "linear"}, "loss": "logistic", "regularizer": None}
BIAS = {"layers.0.bias": torch.zeros(1, dtype=F64)}
FAR = {"layers.0.weight": torch.tensor([[40.0, 0.0]], dtype=F64), **BIAS}


def _entry(name: str, claim: Claim | None, expected: dict) -> Path:
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if claim is not None:
        save_claim(claim, folder)
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return folder


def _hostile(name: str, setting: dict, reason: str) -> None:
    claim = zoo.a1_dead_relu()
    claim.setting = setting
    _entry(name, claim, {"exit": 2, "verdict": "invalid", "reason": reason})


def build() -> None:
    base = zoo.a1_dead_relu().setting
    _hostile("code_network_open", {**base, "network": {"_target_": "builtins.open", "_args_": ["pwned.txt", "w"]}},
             "setting.network._target_ asks to import and call code (it would create pwned.txt); claims are data")
    _hostile("code_network_partial_popen",
             {**base, "network": {"_target_": "subprocess.Popen", "_partial_": True, "args": ["touch", "pwned.txt"]}},
             "a _partial_ node still imports subprocess.Popen: refused like any _target_")
    _hostile("code_in_loss_spec", {**base, "loss": {"name": "logistic", "_target_": "os.system", "_args_": ["touch pwned.txt"]}},
             "instantiation keys outside the network are never honoured, not even with --allow-custom-network")
    sampled = torch.linspace(1.0, 3.0, 9, dtype=F64)
    path_w = torch.stack([sampled, torch.zeros_like(sampled)], -1).reshape(len(sampled), 1, 2)
    _entry("path_logistic_short_range",
           Claim(LINEAR, X, Y, dict(BIAS), witness=FAR, kind="path", attacker="adversarial", seed=0,
                 notes="w = t w0 on separable data, t in [1, 3]: the loss tends to 0, the global infimum",
                 extra_tensors={"path.layers.0.weight": path_w, "path_t": sampled}),
           {"verdict": "inconclusive", "reason": "t spans half a decade: where the loss goes cannot be told, "
                                                 "and the witness is lower than the last point (formerly judged bad)"})
    closed = {"t": [1.0, 2.0, 3.0], "theta": {"layers.0.weight": [["1 + log(1 + t)", "0"]]}}
    _entry("path_logistic_log_closed_form",
           Claim(LINEAR, X, Y, dict(BIAS), witness=FAR, kind="path", attacker="adversarial", seed=0,
                 notes="w = (1 + log(1 + t)) w0: slow, but the loss still tends to 0", extra={"path": closed}),
           {"verdict": "not_bad", "reason": "the tail fit over decades past t = 3 puts L-infinity at 0 = the best loss"})
    folder = _entry("tensors_symlink_outside", zoo.a1_dead_relu(),
                    {"exit": 2, "reason": "the tensor file is a link to a file outside the claim's folder"})
    (folder / "claim.safetensors").unlink()
    os.symlink("../path_logistic_short_range/claim.safetensors", folder / "claim.safetensors")
    folder = _entry("tensors_huge_declared_shape", zoo.a1_dead_relu(),
                    {"exit": 2, "reason": "the safetensors header declares 8 TB; refused before any tensor is read"})
    header = json.dumps({"X": {"dtype": "F64", "shape": [1000000, 1000000], "data_offsets": [0, 8 * 10**12]}}).encode()
    (folder / "claim.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    folder = _entry("claim_json_deep_nesting", None, {"exit": 2, "reason": "10000 nested lists: refused, no crash"})
    (folder / "claim.json").write_text('{"format": "localmin-arena/claim/v1", "setting": ' + "[" * 10_000
                                       + "]" * 10_000 + ', "tensors": "claim.safetensors"}\n')


if __name__ == "__main__":
    build()
    print(f"wrote {HERE}")
