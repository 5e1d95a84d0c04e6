"""Families of symmetric critical points of the teacher–student loss, constructed at any k.

Arjevani & Field (arXiv 1912.11939, 2003.10576, 2008.01805) describe the spurious minima that
Safran & Shamir's search finds as families of critical points fixed by large diagonal subgroups of
S_k × S_k, each a few numbers whatever k is. Here a family is a block pattern of
Δ(S_{m₁} × … × S_{m_r}) (:mod:`arena.landscape.symmetric`) and a starting guess at k = 6;
:func:`solve` finds the member at any k by damped Newton on the reduced system ∂F/∂x = 0 (a few
unknowns, :mod:`arena.landscape.symmetric_newton`), continued in k from k = 6 with a linear predictor, and :func:`classify` reads the full
Hessian's spectrum off the isotypic blocks (:mod:`arena.landscape.isotypic`): a few small
generalised eigenproblems instead of one k² × k² matrix.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import scipy.linalg as sl

from arena.landscape.isotypic import hessian_blocks
from arena.landscape.symmetric import SymmetricPoint
from arena.landscape.symmetric_newton import FLOOR, GRAD_TOL, grad_norm, newton, reduced_state

__all__ = ["EIG_TOL", "FAMILIES", "FLOOR", "family_by_name", "turned_away", "GRAD_TOL", "Classification", "Family", "Member", "classify", "grad_norm",
           "newton", "solve", "trace"]


@dataclass(frozen=True)
class Family:
    """``sizes(k)``: the blocks; ``start``: the unknowns' guess at k = 6 (the rows of the distinguished
    blocks turned away from their teacher unit, the others near it)."""

    name: str
    isotropy: str
    sizes: Callable[[int], tuple[int, ...]]
    start: tuple[float, ...]
    min_k: int = 6


FAMILIES: dict[str, Family] = {
    # p0, u01, u10, p1, q1
    "s_k_minus_1": Family("s_k_minus_1", "ΔS_{k−1}", lambda k: (1, k - 1), (-0.6, 0.2, 0.3, 1.0, -0.05)),
    # p0, q0, u01, u10, p1, q1
    "s_2_x_s_k_minus_2": Family("s_2_x_s_k_minus_2", "Δ(S_2 × S_{k−2})", lambda k: (2, k - 2),
                                (-0.65, 0.27, 0.27, 0.33, 0.9, -0.14)),
    # p0, q0: every unit turned away from its teacher unit (W ≈ −I + 11ᵀ/k); F tends to a positive
    # constant as k grows ("type II" in Arjevani & Field's terms)
    "s_k": Family("s_k", "ΔS_k", lambda k: (k,), (-0.66, 0.33)),
}

TURNED_AWAY = re.compile(r"^s_(\d+)_x_s_k_minus_\1$")


def turned_away(m: int) -> Family:
    """Δ(S_m × S_{k−m}), m >= 2: m units turned away from their teacher units, the other k − m near
    theirs (the m = 2 family above for m = 2). The search at large k ends in these, at m near k/3
    (docs/symmetric.md); built for k > 2m (two blocks of distinct sizes, the turned-away one
    the smaller) by a continuation in m (:func:`_turned_away_x`)."""
    if m < 2:
        raise ValueError(f"turned-away family: m must be >= 2 (m = 1 is the family s_k_minus_1), got {m}")
    if m == 2:
        return FAMILIES["s_2_x_s_k_minus_2"]
    return Family(f"s_{m}_x_s_k_minus_{m}", f"Δ(S_{m} × S_{{k−{m}}})", lambda k: (m, k - m),
                  FAMILIES["s_2_x_s_k_minus_2"].start, min_k=2 * m + 1)


def family_by_name(name: str | Family) -> Family:
    """A family by name: one of :data:`FAMILIES`, or ``s_<m>_x_s_k_minus_<m>`` for any m >= 2."""
    if isinstance(name, Family):
        return name
    if name in FAMILIES:
        return FAMILIES[name]
    found = TURNED_AWAY.match(str(name))
    if found:
        return turned_away(int(found.group(1)))
    raise ValueError(f"unknown family {name!r}; use one of {sorted(FAMILIES)} or s_<m>_x_s_k_minus_<m> (m >= 2)")


EIG_TOL = 1e-9  # |λ| below this is a zero eigenvalue (degenerate)


@dataclass
class Member:
    """The family's critical point at k: unknowns ``x`` (:func:`orbit_names` order), F, ‖∇F‖."""

    family: str
    k: int
    sizes: tuple[int, ...]
    x: list[float]
    loss: float
    grad_norm: float
    spectrum: list = field(default_factory=list)


def solve(family: str | Family, k: int, *, tol: float = GRAD_TOL) -> Member:
    """The family's critical point at k, continued from k = 6 (linear predictor in k)."""
    return trace(family, [k], tol=tol)[0]


def trace(family: str | Family, ks: list[int], *, tol: float = GRAD_TOL) -> list[Member]:
    """The family's members at every k of ``ks``, from one continuation in k starting at k = 6
    (for Δ(S_m × S_{k−m}) with m >= 3: a continuation in m at each k, :func:`_turned_away_x`)."""
    fam = family_by_name(family)
    if min(ks) < fam.min_k:
        raise ValueError(f"family {fam.name} is constructed for k >= {fam.min_k}, got k={min(ks)}")
    wide = TURNED_AWAY.match(fam.name)
    if wide and int(wide.group(1)) >= 3:
        return [_member(fam, k, np.array(_turned_away_x(int(wide.group(1)), k, tol))) for k in ks]
    path = sorted(set(_path(fam.min_k, max(ks))) | set(ks))
    xs = [newton(fam.sizes(path[0]), fam.start, tol=tol)]
    for idx in range(1, len(path)):
        guess = xs[-1]
        if idx >= 2:
            guess = xs[-1] + (xs[-1] - xs[-2]) * (path[idx] - path[idx - 1]) / (path[idx - 1] - path[idx - 2])
        xs.append(newton(fam.sizes(path[idx]), guess, tol=tol))
    return [_member(fam, k, xs[path.index(k)]) for k in ks]


def _member(fam: Family, k: int, x: np.ndarray) -> Member:
    sizes = fam.sizes(k)
    P, g, gn = reduced_state(sizes, x)
    return Member(fam.name, k, sizes, [float(v) for v in x], float(P.loss()), gn)


@lru_cache(maxsize=4096)
def _turned_away_x(m: int, k: int, tol: float) -> tuple[float, ...]:
    """Δ(S_m × S_{k−m})'s unknowns at k, continued in m from the m = 2 member at the same k (linear
    predictor): the members of one k lie on a ladder (F rises by about the same step per unit turned
    away), so this reaches every m < k/2, where a continuation in k from k = m + 4 loses its way for
    m >= 15."""
    if m == 2:
        return tuple(trace("s_2_x_s_k_minus_2", [k], tol=tol)[0].x)
    prev = np.array(_turned_away_x(m - 1, k, tol))
    guess = prev if m == 3 else 2 * prev - np.array(_turned_away_x(m - 2, k, tol))
    return tuple(float(v) for v in newton((m, k - m), guess, tol=tol))


def _path(k0: int, k: int) -> list[int]:
    """k0, k0 + 1, ..., then steps of about 5%: a path along which the member moves little."""
    ks = [k0]
    while ks[-1] < k:
        ks.append(min(k, ks[-1] + max(1, ks[-1] // 20)))
    return ks


@dataclass
class Classification:
    """The full Hessian's spectrum by isotypic block: (name, dimension of the irreducible, eigenvalues)."""

    blocks: list
    min_eig: float
    index: int  # number of negative eigenvalues, with multiplicity
    zero: int  # number of |λ| <= EIG_TOL, with multiplicity
    kind: str  # "minimum", "saddle" or "degenerate"


def classify(sizes, x, *, tol: float = EIG_TOL) -> Classification:
    """The Hessian's eigenvalues at W(x), block by block (float64), and the point's type."""
    blocks, index, zero, low = [], 0, 0, math.inf
    for b in hessian_blocks(SymmetricPoint(sizes, x)):
        ev = sl.eigh(np.array(b.C, dtype=float), np.array(b.G, dtype=float), eigvals_only=True)
        blocks.append((b.name, b.dim, [float(v) for v in ev]))
        index += b.dim * int((ev < -tol).sum())
        zero += b.dim * int((abs(ev) <= tol).sum())
        low = min(low, float(ev.min()))
    kind = "degenerate" if zero else ("minimum" if index == 0 else "saddle")
    return Classification(blocks, low, index, zero, kind)
