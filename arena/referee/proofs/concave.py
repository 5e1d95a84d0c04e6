"""The concavity trap: negative output weights on convex neurons make f concave in x.

Setting: one hidden layer, a convex neuron σ (softplus, softplus_linear, exponential, quadratic),
data on a line (one input coordinate t varies, the others are equal on every sample). If every
output weight a_j is negative on the whole box around θ₀, f(·; θ) is concave in t for every θ in the
box, so the outputs F(θ) lie in the convex cone K = {F: F_u = φ(u) at the distinct points u for a
concave φ}, described by the slope changes aₖᵀF <= 0 at the interior points. With c* the exact
minimiser of G(c) = (1/n) Σ ℓ(y_i c) (certified by the one-dimensional lemma), the gradient of
Φ(F) = (1/n) Σ ℓ(y_i F_i) at F* = c*·1 is (ℓ'(c*)/n)·q with the exact rationals
q_u = n₊(u) − n₋(u)·n₊/n₋ (because G'(c*) = 0). If q = Σₖ Qₖ aₖ with Qₖ >= 0 (checked over Q)
and ℓ'(c*) <= 0, then ∇Φ(F*) = −Σ νₖ aₖ with νₖ = −ℓ'(c*)Qₖ/n >= 0: the KKT conditions of the convex
problem min {Φ(F): F ∈ K}, so Φ(F(θ)) >= Φ(F*) = G(c*) on the box. The point θ* (every w_j = 0,
skip weights 0, output bias a₀* = c* − Σ a_j σ(b_j)) lies in the box and has L(θ*) = G(c*): a
(non-strict) local minimiser.
"""
from __future__ import annotations

from fractions import Fraction

from flint import arb, arb_mat

from arena.referee.proofs.balls import NotCertified, exact, loss_derivs, norm_upper, sigma_derivs
from arena.referee.proofs.model import Model
from arena.referee.proofs.smooth import StrictMinimum

CONVEX_NEURONS = ("softplus", "softplus_linear", "exponential", "quadratic")


def line_coordinate(X: list[list[float]]) -> list[float]:
    """The one input coordinate that varies (the others must be equal on every sample)."""
    varying = [k for k in range(len(X[0])) if len({row[k] for row in X}) > 1]
    if len(varying) > 1:
        raise NotCertified("the data do not lie on a coordinate line: the concavity argument needs 1-D data")
    k = varying[0] if varying else 0
    return [row[k] for row in X]


def kkt_multipliers(t: list[float], y: list[float]) -> list[Fraction]:
    """Qₖ >= 0 with q = Σ Qₖ aₖ over Q, or NotCertified."""
    pos = sum(1 for v in y if v > 0)
    neg = len(y) - pos
    if not pos or not neg:
        raise NotCertified("one label only: nothing to trap")
    points = sorted(set(t))
    q = [Fraction(sum(1 for ti, yi in zip(t, y) if ti == u and yi > 0))
         - Fraction(sum(1 for ti, yi in zip(t, y) if ti == u and yi < 0)) * Fraction(pos, neg) for u in points]
    u = [Fraction(p) for p in points]
    Q = [sum((q[i] * (u[k] - u[i]) for i in range(k)), Fraction(0)) for k in range(1, len(u) - 1)]
    total = [Fraction(0)] * len(u)
    for k, Qk in enumerate(Q, start=1):  # aₖᵀF = (F_{k+1} − F_k)/h_k − (F_k − F_{k−1})/h_{k−1}
        left, right = u[k] - u[k - 1], u[k + 1] - u[k]
        total[k - 1] += Qk / left
        total[k] -= Qk / left + Qk / right
        total[k + 1] += Qk / right
    if total != q:
        raise NotCertified("the gradient at the best constant is not a combination of concavity constraints "
                           "(class means of x differ)")
    if any(Qk < 0 for Qk in Q):
        raise NotCertified("a concavity multiplier is negative: the best constant is not optimal over concave fits")
    return Q


def concave_minimum(model: Model, centre: list[float], radius: float, X: arb_mat, y: list[arb],
                    Xf: list[list[float]], yf: list[float]) -> tuple[StrictMinimum, list[int], str]:
    """The one-dimensional lemma for c* and the checks above; NotCertified where they fail."""
    name, p = model.neuron
    if len(model.hidden) != 1 or name not in CONVEX_NEURONS or not model.bias:
        raise NotCertified("the concavity argument needs one hidden layer of a convex neuron and biases")
    h, n, r = model.hidden[0], len(y), exact(radius)
    a = [exact(centre[model.index("layers.1.weight", 0, j)]) for j in range(h)]
    if not all(aj + r < 0 for aj in a):
        raise NotCertified("an output weight is not negative on the whole box")
    Q = kkt_multipliers(line_coordinate(Xf), yf)
    bias = [exact(centre[model.index("layers.0.bias", j)]) for j in range(h)]
    const = sum((aj * sigma_derivs(name, p, bj)[0] for aj, bj in zip(a, bias)), arb(0))
    c0 = exact(float((const + exact(centre[model.index("layers.1.bias", 0)])).mid()))
    lemma, c_star = best_constant(model, y, n, c0, r)
    if not loss_derivs(model.loss[0], model.loss[1], c_star)[1] <= 0:
        raise NotCertified("ℓ'(c*) is not <= 0: no concavity multiplier")
    a0_star = c_star - const
    moves = [exact(centre[model.index("layers.0.weight", j, k)]) for j in range(h) for k in range(model.d)]
    moves += [exact(centre[model.index("skip.weight", 0, k)]) for k in range(model.d)] if model.skip else []
    moves.append(a0_star - exact(centre[model.index("layers.1.bias", 0)]))
    if lemma.holds and not all(abs(m) < r for m in moves):
        raise NotCertified("the point θ* (w = 0, a₀ at the best constant) is not inside the box")
    lemma.shift = norm_upper(moves)
    note = (f"every output weight < 0 on the box, so f is concave in x; {len(Q)} concavity constraint(s) with "
            "exact multipliers >= 0; the best constant c* certified")
    return lemma, [model.index("layers.1.bias", 0)], note


def best_constant(model: Model, ys: list[arb], n: int, c0: arb, r: arb) -> tuple[StrictMinimum, arb]:
    """The one-dimensional lemma for G(c) = (1/n) Σ ℓ(y_i c) on [c0 − r, c0 + r]: (lemma, ball of c*)."""
    lname, lp = model.loss
    G = [loss_derivs(lname, lp, yi * c0) for yi in ys]
    value = sum((g[0] for g in G), arb(0)) / n
    slope = sum((g[1] * yi for g, yi in zip(G, ys)), arb(0)) / n
    curv = sum((loss_derivs(lname, lp, yi * arb(c0.mid(), r))[2] for yi in ys), arb(0)) / n
    lemma = StrictMinimum(value, norm_upper([slope]), curv.lower() if curv > 0 else arb(0), r, 1)
    c_star = arb.union(c0 - lemma.distance, c0 + lemma.distance) if lemma.holds else c0
    return lemma, c_star


def equal_class_means(Xf: list[list[float]], yf: list[float], kept: list[int]) -> bool:
    """n₋·Σ_{y=+1} x_i == n₊·Σ_{y=−1} x_i in every column, exactly (over Q)."""
    pos = [i for i in kept if yf[i] > 0]
    neg = [i for i in kept if yf[i] < 0]
    if not pos or not neg:
        return False
    return all(len(neg) * sum(Fraction(Xf[i][k]) for i in pos) == len(pos) * sum(Fraction(Xf[i][k]) for i in neg)
               for k in range(len(Xf[0])))


def constant_fit_minimum(model: Model, centre: list[float], radius: float, X: arb_mat, y: list[arb],
                         Xf: list[list[float]], yf: list[float]) -> tuple[StrictMinimum, list[int], str]:
    """An affine network at the best constant when the best affine fit is that constant.

    On the box every unit keeps one piece on the samples that carry loss, so F lies in
    V = span{1, input columns} there. If the class means of x coincide on those samples (checked over
    Q), ∇Φ(c*·1) ⊥ V follows from G'(c*) = 0, so Φ(F(θ)) >= G(c*) on the box; θ* (output weights and
    skip weights 0, output bias c*) lies in the box when those weights are already within r of 0
    (gated units), and L(θ*) = G(c*).
    """
    from arena.referee.proofs.piecewise import constant_pieces, kept_samples

    if not model.hidden or not model.bias:
        raise NotCertified("the constant-fit argument needs a hidden layer and biases")
    over = [arb(c, radius) for c in centre]
    kept = kept_samples(model, over, X, y)
    constant_pieces(model, over, X, kept)
    if not equal_class_means(Xf, yf, kept):
        raise NotCertified("the class means of x differ on the samples that carry loss: the best affine fit "
                           "is not a constant")
    top, r = len(model.hidden), exact(radius)
    bias_at = model.index(f"layers.{top}.bias", 0)
    c0 = exact(centre[bias_at])
    lemma, c_star = best_constant(model, [y[i] for i in kept], len(y), c0, r)
    moves = [exact(centre[model.index(f"layers.{top}.weight", 0, j)]) for j in range(model.hidden[-1])]
    moves += [exact(centre[model.index("skip.weight", 0, k)]) for k in range(model.d)] if model.skip else []
    moves.append(c_star - c0)
    if lemma.holds and not all(abs(m) < r for m in moves):
        raise NotCertified("the point θ* (output weights 0, output bias c*) is not inside the box")
    lemma.shift = norm_upper(moves)
    return lemma, [bias_at], (f"the network is affine in x on the {len(kept)} sample(s) that carry loss, whose class "
                              "means coincide: the best constant c* is the best affine fit")
