"""Claims: what an attacker submits, stored as data (JSON + safetensors), never as a pickle.

A claim is two files in one folder:

``claim.json``::

    {"format": "localmin-arena/claim/v1",
     "kind": "local_min",                       # optional, default "local_min"
     "setting": {"network": {...}, "loss": "quadratic_hinge", "regularizer": null},
     "tensors": "claim.safetensors",            # a file name in the same folder
     "attacker": "dead_relu", "seed": 0, "notes": "free text"}

``claim.safetensors`` holding ``X`` ``[n, d]``, ``y`` ``[n]`` in {-1, +1}, ``theta.<param name>``
for every parameter of the setting and optionally ``witness.<param name>`` (a point with lower
loss). Tensors may be float32 or float64; the referee judges in float64.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch

FORMAT = "localmin-arena/claim/v1"
KINDS = ("local_min", "path")


class ClaimFileError(Exception):
    """A claim file cannot be read (missing, not JSON, not safetensors, truncated, ...)."""


@dataclass
class Claim:
    """A claimed bad local minimum. Shapes: X [n, d], y [n], theta/witness name -> tensor."""

    setting: dict[str, Any]
    X: torch.Tensor
    y: torch.Tensor
    theta: dict[str, torch.Tensor]
    witness: dict[str, torch.Tensor] | None = None
    attacker: str | None = None
    seed: int | None = None
    notes: str = ""
    kind: str = "local_min"
    extra_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(value, (DictConfig, ListConfig)):
            return OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover
        pass
    return value


def save_claim(claim: Claim, path: str | os.PathLike) -> Path:
    """Write ``path`` (a ``.json`` file, or a folder that gets ``claim.json``) and its tensors.

    Returns the JSON path. The tensor file is written first, so a JSON file never points to a
    missing tensor file.
    """
    from safetensors.torch import save

    from arena.game.atomic import write_bytes, write_text

    path = Path(path)
    if path.suffix != ".json":
        path = path / "claim.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tensor_name = path.with_suffix(".safetensors").name
    tensors = {"X": claim.X, "y": claim.y}
    tensors.update({f"theta.{k}": v for k, v in claim.theta.items()})
    if claim.witness is not None:
        tensors.update({f"witness.{k}": v for k, v in claim.witness.items()})
    tensors.update(claim.extra_tensors)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    write_bytes(path.parent / tensor_name, save(tensors))
    meta = {
        "format": FORMAT, "kind": claim.kind, "setting": _plain(claim.setting), "tensors": tensor_name,
        "attacker": claim.attacker, "seed": claim.seed, "notes": claim.notes, **_plain(claim.extra),
    }
    write_text(path, json.dumps(meta, indent=2, sort_keys=False) + "\n")
    return path


def load_claim(path: str | os.PathLike) -> Claim:
    """Read a claim; raises :class:`ClaimFileError` with a one-line reason if it cannot be read.

    Contents (shapes, names, NaNs, labels) are checked by the referee, not here.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if path.is_dir():
        path = path / "claim.json"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimFileError(f"{path}: cannot read claim file ({exc.__class__.__name__}: {exc})") from exc
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClaimFileError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise ClaimFileError(f"{path}: claim must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise ClaimFileError(f"{path}: 'format' must be {FORMAT!r}, got {meta.get('format')!r}")
    for key in ("setting", "tensors"):
        if key not in meta:
            raise ClaimFileError(f"{path}: missing key {key!r}")
    kind = meta.get("kind", "local_min")
    if kind not in KINDS:
        raise ClaimFileError(f"{path}: 'kind' must be one of {KINDS}, got {kind!r}")
    name = meta["tensors"]
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ClaimFileError(f"{path}: 'tensors' must be a file name in the same folder, got {name!r}")
    tensor_path = path.parent / name
    if not tensor_path.is_file():
        raise ClaimFileError(f"{path}: tensor file {name!r} not found")
    try:
        tensors = load_file(str(tensor_path))  # safetensors: a header and raw buffers, no code
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ClaimFileError(f"{tensor_path}: not a readable safetensors file ({str(exc).splitlines()[0]})") from exc
    for key in ("X", "y"):
        if key not in tensors:
            raise ClaimFileError(f"{tensor_path}: missing tensor {key!r}")
    theta = {k[len("theta."):]: v for k, v in tensors.items() if k.startswith("theta.")}
    witness = {k[len("witness."):]: v for k, v in tensors.items() if k.startswith("witness.")} or None
    extra_tensors = {k: v for k, v in tensors.items()
                     if k not in ("X", "y") and not k.startswith(("theta.", "witness."))}
    seed = meta.get("seed")
    known = {"format", "kind", "setting", "tensors", "attacker", "seed", "notes"}
    return Claim(
        setting=meta["setting"], X=tensors["X"], y=tensors["y"], theta=theta, witness=witness,
        attacker=meta.get("attacker"), seed=seed, notes=str(meta.get("notes") or ""), kind=kind,
        extra_tensors=extra_tensors, extra={k: v for k, v in meta.items() if k not in known},
    )


def claim_from_params(setting_cfg: Mapping[str, Any], X: torch.Tensor, y: torch.Tensor,
                      theta: Mapping[str, torch.Tensor], **kw: Any) -> Claim:
    """Convenience constructor that copies the tensors and config."""
    return Claim(setting=dict(_plain(setting_cfg)), X=X.detach().clone(), y=y.detach().clone(),
                 theta={k: v.detach().clone() for k, v in theta.items()}, **kw)
