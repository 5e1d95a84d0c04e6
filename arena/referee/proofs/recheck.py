"""``arena verify --check-certificate PATH``: find a claim and its certificate, re-check, report.

PATH is a match folder, a ``claim.json`` or a ``verdict.json``; the other file is the one beside it.
A sweep's ``hit_rates.json`` is re-checked minimum by minimum (:mod:`.census`).
The certificate is read from the verdict (``evidence.proof_certificate``) or from a file that is
the certificate itself. Nothing but the claim's data and the certificate's numbers is used.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arena.claims import ClaimFileError, load_claim
from arena.referee.proofs.census import check_hit_rates, is_hit_rates
from arena.referee.proofs.check import check

MAX_WORK = 5_000_000  # samples × parameters: beyond this the re-check is refused, not attempted


class Unreadable(Exception):
    """The claim or the certificate cannot be read (one line)."""


def locate(path: Path) -> tuple[Path, Path]:
    """(claim.json, the file holding the certificate)."""
    folder = path if path.is_dir() else path.parent
    if path.is_file() and path.name != "claim.json":
        return folder / "claim.json", path
    return (path if path.is_file() else folder / "claim.json"), folder / "verdict.json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unreadable(f"{path}: cannot read the certificate ({exc.__class__.__name__}: {exc})") from exc


def read_certificate(path: Path) -> dict[str, Any]:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise Unreadable(f"{path}: expected a JSON object")
    if "centre" in data:
        return data
    raw = data.get("evidence")
    evidence = raw if isinstance(raw, dict) else {}
    cert = evidence.get("proof_certificate", data.get("proof_certificate"))
    if not isinstance(cert, dict):
        raise Unreadable(f"{path}: no proof_certificate in this verdict (verdict: {data.get('verdict')!r})")
    return cert


def check_path(path: Path) -> tuple[bool, list[str]]:
    """Re-check the certificate found at ``path``; raises :class:`Unreadable` for unreadable files."""
    if Path(path).is_file() and Path(path).name.endswith(".json") and Path(path).name != "claim.json":
        data = _read_json(Path(path))
        if is_hit_rates(data):  # a sweep's hit_rates.json: every distinct minimum's certificate
            return check_hit_rates(data)
    claim_path, cert_path = locate(Path(path))
    try:
        claim = load_claim(claim_path)
    except ClaimFileError as exc:
        raise Unreadable(str(exc)) from exc
    cert = read_certificate(cert_path)
    if claim.X.dim() != 2 or claim.y.dim() != 1 or claim.X.shape[0] != claim.y.shape[0]:
        return False, [f"the claim's data have shapes X {list(claim.X.shape)}, y {list(claim.y.shape)}"]
    size = claim.X.numel() * max(1, len(cert.get("centre", [])))
    if size > MAX_WORK:
        return False, [f"samples × parameters = {size} > {MAX_WORK}: too large to re-check here"]
    return check(claim, cert)


def run_cli(paths: list[Path]) -> int:
    """Print one block per path; 0 if every certificate checks, 1 if one fails, 2 if one is unreadable."""
    import sys

    status = 0
    for path in paths:
        try:
            ok, lines = check_path(Path(path))
        except Unreadable as exc:
            print(f"arena verify: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"== {path}")
        print("\n".join(f"  {line}" for line in lines))
        print(f"certificate: {'CHECKED' if ok else 'REJECTED'}")
        if not ok and status == 0:
            status = 1
    return status
