"""Which constructed symmetric family a minimum found by search belongs to (teacher V = I_k, n = k).

A found point W [k, k] is put in canonical order (:func:`arena.referee.proofs.symmetric.align`:
rows and columns grouped by their entries); when the groups' sizes are a constructed family's
blocks at k (:data:`arena.search.symmetric_family.FAMILIES`, or Δ(S_m × S_{k−m}) for any m,
:func:`arena.search.symmetric_family.turned_away`), the family's member, constructed from its own
start and not from the found point, is compared with it entry by entry. It belongs to the family when the losses agree to ``loss_tol`` and the
entries to ``entry_tol`` after the permutation.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from arena.landscape.symmetric import dense_point
from arena.referee.proofs.symmetric import align
from arena.search.symmetric_family import FAMILIES, Family, Member, solve, turned_away

LOSS_TOL = 1e-10
ENTRY_TOL = 1e-7


@dataclass
class FamilyMatch:
    """The family (its isotropy, e.g. ``ΔS_{k−1}``) and how close the constructed member is."""

    family: str
    isotropy: str
    loss_constructed: float
    loss_gap: float  # |F found − F constructed|
    entry_gap: float  # max |ΔW| after the permutation


@lru_cache(maxsize=256)
def _member(name: str, k: int) -> Member:
    return solve(name, k)


def candidate(sizes: tuple[int, ...], k: int) -> Family | None:
    """The constructed family whose blocks are ``sizes`` at k (sizes ascending, as aligned), or None:
    ΔS_{k−1} for (1, k − 1), Δ(S_m × S_{k−m}) for (m, k − m) with 2 <= m < k − m, ΔS_k for (k,)."""
    for fam in FAMILIES.values():
        if k >= fam.min_k and fam.sizes(k) == sizes:
            return fam
    if len(sizes) == 2 and 2 <= sizes[0] < sizes[1]:
        fam = turned_away(sizes[0])
        return fam if k >= fam.min_k else None
    return None


def _labellings(sizes: tuple[int, ...], cols: list[int]) -> list[list[int]]:
    """The column order, and with the two columns of each 2-block swapped: inside a block of two,
    [[p, q], [q, p]] and [[q, p], [p, q]] are both fixed points, and the entries alone cannot tell
    which column is a unit's own."""
    out, start = [list(cols)], 0
    for m in sizes:
        if m == 2:
            out += [c[:start] + [c[start + 1], c[start]] + c[start + 2:] for c in out]
        start += m
    return out


def match_family(W: np.ndarray, loss: float, *, loss_tol: float = LOSS_TOL,
                 entry_tol: float = ENTRY_TOL) -> FamilyMatch | None:
    """The family W [k, k] (a minimum of F for V = I_k, its loss ``loss``) belongs to, or None."""
    W = np.asarray(W, dtype=np.float64)
    k = W.shape[0]
    if W.shape != (k, k):
        return None
    found = align(W)
    if found is None:
        return None
    sizes, rows, cols = found
    fam = candidate(sizes, k)
    if fam is None:
        return None
    try:
        member = _member(fam.name, k)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):  # no member constructed at this k
        return None
    Wc = np.array(dense_point(member.sizes, member.x))
    gap = min(float(np.abs(W[np.ix_(rows, c)] - Wc).max()) for c in _labellings(sizes, cols))
    if abs(loss - member.loss) <= loss_tol and gap <= entry_tol:
        return FamilyMatch(fam.name, fam.isotropy, member.loss, abs(loss - member.loss), gap)
    return None
