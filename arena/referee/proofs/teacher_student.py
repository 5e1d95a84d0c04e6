"""Strict spurious minima of the teacher–student population loss, proved in ball arithmetic.

F(W) = ½ Σᵢᵢ' κ(wᵢ, wᵢ') − Σᵢⱼ κ(wᵢ, vⱼ) + ½ Σⱼⱼ' κ(vⱼ, vⱼ') with the arc-cosine kernel
κ(u, z) = ‖u‖‖z‖/(2π)·(sin θ + (π − θ) cos θ) (see :mod:`arena.landscape.teacher_student` for the
gradient and Hessian formulas used here). Every quantity is evaluated with python-flint's arb:
θ = acos(cos θ) of a ball, sin θ = √((1 − cos θ)(1 + cos θ)). The formulas hold where every student
unit is non-zero and no pair of units is parallel; a box that may contain such a point (a norm ball
or a 1 − cos² ball that is not > 0) stops the proof (:class:`NotCertified`).

With the Hessian enclosed over the box θ₀ ± r and the gradient at θ₀, the strict-minimum lemma
(:mod:`.smooth`) gives a unique strict local minimiser θ* within ‖∇F(θ₀)‖/μ of θ₀ and an enclosure
of F(θ*). It is bad when a witness (the exact global minimiser of the setting for n ≥ k, where
F = 0) has a certified lower F. The witness may contain parallel units (split teacher units), so
its F is enclosed by the value-only kernel, which uses that g(c) = √(1 − c²) + (π − acos c)·c is
non-decreasing on [−1, 1].
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from flint import arb, arb_mat

from arena.landscape.teacher_student import TASK, TeacherStudentSetting, population_hessian
from arena.referee.proofs.balls import (NotCertified, around, exact, float_down, float_up, inside, interval, norm_upper,
                                        precision, sqr, hex_floats, unhex_floats)
from arena.referee.proofs.smooth import StrictMinimum, check_lemma, strict_minimum

KIND = "teacher_student_strict_minimum"
LABEL = "proof (ball arithmetic: python-flint arb, 128-bit midpoints)"
RADII = (1e-9, 1e-10, 1e-8, 1e-11)  # relative to max(1, max |θ₀|), tried in this order
Vec = list  # a vector of arb balls


def _pi() -> arb:
    return arb.pi()


def _norm(u: Vec) -> arb:
    return sum((sqr(x) for x in u), arb(0)).sqrt()


def _dot(u: Vec, z: Vec) -> arb:
    return sum((a * b for a, b in zip(u, z)), arb(0))


class _Pair:
    """Geometry of a pair (u, z) of non-zero, non-parallel vectors over their balls."""

    def __init__(self, u: Vec, z: Vec, nu: arb, nz: arb, what: str) -> None:
        c = _dot(u, z) / (nu * nz)
        s2 = (1 - c) * (1 + c)
        if not s2 > 0:
            raise NotCertified(f"{what} may be parallel on the box (cos θ = {c.str(5)}): F is not C² there")
        self.c, self.s, self.theta = c, s2.sqrt(), c.acos()
        self.ub = [x / nu for x in u]
        self.zb = [x / nz for x in z]
        self.nu, self.nz = nu, nz

    def kernel(self) -> arb:
        return self.nu * self.nz / (2 * _pi()) * (self.s + (_pi() - self.theta) * self.c)

    def grad(self) -> Vec:
        """∇_u κ(u, z) = (‖z‖ sin θ · ū + (π − θ) z) / 2π."""
        a, b = self.nz * self.s, _pi() - self.theta
        return [(a * ub + b * zb * self.nz) / (2 * _pi()) for ub, zb in zip(self.ub, self.zb)]

    def n_uz(self) -> arb_mat:
        """(z̄ − cos θ ū)/sin θ as a column."""
        return arb_mat([[(zb - self.c * ub) / self.s] for ub, zb in zip(self.ub, self.zb)])

    def n_zu(self) -> arb_mat:
        return arb_mat([[(ub - self.c * zb) / self.s] for ub, zb in zip(self.ub, self.zb)])


def _norms(W: list[Vec], what: str = "student unit") -> list[arb]:
    out = []
    for i, w in enumerate(W):
        sq = sum((sqr(x) for x in w), arb(0))
        if not sq > 0:
            raise NotCertified(f"{what} {i} may be 0 on the box: F is not C² there")
        out.append(sq.sqrt())
    return out


def kernel_value(u: Vec, z: Vec) -> arb:
    """κ(u, z) enclosed over the balls, for any u, z (parallel or zero vectors allowed)."""
    nu, nz = _norm(u), _norm(z)
    if nu.is_zero() or nz.is_zero():
        return arb(0)
    if not (nu > 0 and nz > 0):
        return arb.union(arb(0), _kernel_value_nonzero(u, z, nu, nz))  # κ >= 0, continuous, 0 at 0
    return _kernel_value_nonzero(u, z, nu, nz)


def _kernel_value_nonzero(u: Vec, z: Vec, nu: arb, nz: arb) -> arb:
    c = _dot(u, z) / (nu * nz)

    def g(t: arb) -> arb:
        return (1 - t * t).sqrt() + (_pi() - t.acos()) * t

    if not c.is_finite():
        value = arb.union(arb(0), _pi())  # g maps [−1, 1] onto [0, π]
    elif not (c > -1 and c < 1):
        lo = max(float_down(c), -1.0)
        hi = min(float_up(c), 1.0)
        value = arb.union(g(arb(lo)), g(arb(hi)))  # g is non-decreasing in cos θ
    else:
        value = g(c)
    return nu * nz / (2 * _pi()) * value


def loss_value(W: list[Vec], V: list[Vec]) -> arb:
    """F(W) enclosed over the balls (any W: parallel and zero units allowed)."""
    total = arb(0)
    for i, w in enumerate(W):
        total += sum((sqr(x) for x in w), arb(0)) / 4
        for w2 in W[i + 1:]:
            total += kernel_value(w, w2)
        for v in V:
            total -= kernel_value(w, v)
    for j, v in enumerate(V):
        total += sum((sqr(x) for x in v), arb(0)) / 4
        for v2 in V[j + 1:]:
            total += kernel_value(v, v2)
    return total


def gradient(W: list[Vec], V: list[Vec]) -> list[arb]:
    """∇F(W), flattened row-major (index i·d + c); NotCertified at zero or parallel units."""
    nw, nv = _norms(W), _norms(V, "teacher unit")
    out = []
    for i, w in enumerate(W):
        g = [x / 2 for x in w]
        terms = [(+1, W[i2], nw[i2], f"student units {i}, {i2}") for i2 in range(len(W)) if i2 != i]
        terms += [(-1, v, nv[j], f"student unit {i} and teacher unit {j}") for j, v in enumerate(V)]
        for sign, z, nz, what in terms:
            pg = _Pair(w, z, nw[i], nz, what).grad()
            g = [a + b if sign > 0 else a - b for a, b in zip(g, pg)]
        out += g
    return out


def hessian(W: list[Vec], V: list[Vec]) -> arb_mat:
    """∇²F enclosed over the balls W: [n·d, n·d]; NotCertified at zero or parallel units."""
    n, d = len(W), len(W[0])
    nw, nv = _norms(W), _norms(V, "teacher unit")
    two_pi = 2 * _pi()
    eye = arb_mat(d, d, [1 if a == b else 0 for a in range(d) for b in range(d)])
    blocks: dict[tuple[int, int], arb_mat] = {}
    for i in range(n):
        for i2 in range(i + 1, n):
            p = _Pair(W[i], W[i2], nw[i], nw[i2], f"student units {i}, {i2}")
            ub, zb = arb_mat([[x] for x in p.ub]), arb_mat([[x] for x in p.zb])
            B = ((_pi() - p.theta) * eye + ub * p.n_uz().transpose() + zb * p.n_zu().transpose()) / two_pi
            blocks[i, i2], blocks[i2, i] = B, B.transpose()  # ∇²F is symmetric where F is C²
    for i in range(n):
        ub = arb_mat([[x / nw[i]] for x in W[i]])
        weight, cols = arb(0), []
        terms = [(+1, W[i2], nw[i2], f"student units {i}, {i2}") for i2 in range(n) if i2 != i]
        terms += [(-1, v, nv[j], f"student unit {i} and teacher unit {j}") for j, v in enumerate(V)]
        scaled = []
        for sign, z, nz, what in terms:
            p = _Pair(W[i], z, nw[i], nz, what)
            wt = sign * nz * p.s / (two_pi * nw[i])  # ‖z‖ sin θ / (2π‖w‖), signed
            weight += wt
            col = p.n_uz()
            cols.append(col)
            scaled.append(wt * col)
        N = arb_mat([[c[a, 0] for c in cols] for a in range(d)])
        Ns = arb_mat([[c[a, 0] for c in scaled] for a in range(d)])
        blocks[i, i] = eye / 2 + weight * (eye - ub * ub.transpose()) + Ns * N.transpose()
    rows = []
    for i in range(n):
        parts = [blocks[i, j].tolist() for j in range(n)]
        for a in range(d):
            rows.append([x for part in parts for x in part[a]])
    return arb_mat(rows)


# -- the certificate ---------------------------------------------------------------------------


def _rows(flat: Sequence[float], n: int, d: int, radius: float = 0.0) -> list[Vec]:
    if len(flat) != n * d:
        raise NotCertified(f"point has {len(flat)} coordinates, the setting has n·d = {n * d}")
    return [[around(flat[i * d + c], radius) if radius else exact(flat[i * d + c]) for c in range(d)]
            for i in range(n)]


def _teacher(setting: TeacherStudentSetting) -> list[Vec]:
    return [[exact(x) for x in row] for row in setting.teacher().tolist()]


def derive(setting: TeacherStudentSetting, centre: Sequence[float], radius: float) -> StrictMinimum:
    """The lemma's numbers at (centre, radius): F and ∇F at θ₀, λ_min of ∇²F over the box."""
    n, d = setting.n, setting.d
    V = _teacher(setting)
    at = _rows(centre, n, d)
    return strict_minimum(loss_value(at, V), gradient(at, V), hessian(_rows(centre, n, d, radius), V), exact(radius))


def witness_loss(setting: TeacherStudentSetting, point: Sequence[float]) -> arb:
    return loss_value(_rows(point, setting.n, setting.d), _teacher(setting))


def refine(setting: TeacherStudentSetting, W: torch.Tensor, iterations: int = 3) -> list[float]:
    """Float Newton steps from W [n, d] with the gradient evaluated in ball arithmetic (midpoints):
    θ₀ lands within float64 rounding of the minimiser, where ‖∇F(θ₀)‖ is about 1e-15. Only the
    choice of θ₀ rests on this; the certificate re-derives everything at the θ₀ it states."""
    V = setting.teacher()
    Vb = _teacher(setting)
    best = W.detach().double().cpu().flatten().tolist()

    def grad_mid(flat: list[float]) -> np.ndarray:
        return np.array([float(g.mid()) for g in gradient(_rows(flat, setting.n, setting.d), Vb)])

    g = grad_mid(best)
    for _ in range(iterations):
        H = population_hessian(torch.tensor(best, dtype=torch.float64).reshape(1, setting.n, setting.d), V)[0].numpy()
        try:
            cand = (np.array(best) - np.linalg.solve(H, g)).tolist()
            g2 = grad_mid(cand)
        except (np.linalg.LinAlgError, NotCertified):
            break
        if not np.linalg.norm(g2) < np.linalg.norm(g):
            break
        best, g = cand, g2
    return best



def _statement(lem: StrictMinimum, minimum: arb, witness: arb, radius: float, source: str) -> str:
    return (f"a unique strict local minimiser W* of the population loss F in the ball B(θ₀, r), r = {radius:g}, "
            f"‖W* − θ₀‖ <= {float_up(lem.distance):.3g}; λ_min(∇²F) >= {float_down(lem.mu):.4g} over the box in "
            f"{lem.coordinates} coordinates, ‖∇F(θ₀)‖ <= {float_up(lem.grad_norm):.3g}; F(W*) in "
            f"[{float_down(minimum):.10g}, {float_up(minimum):.10g}] and the {source}'s F <= {float_up(witness):.3g} "
            "< F(W*): a spurious (bad) strict local minimum")


def certify(setting: TeacherStudentSetting, W: torch.Tensor, *, witness: torch.Tensor | None = None,
            claim_W: torch.Tensor | None = None, store_witness: bool = True) -> dict[str, Any]:
    """A certificate that a strict spurious minimum lies next to W [n, d], or ``{"proof": False, "reason"}``.

    The witness is ``witness`` [n, d] when given, else the setting's exact global minimiser (n >= k);
    ``store_witness=False`` leaves the latter's point out (the checker rebuilds it from the setting).
    """
    start = time.perf_counter()
    try:
        with precision():
            cert = _certify(setting, W, witness, claim_W, store_witness)
    except NotCertified as exc:
        cert = {"proof": False, "reason": str(exc)}
    cert["seconds"] = round(time.perf_counter() - start, 3)
    return cert


def _certify(setting, W, witness, claim_W, store_witness) -> dict[str, Any]:
    centre = refine(setting, W)
    scale = max(1.0, max(abs(v) for v in centre))
    failures, found = [], None
    for rel in RADII:
        lem = derive(setting, centre, rel * scale)
        if lem.holds:
            found = (lem, rel * scale)
            break
        failures.append(f"r={rel * scale:g}: {lem.failure()}")
    if found is None:
        raise NotCertified("; ".join(failures))
    lem, radius = found
    if witness is None:
        glob = setting.global_witness()
        if glob is None:
            raise NotCertified(f"n = {setting.n} < k = {setting.k}: no exact global minimiser, and no witness given")
        point, source = glob["W"].flatten().tolist(), "exact global minimiser"
    else:
        point, source = witness.detach().double().cpu().flatten().tolist(), "witness"
        store_witness = True
    wl = witness_loss(setting, point)
    minimum = lem.minimum_loss
    if not wl < minimum:
        raise NotCertified(f"the {source}'s F {wl.str(8)} is not certified below F(W*) {minimum.str(8)}")
    cert: dict[str, Any] = {"proof": True, "kind": KIND, "label": LABEL, "statement": _statement(lem, minimum, wl, radius, source),
            "centre": hex_floats(centre), "radius": repr(radius), "mu_lower": repr(float_down(lem.mu)),
            "grad_norm_upper": repr(float_up(lem.grad_norm)), "loss_at_centre": interval(lem.loss_at_centre),
            "minimum_loss": interval(minimum), "distance_to_minimiser_upper": repr(float_up(lem.distance)),
            "witness": {"source": source, "loss": interval(wl)}}
    if store_witness:
        cert["witness"]["point"] = hex_floats(point)
    if claim_W is not None:
        dist = norm_upper([exact(a) - exact(b) for a, b in zip(claim_W.double().flatten().tolist(), centre)])
        cert["claim_distance_upper"] = repr(float_up(dist + lem.distance))
    return cert


def check(setting: TeacherStudentSetting, cert: Mapping[str, Any],
          claim_W: torch.Tensor | None = None) -> tuple[bool, list[str]]:
    """Re-derive every bound of ``cert`` for ``setting``: (ok, one ``ok``/``FAIL`` line per check)."""
    if not isinstance(cert, Mapping) or cert.get("proof") is not True:
        return False, ["the minimum carries no proof (proof: false or no certificate)"]
    try:
        if cert.get("kind") != KIND:
            return False, [f"certificate kind {cert.get('kind')!r} is not {KIND!r}"]
        centre, radius = unhex_floats(cert["centre"]), float(cert["radius"])
        if not (math.isfinite(radius) and radius > 0):
            return False, [f"bad radius {cert['radius']!r}"]
        stated = {k: float(cert[k]) for k in ("mu_lower", "grad_norm_upper", "distance_to_minimiser_upper")}
        w = cert["witness"]
        if "point" in w:
            point = unhex_floats(w["point"])
        else:
            glob = setting.global_witness()
            if glob is None:
                return False, ["the certificate names no witness point and n < k has no exact global minimiser"]
            point = glob["W"].flatten().tolist()
        with precision():
            return _check(setting, cert, centre, radius, stated, point, claim_W)
    except NotCertified as exc:
        return False, [f"re-derivation failed: {exc}"]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return False, [f"malformed certificate: {exc.__class__.__name__}: {exc}"]


def _check(setting, cert, centre, radius, stated, point, claim_W) -> tuple[bool, list[str]]:
    lines, ok = [], True

    def need(cond: bool, good: str, bad: str) -> None:
        nonlocal ok
        ok = ok and bool(cond)
        lines.append(("ok    " if cond else "FAIL  ") + (good if cond else bad))

    lem = derive(setting, centre, radius)
    minimum = check_lemma(need, lem, stated, cert, radius, f="F", at="W*")
    wl = witness_loss(setting, point)
    need(inside(wl, cert["witness"]["loss"]), f"witness F in {cert['witness']['loss']}",
         f"stated witness F {cert['witness']['loss']} does not contain the re-derived {wl.str(12)}")
    need(wl < minimum, "witness F < F(W*): the minimum is spurious",
         f"the witness's F {wl.str(10)} is not below F(W*) {minimum.str(10)}")
    if "claim_distance_upper" in cert and claim_W is not None:
        dist = norm_upper([exact(a) - exact(b) for a, b in zip(claim_W.double().flatten().tolist(), centre)])
        dist = dist + lem.distance
        need(dist <= arb(float(cert["claim_distance_upper"])),
             f"the minimiser lies within {float(cert['claim_distance_upper']):.3g} of the claimed W",
             f"stated distance to the claimed W {cert['claim_distance_upper']!r} is below the re-derived {dist.str(8)}")
    return ok, lines


def check_claim(claim: Any, cert: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """:func:`check` for a claim whose setting is the teacher–student task."""
    try:
        setting = TeacherStudentSetting.from_config(claim.setting)
    except (TypeError, ValueError) as exc:
        return False, [f"the claim's setting is not a valid {TASK} task: {exc}"]
    return check(setting, cert, claim.theta.get("W") if isinstance(claim.theta, Mapping) else None)


def certify_claim(setting: TeacherStudentSetting, params: Mapping[str, torch.Tensor], claim: Any,
                  search_best: Mapping[str, torch.Tensor] | None) -> dict[str, Any]:
    """The referee's proof attempt on a judged point: the exact global minimiser is the witness when
    n >= k, else the lower-F of the claim's witness and the referee's best restart."""
    witness = None
    if setting.global_witness() is None:
        points = [w["W"] for w in (getattr(claim, "witness", None), search_best) if w is not None and "W" in w]
        if points:
            witness = min(points, key=lambda p: float(setting.empirical_loss({"W": p.double().cpu()})))
    claim_W = claim.theta.get("W") if isinstance(getattr(claim, "theta", None), Mapping) else None
    cert = certify(setting, params["W"], witness=witness, claim_W=None if claim_W is None else claim_W.cpu())
    if not cert["proof"]:
        cert["label"] = LABEL
    return cert
