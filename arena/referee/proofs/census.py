"""Proofs for the distinct spurious minima of a teacher–student search, and their re-check.

:func:`prove_minima` runs :func:`arena.referee.proofs.teacher_student.certify` on every distinct
minimum of a census (the sweep stores ``proof`` and ``certificate`` beside each minimum of
``hit_rates.json``); :func:`check_hit_rates` re-derives every stored certificate from the cell's
(k, n) alone — ``arena verify --check-certificate hit_rates.json``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch

from arena.landscape.teacher_student import TeacherStudentSetting
from arena.referee.proofs.teacher_student import certify, check


def prove_minima(k: int, n: int, points: Sequence[torch.Tensor]) -> list[dict[str, Any]]:
    """One ``{"proof": bool, "certificate": ...}`` per point W [n, d = k] (teacher V = I_k).

    The witness is the setting's exact global minimiser (n >= k); its point is left out of the
    certificate since the checker rebuilds it from (k, n).
    """
    setting = TeacherStudentSetting(k, n, k)
    out = []
    for W in points:
        cert = certify(setting, W, store_witness=setting.global_witness() is None)
        out.append({"proof": bool(cert["proof"]), "certificate": cert})
    return out


def is_hit_rates(data: Any) -> bool:
    """Does this JSON object look like a sweep's ``hit_rates.json``?"""
    return isinstance(data, Mapping) and isinstance(data.get("cells"), list)


def check_hit_rates(data: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Re-check every certificate of a ``hit_rates.json``: (ok, one line per minimum).

    ok means every minimum stored as proved re-checks; minima stored with ``proof: false`` are
    listed (with their reason) and do not fail the check; a file with no proved minimum fails.
    """
    lines: list[str] = []
    ok, proved, total = True, 0, 0
    for cell in data["cells"]:
        try:
            row, census = cell.get("row", {}), cell.get("census", {})
            k, n = int(row["k"]), int(row["n"])
            TeacherStudentSetting(k, n, k)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            return False, lines + [f"FAIL  malformed cell: {exc.__class__.__name__}: {exc}"]
        for i, m in enumerate(census.get("minima", [])):
            total += 1
            where = f"k={k} n={n} minimum {i + 1}" + (f" (F = {m['loss']:.10f})" if isinstance(m.get("loss"), float) else "")
            if not m.get("proof"):
                reason = (m.get("certificate") or {}).get("reason", "no certificate stored")
                lines.append(f"--    {where}: not proved ({reason})")
                continue
            good, sub = check(TeacherStudentSetting(k, n, k), m["certificate"])
            proved += good
            ok = ok and good
            lines.append(("ok    " if good else "FAIL  ") + where
                         + ("" if good else ": " + "; ".join(s for s in sub if not s.startswith("ok"))))
    lines.append(f"{proved} of {total} distinct spurious minima re-checked as proved")
    return ok and proved > 0, lines
