"""Atomic file writes: a reader (or a rerun after a kill) sees the old file or the new one, never half.

Every file the arena writes into an output folder (``result.json``, ``claim.json``,
``claim.safetensors``, ``verdict.json``, ``leaderboard.*``) goes through :func:`write_bytes`: the
data go to a temporary file in the same folder, are flushed and fsync'ed, then ``os.replace``
swaps it in (atomic on POSIX and Windows within one file system), and the folder is fsync'ed so the
rename itself survives a power cut. A kill at any moment leaves at most a stray ``.*.tmp`` file,
which readers ignore.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (creating the parent folder); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """UTF-8 text, atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Indented JSON (``default=str`` for odd values) with a final newline, atomically."""
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)
