"""Piecewise-linear networks and dead units: the loss as a convex function of the outputs.

On a box where every first-layer pre-activation keeps its piece (certified in ball arithmetic), a
one-hidden-layer network with a piecewise-linear neuron (relu, leaky_relu, linear) is

    f(x_i; θ) = Σ_j v_j s_ij (w_j·x_i + b_j) + c + s·x_i,    s_ij ∈ {0, 1, slope} fixed,

so the output vector F(θ) lies in the subspace V spanned by the columns (s_ij x̃_i)_i of every
unit, the constant column and the input columns. Units dead on every sample contribute nothing
(their weights are flat directions); samples whose margin stays beyond the hinge on the whole box
keep loss 0 and are set aside. With the output weights frozen, F is affine in the incoming weights
of one representative unit per activation pattern (output weight ≠ 0), the output bias and the skip
weights; their columns span V exactly (the other units' columns are exact multiples). If the loss
restricted to these coordinates has a certified strict minimiser θ* on the box (the lemma of
:mod:`arena.referee.proofs.smooth`), then ∇Φ(F(θ*)) ⊥ V for the convex Φ(F) = (1/n) Σ ℓ(y_i F_i), so
L(θ) = Φ(F(θ)) >= Φ(F(θ*)) = L(θ*) for every θ in the box: θ* is a (non-strict) local minimiser.

Deeper networks are covered when every first-layer unit is dead on the whole box (σ = 0 there):
then F(θ) = κ(θ)·1 + s·x_i and the coordinates are the last bias and the skip weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from flint import arb, arb_mat, fmpq, fmpq_mat

from arena.referee.proofs.balls import NotCertified, dead_is_zero, exact, flat_region, loss_derivs
from arena.referee.proofs.model import Model

PIECEWISE_LINEAR = ("relu", "leaky_relu", "linear")


@dataclass
class Reduction:
    """Coordinates S, the exact Jacobian columns J [n, |S|] of F in them, the kept samples R."""

    coords: list[int]
    J: list[list[arb]]
    kept: list[int]
    Jq: list[list[Fraction]] = field(default_factory=list)  # the same columns as exact rationals
    dead_units: list[int] = field(default_factory=list)
    patterns: int = 0
    note: str = ""


def _slope(name: str, p: dict, z: arb) -> float:
    if name == "linear":
        return 1.0
    if z > 0:
        return 1.0 if name != "relu_power" and name != "smooth_relu" else float("nan")
    if z < 0:
        return 0.0 if name != "leaky_relu" else float(p.get("slope", 0.01))
    raise NotCertified(f"a first-layer pre-activation ball {z.str(5)} contains the kink 0")


def reduce(model: Model, theta_box: list[arb], centre: list[float], X: arb_mat, y: list[arb]) -> Reduction:
    """The coordinates S of the argument above, certified on the box; NotCertified if it does not apply."""
    if not model.hidden:
        raise NotCertified("no hidden layer: use the strict-minimum test")
    name, p = model.neuron
    z = model.layer_pre(theta_box, 0, X)
    n, h = len(y), model.hidden[0]
    margins = [yi * fi for yi, fi in zip(y, model.outputs(theta_box, X))]
    kept = [i for i in range(n) if not flat_region(model.loss[0], margins[i])]
    # samples off the loss's flat region are the only ones whose activation pattern matters
    S = {i: [_slope(name, p, z[i, j]) for j in range(h)] for i in kept}
    if len(model.hidden) > 1:
        if dead_is_zero(name, p) and all(v == 0 for row in S.values() for v in row):
            return _constant_reduction(model, X, kept, note=f"every first-layer unit is dead on the {len(kept)} "
                                       "sample(s) that carry loss")
        return independent(_affine_reduction(model, theta_box, centre, X, kept))
    if any(v != v for row in S.values() for v in row):
        raise NotCertified(f"live units of the non-piecewise-linear neuron {name!r}")
    if name not in PIECEWISE_LINEAR and not dead_is_zero(name, p):
        raise NotCertified(f"neuron {name!r} is not piecewise linear")
    return independent(_pattern_reduction(model, centre, X, S, kept, n))


def _xt(model: Model, X: arb_mat, i: int) -> list[arb]:
    return [X[i, k] for k in range(model.d)] + ([arb(1)] if model.bias else [])


def _constant_reduction(model: Model, X: arb_mat, kept: list[int], note: str) -> Reduction:
    top = len(model.hidden)
    coords = ([model.index(f"layers.{top}.bias", 0)] if model.bias else [])
    coords += [model.index("skip.weight", 0, k) for k in range(model.d)] if model.skip else []
    J = [([arb(1)] if model.bias else []) + ([X[i, k] for k in range(model.d)] if model.skip else [])
         for i in kept]
    Jq = [[Fraction(float(e.mid())) for e in row] for row in J]  # exact: data entries are floats
    return Reduction(coords, J, kept, Jq, dead_units=list(range(model.hidden[0])), note=note)


def kept_samples(model: Model, theta_box: list[arb], X: arb_mat, y: list[arb]) -> list[int]:
    """Samples whose margin is not beyond the hinge somewhere on the box (the others keep ℓ = 0)."""
    margins = [yi * fi for yi, fi in zip(y, model.outputs(theta_box, X))]
    return [i for i in range(len(y)) if not flat_region(model.loss[0], margins[i])]


def constant_pieces(model: Model, theta_box: list[arb], X: arb_mat, kept: list[int]) -> list[list[Fraction]]:
    """The slope of every hidden unit, the same on every kept sample over the box, or NotCertified."""
    name, p = model.neuron
    if name not in PIECEWISE_LINEAR:
        raise NotCertified(f"neuron {name!r} is not piecewise linear")
    slopes, h = [], X
    for layer in range(len(model.hidden)):
        z = model.layer_pre(theta_box, layer, h)
        layer_slopes = []
        for j in range(z.ncols()):
            pieces = {_slope(name, p, z[i, j]) for i in kept}
            if len(pieces) > 1:
                raise NotCertified(f"unit {j} of hidden layer {layer} changes piece across the samples that carry "
                                   "loss: the network is not affine there")
            layer_slopes.append(Fraction(pieces.pop()) if pieces else Fraction(0))
        slopes.append(layer_slopes)
        h = arb_mat([[z[i, j] * exact(float(layer_slopes[j])) for j in range(z.ncols())] for i in range(z.nrows())])
    return slopes


def _affine_reduction(model: Model, theta_box: list[arb], centre: list[float], X: arb_mat,
                      kept: list[int]) -> Reduction:
    """Deep piecewise-linear networks whose every unit keeps ONE piece on all loss-carrying samples.

    Then f(x_i; θ) = A(θ)·x_i + β(θ) on those samples for every θ in the box: F lies in the span of
    the constant and input columns. With everything else frozen, F is affine in the incoming
    weights of a first-layer unit j* whose exact gain g_j* (the product of the downstream weights
    and slopes, computed over Q at θ₀) is not 0, with columns g_j*·x_i; with the output bias they
    span that space.
    """
    slopes = constant_pieces(model, theta_box, X, kept)
    top = len(model.hidden)
    gain = [Fraction(centre[model.index(f"layers.{top}.weight", 0, j)]) for j in range(model.hidden[-1])]
    for layer in range(top - 1, 0, -1):
        gain = [g * s for g, s in zip(gain, slopes[layer])]
        gain = [sum((gain[r] * Fraction(centre[model.index(f"layers.{layer}.weight", r, c)])
                     for r in range(len(gain))), Fraction(0)) for c in range(model.hidden[layer - 1])]
    gain = [g * s for g, s in zip(gain, slopes[0])]
    star = max(range(len(gain)), key=lambda j: abs(gain[j]))
    if gain[star] == 0:
        raise NotCertified("every first-layer unit has gain 0 to the output: the reduction does not apply")
    red = _constant_reduction(model, X, kept, note="")
    red.dead_units = [j for j, s in enumerate(slopes[0]) if s == 0]
    g_ball = arb(gain[star].numerator) / arb(gain[star].denominator)
    for k in range(model.d):
        red.coords.append(model.index("layers.0.weight", star, k))
        for row, qrow, i in zip(red.J, red.Jq, kept):
            row.append(g_ball * X[i, k])
            qrow.append(gain[star] * Fraction(float(X[i, k].mid())))
    red.note = (f"every unit keeps one piece on the {len(kept)} sample(s) that carry loss, so the network is affine "
                "in x there")
    return red


def _pattern_reduction(model: Model, centre: list[float], X: arb_mat, S: dict[int, list[float]], kept: list[int],
                       n: int) -> Reduction:
    h, d = model.hidden[0], model.d
    groups: dict[tuple, list[int]] = {}
    dead = []
    for j in range(h):
        col = [Fraction(S[i][j]) for i in kept]  # S holds 0.0, 1.0 or the leaky slope: exact
        first = next((c for c in col if c != 0), None)
        if first is None:
            dead.append(j)
            continue
        groups.setdefault(tuple(c / first for c in col), []).append(j)
    red = _constant_reduction(model, X, kept, note="")
    red.dead_units, red.patterns = dead, len(groups)
    v = [centre[model.index("layers.1.weight", 0, j)] for j in range(h)]
    for key, units in groups.items():
        rep = max(units, key=lambda j: abs(v[j]))
        if v[rep] == 0:
            raise NotCertified(f"units {units} share an activation pattern and all have output weight 0 "
                               "(gated): the reduction does not apply")
        ones = all(c == 1 for c in key)
        ks = [k for k in range(d) if not (ones and model.skip)]
        ks += [d] if model.bias and not ones else []
        for k in ks:
            red.coords.append(model.index("layers.0.weight", rep, k) if k < d else model.index("layers.0.bias", rep))
            for row, qrow, i in zip(red.J, red.Jq, kept):
                x = _xt(model, X, i)[k]
                row.append(exact(v[rep]) * exact(S[i][rep]) * x)  # a ball around the exact product
                qrow.append(Fraction(v[rep]) * Fraction(S[i][rep]) * Fraction(float(x.mid())))
    red.note = (f"{len(dead)} unit(s) dead on every sample that carries loss, {len(groups)} activation "
                f"pattern(s), {len(kept)} of {n} samples off the loss's flat region")
    return red


def independent(red: Reduction) -> Reduction:
    """Keep a subset of the coordinates whose columns span the same space, decided exactly over Q.

    The columns are exact rationals (products of float64 numbers), so the reduced row echelon form
    over Q names pivot columns; every other column is an exact combination of them.
    """
    if not red.coords or not red.J:
        return red
    rows = [[fmpq(q.numerator, q.denominator) for q in row] for row in red.Jq]
    rref, rank = fmpq_mat(rows).rref()
    pivots = []
    for r in range(rank):
        pivots.append(next(c for c in range(rref.ncols()) if rref[r, c] != 0))
    red.coords = [red.coords[c] for c in pivots]
    red.J = [[row[c] for c in pivots] for row in red.J]
    red.Jq = [[row[c] for c in pivots] for row in red.Jq]
    return red


def reduced_derivatives(model: Model, red: Reduction, y: list[arb], centre_margins: list[arb],
                        box_margins: list[arb]) -> tuple[list[arb], arb_mat]:
    """∇_S L at the centre and ∇²_S L = (1/n) Σ_{i∈R} ℓ''(m_i) J_i J_iᵀ over the box (ℓ'' on box margins)."""
    lname, lp = model.loss
    n, k = len(y), len(red.coords)
    grad = [arb(0)] * k
    rows = []
    for row, i in zip(red.J, red.kept):
        slope = loss_derivs(lname, lp, centre_margins[i])[1] * y[i] / n
        grad = [g + slope * e for g, e in zip(grad, row)]
        curv = loss_derivs(lname, lp, box_margins[i])[2] / n
        rows.append([curv * e for e in row])
    if not k:
        return [], arb_mat(0, 0)
    if not rows:
        return grad, arb_mat(k, k)
    return grad, arb_mat(red.J).transpose() * arb_mat(rows)
