"""Midpoint-radius enclosures in float64 arrays, for proofs too large for a dense ``arb`` matrix.

A :class:`Balls` holds ``mid`` and ``rad`` (float64 arrays of one shape) with the invariant that the
exact real value of every entry lies in ``[mid − rad, mid + rad]``. The operations below keep that
invariant in round-to-nearest IEEE arithmetic (numpy and its BLAS), using the standard bounds
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §2–3; Rump, "Fast and parallel
interval arithmetic", BIT 39, 1999):

* a product or sum of two floats is off by at most u·|result| (u = 2⁻⁵³), plus 2⁻¹⁰⁷⁴ on underflow;
* a dot product of length k, in any order of summation and with or without FMA, is off by at most
  γ_k·|x|ᵀ|y|, γ_k = ku/(1 − ku);
* a radius is itself computed in floats from non-negative terms, so it may come out slightly low:
  every radius is multiplied by ``UP`` = 1 + 2⁻²⁰ and raised by ``TINY`` = 2⁻¹⁰⁰⁰, which covers the
  relative error γ_m of any chain of m < 10⁹ operations and every underflow.

Neurons and losses are enclosed entry by entry with python-flint (:func:`apply`), so no libm
accuracy is assumed. Scalars that a conclusion rests on go back to ``arb`` (:func:`to_arb`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from flint import arb

from arena.referee.proofs.balls import NotCertified, float_down, float_up

U = 2.0 ** -53
UP = 1.0 + 2.0 ** -20
TINY = 2.0 ** -1000


def gamma(k: int) -> float:
    """An upper bound of γ_k = ku/(1 − ku) for a dot product of length k (k·u well below 1)."""
    return float_up(arb(k) * U / (1 - arb(k) * U))


def up(x: np.ndarray) -> np.ndarray:
    """A computed non-negative bound, raised to cover the rounding of its own computation.

    An array argument is raised in place (pass a fresh expression, never an array still in use)."""
    x *= UP
    x += TINY
    return x


@dataclass
class Balls:
    """Entries mid ± rad (float64 arrays of one shape)."""

    mid: np.ndarray
    rad: np.ndarray

    @classmethod
    def exact(cls, x: np.ndarray) -> "Balls":
        x = np.asarray(x, dtype=np.float64)
        return cls(x, np.zeros_like(x))

    @classmethod
    def around(cls, x: np.ndarray, r: float) -> "Balls":
        x = np.asarray(x, dtype=np.float64)
        return cls(x, np.full_like(x, float(r)))

    def __getitem__(self, idx: Any) -> "Balls":
        return Balls(self.mid[idx], self.rad[idx])

    @property
    def T(self) -> "Balls":
        return Balls(self.mid.T, self.rad.T)

    def abs_upper(self) -> np.ndarray:
        return up(np.abs(self.mid) + self.rad)


def add(a: Balls, b: Balls) -> Balls:
    mid = a.mid + b.mid
    return Balls(mid, up(a.rad + b.rad + U * np.abs(mid)))


def mul(a: Balls, b: Balls) -> Balls:
    """Entrywise (broadcasting) product."""
    mid = a.mid * b.mid
    return Balls(mid, up(np.abs(a.mid) * b.rad + a.rad * (np.abs(b.mid) + b.rad) + U * np.abs(mid)))


def scale(a: Balls, s: np.ndarray | float) -> Balls:
    """a·s for exact floats s (broadcasting)."""
    mid = a.mid * s
    return Balls(mid, up(a.rad * np.abs(s) + U * np.abs(mid)))


def divide(a: Balls, n: int) -> Balls:
    """a / n for a positive integer n (exact as a float)."""
    mid = a.mid / n
    return Balls(mid, up(a.rad / n + U * np.abs(mid)))


def matmul(a: Balls, b: Balls, mid_only: bool = False) -> Balls:
    """a @ b: |AB − fl(A_m B_m)| <= γ_k|A_m||B_m| + |A_m|B_r + A_r(|B_m| + B_r).

    ``mid_only``: skip the radius (left at 0: not an enclosure; for float choices only)."""
    k = a.mid.shape[-1]
    mid = a.mid @ b.mid
    if mid_only:
        return Balls(mid, np.zeros_like(mid))
    abs_b = np.abs(b.mid)
    rad = np.abs(a.mid) @ (b.rad + gamma(k + 2) * abs_b)
    if a.rad.any():
        rad += a.rad @ (abs_b + b.rad)
    return Balls(mid, up(rad))


def apply(fn: Callable[[arb], Sequence[arb]], z: Balls, outputs: int) -> list[Balls]:
    """fn over every entry of z, enclosed with arb: ``outputs`` arrays of z's shape."""
    flat_mid, flat_rad = z.mid.ravel(), z.rad.ravel()
    mids = np.empty((outputs, flat_mid.size))
    rads = np.empty((outputs, flat_mid.size))
    for i, (m, r) in enumerate(zip(flat_mid.tolist(), flat_rad.tolist())):
        for k, value in enumerate(fn(arb(m, r))):
            lo, hi = float_down(value), float_up(value)
            mids[k, i] = centre = 0.5 * lo + 0.5 * hi
            rads[k, i] = max(hi - centre, centre - lo)
    return [Balls(mids[k].reshape(z.mid.shape), up(rads[k]).reshape(z.mid.shape)) for k in range(outputs)]


def to_arb(b: Balls) -> list[arb]:
    """Each entry as an arb ball (exact midpoint, radius rounded up)."""
    return [arb(m, r) for m, r in zip(b.mid.ravel().tolist(), b.rad.ravel().tolist())]


def sum_arb(b: Balls) -> arb:
    """The sum of all entries, enclosed."""
    return sum(to_arb(b), arb(0))


def norm_upper(b: Balls) -> arb:
    """An upper bound of ‖x‖₂ over every vector x in the balls."""
    a = b.abs_upper()
    if not np.isfinite(a).all():
        raise NotCertified("unbounded enclosure")
    return arb(float(up(np.array(a @ a)))).sqrt().upper() if a.size else arb(0)
