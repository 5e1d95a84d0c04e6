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
loss). Tensors may be float32 or float64; the referee judges in float64. The full specification,
limits and the JSON Schema (``claim.schema.json`` beside this module): ``docs/claim-format.md``.
"""
from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch

from arena.plain import plain

FORMAT = "localmin-arena/claim/v1"
KINDS = ("local_min", "path")
SCHEMA_PATH = Path(__file__).with_name("claim.schema.json")

# Limits checked before anything is parsed or loaded (a claim file is hostile until proven otherwise)
MAX_JSON_BYTES = 4 * 2**20  # claim.json
MAX_HEADER_BYTES = 2**20  # the safetensors JSON header
MAX_TENSORS = 10_000
MAX_TENSOR_BYTES = 256 * 2**20  # all tensors together
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


class ClaimFileError(Exception):
    """A claim file cannot be read (missing, not JSON, not safetensors, truncated, ...)."""


@dataclass
class Claim:
    """A claimed bad local minimum. Shapes: X [n, d], y [n], theta/witness name -> tensor."""

    setting: dict[str, Any]
    """The attacked setting as plain config: ``setting.to_config()`` of the Setting the attacker got."""
    X: torch.Tensor
    """Inputs ``[n, d]``, float32 or float64 (judged in float64)."""
    y: torch.Tensor
    """Labels ``[n]`` in {-1, +1}."""
    theta: dict[str, torch.Tensor]
    """The claimed point: parameter name -> tensor of the setting's shape (``setting.param_shapes``)."""
    witness: dict[str, torch.Tensor] | None = None
    """Optional: a point of the same network with lower loss (evidence that the minimum is bad)."""
    attacker: str | None = None
    """The attacker's name."""
    seed: int | None = None
    """The seed the attack ran with."""
    notes: str = ""
    """Free text, shown with the verdict."""
    kind: str = "local_min"
    """``local_min`` or ``path`` (a path to infinity: ``path.<param>`` tensors or a closed form in ``extra``)."""
    extra_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    """Further tensors stored under their own keys (``path.<param>`` ``[T, *shape]``, ``path_t`` ``[T]``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Further JSON keys of ``claim.json`` (``path``, the ``teacher_student`` extension; docs/claim-format.md)."""


def save_claim(claim: Claim, path: str | os.PathLike) -> Path:
    """Write ``path`` (a ``.json`` file, or a folder that gets ``claim.json``) and its tensors.

    Returns the JSON path. The tensor file is written first, so a JSON file never points to a
    missing tensor file.
    """
    from safetensors.torch import save

    from arena.contract.atomic import write_bytes, write_text

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
        "format": FORMAT, "kind": claim.kind, "setting": plain(claim.setting), "tensors": tensor_name,
        "attacker": claim.attacker, "seed": claim.seed, "notes": claim.notes, **plain(claim.extra),
    }
    write_text(path, json.dumps(meta, indent=2, sort_keys=False) + "\n")
    return path


def load_claim(path: str | os.PathLike) -> Claim:
    """Read a claim; raises :class:`ClaimFileError` with a one-line reason if it cannot be read.

    Never imports or calls anything named in the file. Checked before parsing: claim.json is a
    regular file of at most :data:`MAX_JSON_BYTES`, valid JSON that matches the JSON Schema
    (``claim.schema.json``); the tensor file is a regular file inside the claim's folder whose
    safetensors header (read by hand) declares known dtypes and sizes within the limits.
    Contents (shapes against the setting, NaNs, labels) are checked by the referee, not here.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "claim.json"
    meta = read_claim_json(path)
    name = meta["tensors"]
    tensor_path = path.parent / name
    if not tensor_path.is_file():
        raise ClaimFileError(f"{path}: tensor file {name!r} not found (or not a regular file)")
    folder = path.parent.resolve()
    if tensor_path.resolve().parent != folder:
        raise ClaimFileError(f"{path}: tensor file {name!r} is a link to a file outside the claim's folder")
    problem = schema_problem(meta)
    if problem:
        raise ClaimFileError(f"{path}: {problem}")
    tensors = read_tensors(tensor_path)
    if _population_task(meta["setting"]):  # the teacher–student task has no dataset
        tensors.setdefault("X", torch.zeros(0, 0, dtype=torch.float64))
        tensors.setdefault("y", torch.zeros(0, dtype=torch.float64))
    for key in ("X", "y"):
        if key not in tensors:
            raise ClaimFileError(f"{tensor_path}: missing tensor {key!r}")
    theta = {k[len("theta."):]: v for k, v in tensors.items() if k.startswith("theta.")}
    witness = {k[len("witness."):]: v for k, v in tensors.items() if k.startswith("witness.")} or None
    extra_tensors = {k: v for k, v in tensors.items()
                     if k not in ("X", "y") and not k.startswith(("theta.", "witness."))}
    known = {"format", "kind", "setting", "tensors", "attacker", "seed", "notes"}
    return Claim(
        setting=meta["setting"], X=tensors["X"], y=tensors["y"], theta=theta, witness=witness,
        attacker=meta.get("attacker"), seed=meta.get("seed"), notes=str(meta.get("notes") or ""),
        kind=meta.get("kind", "local_min"), extra_tensors=extra_tensors,
        extra={k: v for k, v in meta.items() if k not in known},
    )


def _population_task(setting: Any) -> bool:
    return isinstance(setting, dict) and setting.get("task") == "teacher_student"


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (JSON leaves the meaning open; we refuse it)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads`: refuse an object that repeats a key, at any depth,
    instead of silently keeping the last value."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(f"key {key[:80]!r} appears twice in one JSON object")
        out[key] = value
    return out


def read_claim_json(path: Path) -> dict[str, Any]:
    """claim.json, size-limited and parsed, its top-level keys checked (the schema: :func:`schema_problem`)."""
    if not path.is_file():
        raise ClaimFileError(f"{path}: cannot read claim file (missing, or not a regular file)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise ClaimFileError(f"{path}: claim file larger than {MAX_JSON_BYTES} bytes")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimFileError(f"{path}: cannot read claim file ({exc.__class__.__name__}: {exc})") from exc
    try:
        meta = json.loads(text, object_pairs_hook=_unique_keys)
    except DuplicateKeyError as exc:
        raise ClaimFileError(f"{path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ClaimFileError(f"{path}: not valid JSON ({exc})") from exc
    except (ValueError, RecursionError) as exc:  # nesting too deep, a number too long
        raise ClaimFileError(f"{path}: not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    if not isinstance(meta, dict):
        raise ClaimFileError(f"{path}: claim must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise ClaimFileError(f"{path}: 'format' must be {FORMAT!r}, got {str(meta.get('format'))[:80]!r}")
    for key in ("setting", "tensors"):
        if key not in meta:
            raise ClaimFileError(f"{path}: missing key {key!r}")
    kind = meta.get("kind", "local_min")
    if kind not in KINDS:
        raise ClaimFileError(f"{path}: 'kind' must be one of {KINDS}, got {str(kind)[:80]!r}")
    name = meta["tensors"]
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise ClaimFileError(f"{path}: 'tensors' must be a file name in the same folder, got {str(name)[:80]!r}")
    return meta


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problem(meta: Any) -> str | None:
    """One line naming where ``meta`` breaks the claim JSON Schema, or None when it conforms."""
    import jsonschema

    try:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(meta))
    except RecursionError:
        return "does not match the claim schema: nesting too deep"
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    message = " ".join(error.message.split())
    return f"does not match the claim schema at {where}: {message[:200]}"


def read_tensors(tensor_path: Path) -> dict[str, torch.Tensor]:
    """Load a safetensors file after checking its header by hand against the limits."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    check_safetensors_header(tensor_path)
    try:
        return load_file(str(tensor_path))  # safetensors: a header and raw buffers, no code
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ClaimFileError(f"{tensor_path}: not a readable safetensors file ({first})") from exc


def check_safetensors_header(tensor_path: Path) -> dict[str, Any]:
    """The header of a safetensors file: 8 bytes little-endian length N, then N bytes of JSON.

    Refuses (ClaimFileError) a header over :data:`MAX_HEADER_BYTES`, more than :data:`MAX_TENSORS`
    tensors, unknown dtypes, offsets that disagree with shape × dtype or with the file size, and
    more than :data:`MAX_TENSOR_BYTES` of data, all before a single tensor byte is read.
    """
    bad = lambda why: ClaimFileError(f"{tensor_path}: not a readable safetensors file ({why})")  # noqa: E731
    try:
        size = tensor_path.stat().st_size
        with open(tensor_path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise bad("shorter than its 8-byte header length")
            n = int.from_bytes(head, "little")
            if n > MAX_HEADER_BYTES or 8 + n > size:
                raise bad(f"declared header of {n} bytes exceeds the limit or the file")
            header = json.loads(fh.read(n).decode("utf-8"), object_pairs_hook=_unique_keys)
    except ClaimFileError:
        raise
    except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise bad(f"header: {exc}" if isinstance(exc, DuplicateKeyError) else f"header: {exc.__class__.__name__}") from exc
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if len(entries) > MAX_TENSORS:
        raise bad(f"{len(entries)} tensors exceed the limit {MAX_TENSORS}")
    total = 0
    for key, info in entries.items():
        if not isinstance(info, dict) or info.get("dtype") not in DTYPE_BYTES:
            raise bad(f"tensor {key[:60]!r}: dtype {str(info.get('dtype') if isinstance(info, dict) else info)[:20]!r} "
                      f"not one of {sorted(DTYPE_BYTES)}")
        shape, offsets = info.get("shape"), info.get("data_offsets")
        if (not isinstance(shape, list) or len(shape) > 8
                or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape)):
            raise bad(f"tensor {key[:60]!r}: shape {str(shape)[:60]} is not a list of at most 8 sizes")
        nbytes = math.prod(shape) * DTYPE_BYTES[info["dtype"]]
        if nbytes > MAX_TENSOR_BYTES:
            raise bad(f"tensor {key[:60]!r}: {nbytes} bytes exceed the limit {MAX_TENSOR_BYTES}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or offsets[1] - offsets[0] != nbytes or offsets[0] < 0 or 8 + n + offsets[1] > size):
            raise bad(f"tensor {key[:60]!r}: data offsets {str(offsets)[:40]} disagree with its shape or the file")
        total += nbytes
    if total > MAX_TENSOR_BYTES:
        raise bad(f"{total} bytes of tensors exceed the limit {MAX_TENSOR_BYTES}")
    return header


def claim_from_params(setting_cfg: Mapping[str, Any], X: torch.Tensor, y: torch.Tensor,
                      theta: Mapping[str, torch.Tensor], **kw: Any) -> Claim:
    """Convenience constructor that copies the tensors and config."""
    return Claim(setting=dict(plain(setting_cfg)), X=X.detach().clone(), y=y.detach().clone(),
                 theta={k: v.detach().clone() for k, v in theta.items()}, **kw)
