"""Higher-order escapes: descent in the larger balls only, shrinking like a power of the radius.

A point whose only escape is of high order (e.g. ΔL ~ −r⁴ when a switched-off exponential neuron
must first turn before its weight pays) shows descent in the larger balls only, because below some
radius the gain drops under float64 resolution. The same picture arises at a true minimum whose
basin is small next to a lower basin. The two are told apart by a power law fitted over at least
``escape_min_radii`` radii whose order the network can produce (:func:`max_escape_order`):

* ``basin_edge``: even the highest admissible order predicts a visible descent at the first ball
  without one (or the fitted order does): the descent came from outside a small basin;
* ``escape``: a clean power law of admissible order predicts a gain below the resolution at the
  first ball without descent: a higher-order escape, not a minimum;
* ``inconclusive``: the evidence cannot decide (too few radii, a ragged fit, an order no network of
  this architecture produces); the verdict says so instead of guessing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from arena.landscape.setting import Setting


@dataclass
class EscapeCall:
    kind: str  # "basin_edge", "escape" or "inconclusive"
    reason: str
    order: float | None = None


def max_escape_order(setting: Setting) -> int:
    """The highest power p with ΔL ~ −r^p that the referee accepts for this architecture.

    A unit switched off (output weight 0) gains nothing until its incoming weights have turned; its
    contribution is a·G(Δu), where the gain G vanishes to some order k in the turn Δu. With a ≲ r
    the descent is ~ r^(k+1); with a quadratic term bounding a ~ r^k it is ~ r^(2k). G is built from
    products of at most D = (hidden layers + 1) weight factors (one more for the multiplicative
    pair, at least two with the skip neuron), so k <= D and p <= 2·D.
    """
    if not setting.builtin:
        return 4
    m = setting.mlp
    factors = len(m.hidden) + 1 + (1 if m.multiplicative_exp else 0)
    if m.exp_neuron:
        factors = max(factors, 2)
    return 2 * factors


def classify_escape(series: list[tuple[float, float, bool]], tol: float, max_order: int, min_radii: int = 3,
                    fit_tol: float = 0.5, visibility: float = 100.0) -> EscapeCall | None:
    """series: (radius, min ΔL, descent) sorted by decreasing radius. None unless the descending
    balls are a proper leading part of the series.

    Probes find a lower bound of the best descent in a ball (a few times less, in practice), so
    a missing descent counts as evidence only where the prediction exceeds ``visibility``·tol.
    """
    lead = []
    for r, d, descent in series:
        if not descent:
            break
        lead.append((r, -d))
    if not lead or len(lead) == len(series):
        return None
    r_next = series[len(lead)][0]
    r_k, d_k = lead[-1]
    seen = visibility * tol
    if d_k * (r_next / r_k) ** max_order >= seen:
        return EscapeCall("basin_edge", f"descent stops at radius {r_next:g} although any admissible order "
                          f"(<= {max_order}) would still give {d_k * (r_next / r_k) ** max_order:.2g} there: the descent "
                          f"in the larger balls comes from outside a small basin")
    if len(lead) < min_radii:
        return EscapeCall("inconclusive", f"descent only in the {len(lead)} largest ball(s) (down to radius {r_k:g}); "
                          f"at least {min_radii} radii are needed to fit the order of an escape, and smaller balls "
                          f"are below float64 resolution ({tol:.2g})")
    p, resid = _fit_power(lead)
    if resid > fit_tol or not 0 < p <= max_order + 0.5:
        return EscapeCall("inconclusive", f"descent down to radius {r_k:g} does not follow one admissible power "
                          f"(fitted r^{p:.3g}, residual {resid:.2g} decades, admissible orders <= {max_order})", p)
    predicted = d_k * (r_next / r_k) ** p
    if predicted >= seen:
        return EscapeCall("basin_edge", f"descent fits r^{p:.3g} but stops at radius {r_next:g}, where "
                          f"{predicted:.2g} would be visible: the edge of a small basin", p)
    return EscapeCall("escape", f"descent in every ball down to radius {r_k:g}, shrinking like r^{p:.3g} over "
                      f"{len(lead)} radii (ΔL = {-lead[0][1]:.3g} at {lead[0][0]:g}, {-d_k:.3g} at {r_k:g}); at "
                      f"radius {r_next:g} it would be {predicted:.2g}, too close to the float64 resolution {tol:.2g} to be seen: "
                      f"{'a higher-order' if p > 2.5 else 'an'} escape of order {p:.2g}, not a minimum", p)


def _fit_power(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares log10 d = c + p·log10 r: (p, largest residual in decades)."""
    xs = [math.log10(r) for r, _ in points]
    ys = [math.log10(d) for _, d in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    p = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return p, max(abs(y - (my + p * (x - mx))) for x, y in zip(xs, ys))
