"""Ball arithmetic helpers on python-flint's ``arb`` (a midpoint and a rigorous radius).

Every float64 of a claim is an exact dyadic rational, so ``arb(x)`` holds it with radius 0; every
operation afterwards returns a ball that contains the exact real result. The neurons and losses
come with their first two derivatives and *branch selection*: a piecewise formula (ReLU, hinge) is
used only when the whole ball lies inside one piece, otherwise :class:`NotCertified` is raised.
Value-only enclosures (:func:`sigma_value`, :func:`loss_value`) accept balls across a kink, using
that every piecewise neuron and loss here is monotone there.
"""
from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from typing import Iterator, Sequence

from flint import arb, arb_mat, ctx

PREC = 128  # bits of the balls' midpoints


class NotCertified(Exception):
    """The ball arithmetic cannot decide (a kink inside a ball, a zero pivot...): no proof."""


@contextlib.contextmanager
def precision(bits: int = PREC) -> Iterator[None]:
    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


# -- conversions -------------------------------------------------------------------------------


def exact(x: float) -> arb:
    """A float64 as a radius-0 ball (every finite float is an exact dyadic rational)."""
    if not math.isfinite(x):
        raise NotCertified(f"non-finite number {x!r}")
    return arb(float(x))


def around(x: float, r: float) -> arb:
    """The interval [x − r, x + r] (rounded outwards by arb)."""
    return arb(float(x), float(r))


def decimal(text: str) -> arb:
    """A decimal string as a ball that contains it (e.g. "1e-6", which no float equals)."""
    q = Fraction(str(text))
    return arb(q.numerator) / arb(q.denominator)


def float_down(x: arb) -> float:
    """A float64 <= every point of x."""
    if not x.is_finite():
        raise NotCertified(f"unbounded enclosure {x}")
    f = float(x.lower().mid())
    while not arb(f) <= x:
        f = math.nextafter(f, -math.inf)
    return f


def float_up(x: arb) -> float:
    """A float64 >= every point of x."""
    return -float_down(-x) + 0.0


def interval(x: arb) -> list[str]:
    """[lo, hi] as decimal strings of float64 numbers that enclose x (outward rounded)."""
    return [repr(float_down(x)), repr(float_up(x))]


def parse_interval(pair: Sequence[str]) -> tuple[float, float]:
    lo, hi = float(pair[0]), float(pair[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"bad interval {list(pair)!r}")
    return lo, hi


def inside(x: arb, pair: Sequence[str]) -> bool:
    """Is the ball x inside the stated interval [lo, hi]?"""
    lo, hi = parse_interval(pair)
    return bool(arb(lo) <= x) and bool(x <= arb(hi))


def sqr(x: arb) -> arb:
    """x² with a non-negative enclosure (x*x of a ball across 0 would dip below 0)."""
    if not x.contains(0):
        return x * x  # a ball of one sign: the product stays >= 0 (and as tight as arb makes it)
    u = x.abs_upper()
    return arb.union(arb(0), u * u)


def norm_upper(values: Sequence[arb]) -> arb:
    """An upper bound of the Euclidean norm of every vector in the product of the balls."""
    total = arb(0)
    for v in values:
        u = v.abs_upper()
        total += u * u
    return total.sqrt().upper() if total > 0 else arb(0)


def frobenius_upper(m: arb_mat) -> arb:
    """An upper bound of ‖M‖_F (hence of ‖M‖₂) over every matrix in the ball matrix m."""
    total = arb(0)
    for row in m.tolist():
        for v in row:
            u = v.abs_upper()
            total += u * u
    return total.sqrt().upper() if total > 0 else arb(0)


# -- neurons -------------------------------------------------------------------------------------


def _sigmoid(z: arb) -> arb:
    return 1 / (1 + (-z).exp())


def _piece(z: arb, kink: float = 0.0) -> int:
    """+1 if the ball is above the kink, −1 if below, else NotCertified."""
    if z > kink:
        return 1
    if z < kink:
        return -1
    raise NotCertified(f"a pre-activation ball {z.str(5)} contains the kink {kink:g}")


def sigma_derivs(name: str, p: dict, z: arb) -> tuple[arb, arb, arb]:
    """(σ, σ', σ'') enclosed over the ball z; NotCertified across a kink or for a C¹-only piece."""
    if name == "linear":
        return z, arb(1), arb(0)
    if name in ("relu", "leaky_relu"):
        slope = arb(1) if _piece(z) > 0 else (arb(0) if name == "relu" else exact(p.get("slope", 0.01)))
        return slope * z, slope, arb(0)
    if name == "tanh":
        t = z.tanh()
        d = 1 - sqr(t)
        return t, d, -2 * t * d
    if name == "sigmoid":
        s = _sigmoid(z)
        d = s * (1 - s)
        return s, d, d * (1 - 2 * s)
    if name in ("softplus", "softplus_linear"):
        beta = exact(p.get("beta", 1.0))
        s = _sigmoid(beta * z)
        value = (beta * z).exp().log1p() / beta
        out = (value, s, beta * s * (1 - s))
        if name == "softplus_linear":
            c = exact(p.get("c", 0.1))
            out = (out[0] + c * z, out[1] + c, out[2])
        return out
    if name == "exponential":
        e = z.exp()
        return e, e, e
    if name == "quadratic":
        return sqr(z), 2 * z, arb(2)
    if name == "swish":
        s = _sigmoid(z)
        d = s * (1 - s)
        return z * s, s + z * d, d * (2 + z * (1 - 2 * s))
    if name == "relu_power":
        power = float(p.get("power", 2.0))
        if _piece(z) < 0:
            return arb(0), arb(0), arb(0)
        if power < 2 or (power < 3 and not z > 0):
            raise NotCertified(f"relu_power({power:g}) is not C² here")
        return z ** exact(power), exact(power) * z ** exact(power - 1), exact(power * (power - 1)) * z ** exact(power - 2)
    raise NotCertified(f"neuron {name!r} has no second-derivative enclosure")


def sigma_value(name: str, p: dict, z: arb) -> arb:
    """σ enclosed over the ball z (any built-in neuron; kinks allowed)."""
    if name in ("relu", "leaky_relu", "relu_power", "smooth_relu", "elu"):
        if z.is_exact() or z > 0 or z < 0:
            return _pw_value(name, p, z)
        return arb.union(_pw_value(name, p, z.lower()), _pw_value(name, p, z.upper()))  # non-decreasing
    return sigma_derivs(name, p, z)[0]


def _pw_value(name: str, p: dict, z: arb) -> arb:
    if name == "relu":
        return z if z >= 0 else arb(0)
    if name == "leaky_relu":
        return z if z >= 0 else exact(p.get("slope", 0.01)) * z
    if name == "relu_power":
        return z ** exact(float(p.get("power", 2.0))) if z > 0 else arb(0)
    if name == "smooth_relu":
        h = exact(p.get("h", 1.0))
        return arb(0) if z <= 0 else (sqr(z) / (2 * h) if z < h else z - h / 2)
    return z if z >= 0 else z.exp() - 1  # elu


DEAD_AT_ZERO = ("relu", "relu_power", "smooth_relu")  # σ = 0 on (−∞, 0]; leaky_relu only with slope 0


def dead_is_zero(name: str, p: dict) -> bool:
    return name in DEAD_AT_ZERO or (name == "leaky_relu" and float(p.get("slope", 0.01)) == 0.0)


# -- losses --------------------------------------------------------------------------------------


def loss_derivs(name: str, p: dict, m: arb) -> tuple[arb, arb, arb]:
    """(ℓ, ℓ', ℓ'') of the margin, enclosed over the ball m; NotCertified where ℓ is not C²."""
    if name == "squared":
        return sqr(1 - m), -2 * (1 - m), arb(2)
    if name == "logistic":
        s = _sigmoid(m)  # ℓ' = −σ(−m) = s − 1
        return (-m).exp().log1p(), s - 1, s * (1 - s)
    if name == "exponential":
        e = (-m).exp()
        return e, -e, e
    if name in ("quadratic_hinge", "poly_hinge", "hinge"):
        power = 2.0 if name == "quadratic_hinge" else (1.0 if name == "hinge" else float(p.get("p", 3.0)))
        if m > 1:
            return arb(0), arb(0), arb(0)
        if not m < 1 and not (power >= 3 and power == int(power)):
            raise NotCertified(f"a margin ball {m.str(5)} contains the hinge point 1")
        t = (1 - m).nonnegative_part()
        q = exact(power)
        if power == int(power):
            k = int(power)
            return t ** k, -q * t ** (k - 1), q * (q - 1) * (t ** (k - 2) if k >= 2 else arb(0))
        return t ** q, -q * t ** (q - 1), q * (q - 1) * t ** (q - 2)
    if name == "smooth_hinge":
        if m > 1:
            return arb(0), arb(0), arb(0)
        if m < 0:
            return arb(0.5) - m, arb(-1), arb(0)
        if m > 0 and m < 1:
            return sqr(1 - m) / 2, m - 1, arb(1)
        raise NotCertified(f"a margin ball {m.str(5)} contains a kink of the smooth hinge")
    raise NotCertified(f"loss {name!r} has no enclosure")


def loss_value(name: str, p: dict, m: arb) -> arb:
    """ℓ enclosed over the ball m (kinks allowed: every piecewise loss here is non-increasing)."""
    if name in ("quadratic_hinge", "poly_hinge", "hinge"):
        power = 2.0 if name == "quadratic_hinge" else (1.0 if name == "hinge" else float(p.get("p", 3.0)))
        t = (1 - m).nonnegative_part()
        return t ** int(power) if power == int(power) else (t ** exact(power) if t > 0 else arb.union(arb(0), t ** exact(power)))
    if name == "smooth_hinge" and not (m > 1 or m < 0 or (m > 0 and m < 1)):
        return arb.union(loss_derivs(name, p, m.upper())[0], loss_derivs(name, p, m.lower())[0])
    return loss_derivs(name, p, m)[0]


def flat_region(name: str, m: arb) -> bool:
    """Is ℓ constant (= its minimum 0, ℓ' = ℓ'' = 0) on the whole ball m?"""
    return name in ("quadratic_hinge", "poly_hinge", "hinge", "smooth_hinge") and bool(m > 1)


def hex_floats(values: Sequence[float]) -> list[str]:
    """Floats as exact hexadecimal strings (a certificate's numbers survive JSON bit for bit)."""
    return [float(v).hex() for v in values]


def unhex_floats(values: Sequence[str]) -> list[float]:
    """The inverse of :func:`hex_floats`; a non-finite number is refused."""
    out = [float.fromhex(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError("non-finite number in the certificate")
    return out
