"""Units exactly on a kink: local minimum or descent direction (after Yun, Sra and Jadbabaie).

Yun, Sra, Jadbabaie, "Efficiently testing local optimality and escaping saddles for ReLU networks",
ICLR 2019 (arXiv 1809.10858): at a point of a one-hidden-layer piecewise-linear network where some
samples lie on the kink of some hidden units (pre-activation exactly 0: the *boundary* samples B_k
of unit k), the parameter space splits into up to 2^M pieces, and one convex QP per hidden unit
decides the first-order question. Here the loss is L(θ) = Φ(F(θ)), Φ(F) = (1/n) Σ ℓ(y_i F_i) convex
and differentiable at F(θ), f(x) = Σ_k v_k σ(w_k·x + b_k) + c + s·x, σ(z) = z (z > 0), α z (z < 0).

With r = ∇Φ(F(θ)) and x̃_i = (x_i, 1), moving unit k's incoming weights by Δu changes L at first
order by D_k(Δu) = G_kᵀΔu + Σ_{i∈B_k} p_i max(x̃_iᵀΔu, 0), where G_k = v_k (Σ_{i∉B_k} r_i σ'(z_ik) x̃_i
+ α Σ_{i∈B_k} r_i x̃_i) and p_i = v_k (1 − α) r_i. For every subset T of the concave kinks
P⁻ = {p_i < 0}, D_k <= b_T(Δu) = (G_k + Σ_T p_i x̃_i)ᵀΔu + Σ_{P⁺} p_i max(x̃_iᵀΔu, 0), with equality
on a cone, and b_T is convex and positively homogeneous, so

    D_k >= 0 everywhere  ⇔  for every T ⊆ P⁻: 0 = G_k + Σ_T p_i x̃_i + Σ_{P⁺} s_i p_i x̃_i, s ∈ [0, 1]^{P⁺},

a convex QP per T (min ‖·‖² over the box of s; scipy's bounded least squares). A positive minimum
gives e (the residual) with b_T(−e) <= −‖e‖² < 0: a descent direction −e for unit k's weights.

**Local minimum (proof).** If every smooth partial derivative is 0 (output weights, output bias,
skip weights), every unit with v_k ≠ 0 has D_k >= 0, and every unit with v_k = 0 has G_k = 0 and
r_i = 0 on B_k, then on the neighbourhood where every other pre-activation and every v_k ≠ 0 keeps
its sign, F(θ') lies in a convex cone K with rᵀF >= 0 on K and rᵀF(θ) = 0, so
L(θ') = Φ(F(θ')) >= Φ(F(θ)) + rᵀ(F(θ') − F(θ)) >= L(θ): a (non-strict) local minimum, exactly at θ.
The conditions are equalities, so they are checked over Q (exact rationals: every float is one) for
losses whose derivative is rational at rational margins (squared, the hinge family off its kinks,
smooth_hinge); the float QP only proposes the active set of s, which is then solved exactly.

**Refutation.** A descent direction η (from a QP, a non-zero smooth partial derivative, or a unit
with v_k = 0, where η also moves v_k) is accepted only when L(θ + tη) < L(θ) is certified in ball
arithmetic for one of a few steps t: then θ is not a local minimum.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import numpy as np
from flint import arb

from arena.landscape.setting import Setting
from arena.referee.proofs.balls import (NotCertified, exact, float_down, float_up, hex_floats, inside, interval,
                                        norm_upper, precision, unhex_floats)
from arena.referee.proofs.model import Model, box, exact_data, witness_loss

MAX_CONCAVE = 8  # concave kinks per unit: 2^8 QPs at most
STEPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


@dataclass
class KinkResult:
    """``status``: "local_minimum" (exact proof), "descent" (certified refutation) or "undecided"."""

    status: str
    reason: str
    boundary: dict[int, list[int]] = field(default_factory=dict)  # unit -> samples on its kink
    radius: float = 0.0  # the neighbourhood of the proof (a float lower bound)
    loss: Fraction | None = None  # L(θ) exactly
    direction: list[float] | None = None
    step: float | None = None
    loss_after: arb | None = None
    loss_before: arb | None = None


def _q(x: float) -> Fraction:
    return Fraction(float(x))


def _loss_derivative(name: str, p: dict, m: Fraction) -> Fraction | None:
    """ℓ'(m) exactly, or None where it is irrational or ℓ has a kink at m."""
    if name == "squared":
        return -2 * (1 - m)
    if name == "quadratic_hinge":
        return -2 * max(1 - m, Fraction(0))
    if name == "poly_hinge" and float(p.get("p", 3.0)) == int(p.get("p", 3.0)) and int(p.get("p", 3.0)) >= 2:
        k = int(p.get("p", 3.0))
        return -k * max(1 - m, Fraction(0)) ** (k - 1)
    if name == "hinge" and m != 1:
        return Fraction(-1) if m < 1 else Fraction(0)
    if name == "smooth_hinge":
        return Fraction(-1) if m < 0 else (m - 1 if m <= 1 else Fraction(0))
    return None


class _Net:
    """The point, data and everything exact about it."""

    def __init__(self, model: Model, centre: Sequence[float], X: Any, y: Any) -> None:
        if len(model.hidden) != 1 or model.neuron[0] not in ("relu", "leaky_relu"):
            raise NotCertified("the kink test covers one hidden layer of relu or leaky_relu")
        if model.penalty or model.exp:
            raise NotCertified("the kink test covers unregularized losses of networks without the exponential unit (L = Φ(F)) only")
        self.model, self.centre = model, list(centre)
        self.alpha = Fraction(0) if model.neuron[0] == "relu" else _q(model.neuron[1].get("slope", 0.01))
        self.Xf, self.yf = X.double().tolist(), y.double().tolist()
        self.X = [[_q(v) for v in row] for row in self.Xf]
        self.y = [_q(v) for v in self.yf]
        th = [_q(v) for v in centre]
        m, d, h = model, model.d, model.hidden[0]
        self.W = [[th[m.index("layers.0.weight", k, c)] for c in range(d)] for k in range(h)]
        self.b = [th[m.index("layers.0.bias", k)] if m.bias else Fraction(0) for k in range(h)]
        self.v = [th[m.index("layers.1.weight", 0, k)] for k in range(h)]
        self.c = th[m.index("layers.1.bias", 0)] if m.bias else Fraction(0)
        self.s = [th[m.index("skip.weight", 0, c)] for c in range(d)] if m.skip else [Fraction(0)] * d
        self.xt = [row + ([Fraction(1)] if m.bias else []) for row in self.X]
        self.z = [[sum((a * b for a, b in zip(self.W[k], row)), Fraction(0)) + self.b[k] for k in range(h)]
                  for row in self.X]
        act = [[z if z > 0 else self.alpha * z for z in zr] for zr in self.z]
        self.act = act
        self.F = [sum((self.v[k] * a[k] for k in range(h)), self.c) + sum((a * b for a, b in zip(self.s, row)), Fraction(0))
                  for a, row in zip(act, self.X)]
        name, p = model.loss
        n = len(self.y)
        self.r: list[Fraction | None] = []
        for yi, fi in zip(self.y, self.F):
            dl = _loss_derivative(name, p, yi * fi)
            self.r.append(None if dl is None else dl * yi / n)
        self.boundary = {k: [i for i in range(n) if self.z[i][k] == 0] for k in range(h)}
        self.boundary = {k: b for k, b in self.boundary.items() if b}

    @property
    def exact_r(self) -> bool:
        return all(r is not None for r in self.r)

    @property
    def exact_residuals(self) -> list[Fraction]:
        """r_i as exact rationals (NotCertified when some margin has none)."""
        if not self.exact_r:
            raise NotCertified("the loss has no rational derivative at some margin")
        return [q for q in self.r if q is not None]

    def unit_terms(self, k: int, r: Sequence[Fraction]) -> tuple[list[Fraction], dict[int, Fraction]]:
        """(G_k, {i: p_i}) of the module docstring, for residuals r (exact or float-as-Fraction)."""
        B = self.boundary.get(k, [])
        dim = len(self.xt[0])
        G = [Fraction(0)] * dim
        for i, row in enumerate(self.xt):
            if i in B:
                wgt = self.alpha * r[i]
            else:
                wgt = r[i] * (1 if self.z[i][k] > 0 else self.alpha)
            if wgt:
                G = [g + wgt * x for g, x in zip(G, row)]
        return [self.v[k] * g for g in G], {i: self.v[k] * (1 - self.alpha) * r[i] for i in B}

    def smooth_gradient(self, r: Sequence[Fraction]) -> dict[int, Fraction]:
        """∂L/∂(output weights, output bias, skip weights) at θ, by flat parameter index."""
        m, out = self.model, {}
        for k in range(len(self.v)):
            out[m.index("layers.1.weight", 0, k)] = sum((ri * a[k] for ri, a in zip(r, self.act)), Fraction(0))
        if m.bias:
            out[m.index("layers.1.bias", 0)] = sum(r, Fraction(0))
        if m.skip:
            for c in range(m.d):
                out[m.index("skip.weight", 0, c)] = sum((ri * row[c] for ri, row in zip(r, self.X)), Fraction(0))
        return out

    def unit_coords(self, k: int) -> list[int]:
        m = self.model
        return [m.index("layers.0.weight", k, c) for c in range(m.d)] + ([m.index("layers.0.bias", k)] if m.bias else [])

    def radius(self) -> float:
        """A float lower bound of the neighbourhood's radius (signs of off-kink pre-activations and v_k ≠ 0)."""
        bounds = []
        for i, row in enumerate(self.xt):
            norm = sum((_arb(x) ** 2 for x in row), arb(0)).sqrt()
            bounds += [float_down(abs(_arb(z)) / norm) for z in self.z[i] if z != 0]
        bounds += [float_down(abs(_arb(v))) for v in self.v if v != 0]
        return min(bounds) if bounds else math.inf


def _arb(q: Fraction) -> arb:
    return arb(q.numerator) / arb(q.denominator)


# -- exact linear algebra and the per-unit QP -----------------------------------------------------


def _solve_exact(cols: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """A solution s of Σ_j s_j cols[j] = rhs over Q (any, if several), or None if there is none."""
    m, n = len(rhs), len(cols)
    A = [[cols[j][i] for j in range(n)] + [rhs[i]] for i in range(m)]
    pivots, row = [], 0
    for col in range(n):
        piv = next((r for r in range(row, m) if A[r][col] != 0), None)
        if piv is None:
            continue
        A[row], A[piv] = A[piv], A[row]
        inv = 1 / A[row][col]
        A[row] = [a * inv for a in A[row]]
        for r in range(m):
            if r != row and A[r][col] != 0:
                f = A[r][col]
                A[r] = [a - f * b for a, b in zip(A[r], A[row])]
        pivots.append(col)
        row += 1
    if any(A[r][n] != 0 for r in range(row, m)):
        return None
    out = [Fraction(0)] * n
    for r, col in enumerate(pivots):
        out[col] = A[r][n]
    return out


def _box_lsq(base: list[Fraction], cols: list[list[Fraction]]) -> tuple[np.ndarray, np.ndarray]:
    """min_{s ∈ [0,1]^m} ‖base + Σ s_j cols_j‖² in floats (a convex QP): (s, residual vector)."""
    b = np.array([float(x) for x in base])
    if not cols:
        return np.zeros(0), b
    from scipy.optimize import lsq_linear

    A = np.array([[float(x) for x in c] for c in cols]).T
    sol = lsq_linear(A, -b, bounds=(0.0, 1.0), method="bvls", tol=1e-14)
    return sol.x, b + A @ sol.x


def unit_test(net: _Net, k: int, r: list[Fraction]) -> tuple[bool | None, list[float] | None, str]:
    """(True: D_k >= 0 proved over Q | False: a candidate descent direction for unit k's weights | None: undecided)."""
    G, p = net.unit_terms(k, r)
    plus = [i for i, pi in p.items() if pi > 0]
    minus = [i for i, pi in p.items() if pi < 0]
    if len(minus) > MAX_CONCAVE:
        return None, None, f"unit {k}: {len(minus)} concave kinks > {MAX_CONCAVE}"
    scale = max([1.0] + [abs(float(g)) for g in G] + [abs(float(pi)) * max(abs(float(x)) for x in net.xt[i])
                                                       for i, pi in p.items()])
    for size in range(len(minus) + 1):
        for T in itertools.combinations(minus, size):
            base = list(G)
            for i in T:
                base = [a + p[i] * x for a, x in zip(base, net.xt[i])]
            cols = [[p[i] * x for x in net.xt[i]] for i in plus]
            s, res = _box_lsq(base, cols)
            if np.linalg.norm(res) > 1e-9 * scale:
                return False, (-res).tolist(), f"unit {k}: the QP for concave kinks {list(T)} has residual {np.linalg.norm(res):.3g}"
            if not _exact_certificate(base, cols, s):
                return None, None, f"unit {k}: no exact rational solution of the QP's active set (kinks {list(T)})"
    return True, None, f"unit {k}: D_k >= 0 ({len(plus)} convex, {len(minus)} concave kinks)"


def _exact_certificate(base: list[Fraction], cols: list[list[Fraction]], s: np.ndarray, tol: float = 1e-9) -> bool:
    """Is there, over Q, s' ∈ [0, 1]^m with base + Σ s'_j cols_j = 0, with s'_j fixed where s_j is at a bound?"""
    fixed = {j: Fraction(round(float(v))) for j, v in enumerate(s) if v < tol or v > 1 - tol}
    rhs = [-a for a in base]
    for j, v in fixed.items():
        rhs = [x - v * c for x, c in zip(rhs, cols[j])]
    free = [j for j in range(len(cols)) if j not in fixed]
    sol = _solve_exact([cols[j] for j in free], rhs)
    return sol is not None and all(0 <= v <= 1 for v in sol)


# -- the decision -------------------------------------------------------------------------------


def decide(model: Model, centre: Sequence[float], X: Any, y: Any) -> KinkResult:
    """Local minimum (exact proof), descent (exact negative directional derivative) or undecided."""
    net = _Net(model, centre, X, y)
    if not net.boundary:
        raise NotCertified("no sample lies exactly on a unit's kink")
    if not net.exact_r:
        return KinkResult("undecided", f"the loss {model.loss[0]!r} has no rational derivative at these margins "
                          "(or a margin sits on its kink)", net.boundary)
    r = net.exact_residuals
    direction = [0.0] * model.num_params
    notes, undecided = list[str](), list[str]()
    for idx, g in net.smooth_gradient(r).items():
        direction[idx] = -float(g)
    if any(direction):
        notes.append("a smooth partial derivative (output weights, bias, skip) is not 0")
    for k in range(len(net.v)):
        if net.v[k] == 0:
            zero_ok, why = _zero_unit(net, k, r)
            (notes if zero_ok else undecided).append(why)
            continue
        ok, dirn, why = unit_test(net, k, r)
        notes.append(why)
        if ok is None:
            undecided.append(why)
        elif ok is False:
            assert dirn is not None  # a failed unit test comes with its descent direction
            for c, val in zip(net.unit_coords(k), dirn):
                direction[c] = val
    if any(direction):
        return _refute(net, direction, "; ".join(n for n in notes if "D_k >= 0" not in n))
    if undecided:
        return KinkResult("undecided", "; ".join(undecided), net.boundary)
    loss = _exact_loss(net)
    return KinkResult("local_minimum", "; ".join(notes), net.boundary, radius=net.radius(), loss=loss)


def _zero_unit(net: _Net, k: int, r: list[Fraction]) -> tuple[bool, str]:
    """v_k = 0: the unit's first-order term vanishes for both signs of v_k iff G_k/v_k = 0 and r = 0 on B_k."""
    v = net.v[k]
    net.v[k] = Fraction(1)
    G, p = net.unit_terms(k, r)
    net.v[k] = v
    if all(g == 0 for g in G) and all(pi == 0 for pi in p.values()):
        return True, f"unit {k}: v_k = 0 and its first-order terms vanish"
    return False, f"unit {k}: v_k = 0 with non-zero terms on its kink (a second-order descent may exist; not decided)"


def _exact_loss(net: _Net) -> Fraction:
    name, p = net.model.loss
    total = Fraction(0)
    for yi, fi in zip(net.y, net.F):
        m = yi * fi
        if name == "squared":
            total += (1 - m) ** 2
        elif name in ("quadratic_hinge", "poly_hinge", "hinge"):
            power = 2 if name == "quadratic_hinge" else (1 if name == "hinge" else int(p.get("p", 3.0)))
            total += max(1 - m, Fraction(0)) ** power
        else:  # smooth_hinge
            total += Fraction(1, 2) - m if m < 0 else ((1 - m) ** 2 / 2 if m <= 1 else Fraction(0))
    return total / len(net.y)


def directional_derivative(net: _Net, direction: Sequence[float]) -> Fraction:
    """The one-sided derivative of L at θ along ``direction`` (exact, for units with v_k ≠ 0 or Δu_k = 0)."""
    eta = [_q(v) for v in direction]
    r = net.exact_residuals
    total = sum((g * eta[idx] for idx, g in net.smooth_gradient(r).items()), Fraction(0))
    for k in range(len(net.v)):
        du = [eta[c] for c in net.unit_coords(k)]
        if not any(du):
            continue
        if net.v[k] == 0:
            raise NotCertified(f"unit {k} has v_k = 0: its first-order term is 0, the direction needs a second order")
        G, p = net.unit_terms(k, r)
        total += sum((g * e for g, e in zip(G, du)), Fraction(0))
        total += sum((pi * max(sum((x * e for x, e in zip(net.xt[i], du)), Fraction(0)), Fraction(0))
                      for i, pi in p.items()), Fraction(0))
    return total


def _refute(net: _Net, direction: list[float], why: str) -> KinkResult:
    slope = directional_derivative(net, direction)
    if not slope < 0:
        return KinkResult("undecided", f"{why}; but the proposed direction's derivative {float(slope):.3g} is not < 0",
                          net.boundary)
    Xa, ya = exact_data_lists(net.Xf, net.yf)
    before = net.model.empirical_loss(box(net.centre, 0.0), Xa, ya)
    for t in STEPS:
        point = [c + t * e for c, e in zip(net.centre, direction)]
        after = net.model.empirical_loss(box(point, 0.0), Xa, ya)
        if after < before:
            return KinkResult("descent", f"{why}: the one-sided derivative along η is {float(slope):.6g} < 0 (exact), "
                              f"and L(θ + {t:g}η) < L(θ)", net.boundary, direction=direction, step=t,
                              loss_after=after, loss_before=before)
    return KinkResult("descent", f"{why}: the one-sided derivative along η is {float(slope):.6g} < 0 (exact)",
                      net.boundary, direction=direction, loss_before=before)


def exact_data_lists(X: list[list[float]], y: list[float]):
    import torch

    return exact_data(torch.tensor(X, dtype=torch.float64).reshape(len(X), -1), torch.tensor(y, dtype=torch.float64))


# -- certificates -------------------------------------------------------------------------------

KIND = "kink_local_minimum"
LABEL = "proof (exact rational arithmetic; witness in ball arithmetic: python-flint arb)"


def certify(setting: Any, params: Any, X: Any, y: Any, witnesses: Sequence[tuple[str, Any]] = (),
            claim_theta: Any = None) -> dict[str, Any]:
    """A ``kink_local_minimum`` certificate, or ``{"proof": False, "reason", ["refutation"]}``."""
    try:
        model = Model.of(setting)
        centre = setting.flatten({k: v.detach().double().cpu() for k, v in params.items()}).tolist()
        res = decide(model, centre, X.double().cpu(), y.double().cpu())
    except NotCertified as exc:
        return {"proof": False, "reason": f"kink test: {exc}"}
    if res.status == "descent":
        assert res.direction is not None  # a descent result carries its direction
        ref: dict[str, Any] = {"direction": hex_floats(res.direction), "derivative": "negative (exact)"}
        if res.step is not None and res.loss_before is not None and res.loss_after is not None:
            ref.update(step=res.step, loss_at_centre=interval(res.loss_before), loss_after_step=interval(res.loss_after))
        return {"proof": False, "reason": f"refuted by the kink test: {res.reason}", "refutation": ref}
    if res.status != "local_minimum":
        return {"proof": False, "reason": f"kink test undecided: {res.reason}"}
    assert res.loss is not None  # a local minimum carries its exact loss
    loss = _arb(res.loss)
    points = [(src, setting.flatten({k: v.detach().double().cpu() for k, v in w.items()}).tolist())
              for src, w in witnesses if w is not None]
    if not points:
        return {"proof": False, "reason": "kink test: a local minimum, but no witness point with a lower loss"}
    scored = [(src, pt, witness_loss(setting, X.double().cpu(), y.double().cpu(), pt)) for src, pt in points]
    src, point, wl = min(scored, key=lambda s: float(s[2].mid()))
    if not wl < loss:
        return {"proof": False, "reason": f"kink test: a local minimum, but the witness's loss {wl.str(8)} is not below {loss.str(8)}"}
    cert = {"proof": True, "kind": KIND, "label": LABEL,
            "statement": (f"θ₀ is a (non-strict) local minimiser: L(θ) >= L(θ₀) = {float(res.loss):.9g} on the ball of "
                          f"radius {res.radius:.3g} (samples on kinks: {_boundary_text(res.boundary)}; {res.reason}); "
                          f"the witness's loss <= {float(wl.upper()):.9g} < L(θ₀): bad"),
            "centre": hex_floats(centre), "radius": repr(res.radius),
            "boundary": {str(k): v for k, v in res.boundary.items()},
            "loss_at_centre": interval(loss), "minimum_loss": interval(loss),
            "witness": {"source": src, "point": hex_floats(point), "loss": interval(wl)}}
    if claim_theta is not None:
        theta = setting.flatten({k: v.detach().double().cpu() for k, v in claim_theta.items()}).tolist()
        cert["claim_distance_upper"] = repr(float_up(norm_upper([exact(a) - exact(b) for a, b in zip(theta, centre)])))
    return cert


def _boundary_text(boundary: dict[int, list[int]]) -> str:
    return ", ".join(f"unit {k}: {v}" for k, v in boundary.items())


def check_claim(claim: Any, cert: Any) -> tuple[bool, list[str]]:
    """Re-derive a ``kink_local_minimum`` certificate from the claim's data: (ok, lines)."""
    lines, ok = [], True

    def need(cond: bool, good: str, bad: str) -> None:
        nonlocal ok
        ok = ok and bool(cond)
        lines.append(("ok    " if cond else "FAIL  ") + (good if cond else bad))

    try:
        setting = Setting.from_config(claim.setting)
        centre, radius = unhex_floats(cert["centre"]), float(cert["radius"])
        X, y = claim.X.double(), claim.y.double()
        with precision():
            res = decide(Model.of(setting), centre, X, y)
            need(res.status == "local_minimum", f"the kink test re-derives a local minimum ({res.reason})",
                 f"the kink test re-derives {res.status}: {res.reason}")
            if res.status != "local_minimum" or res.loss is None:
                return False, lines
            need(radius <= res.radius, f"radius {radius:g} <= the re-derived {res.radius:g}",
                 f"stated radius {radius!r} exceeds the re-derived {res.radius!r}")
            loss = _arb(res.loss)
            need(inside(loss, cert["minimum_loss"]), f"L(θ₀) in {cert['minimum_loss']}",
                 f"stated L(θ₀) {cert['minimum_loss']} does not contain the exact {float(res.loss)!r}")
            wl = witness_loss(setting, X, y, unhex_floats(cert["witness"]["point"]))
            need(inside(wl, cert["witness"]["loss"]), f"witness loss in {cert['witness']['loss']}",
                 f"stated witness loss {cert['witness']['loss']} does not contain the re-derived {wl.str(12)}")
            need(wl < loss, "witness loss < L(θ₀): the minimum is bad",
                 f"the witness's loss {wl.str(10)} is not below L(θ₀) {loss.str(10)}")
    except NotCertified as exc:
        return False, lines + [f"FAIL  re-derivation failed: {exc}"]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return False, [f"malformed certificate: {exc.__class__.__name__}: {exc}"]
    return ok, lines
