"""Certificates: build one for a judged bad local minimum, and re-check one from the claim alone.

:func:`derive` is the single computation both sides run: from the claim's data, a centre θ₀ and a
radius r (floats written exactly as hex), it re-derives every bound in ball arithmetic. :func:`certify`
picks θ₀ (the referee's polished point), r and a witness; :func:`check` trusts nothing of the
certificate but these inputs: every stated number must contain (or be implied by) what it re-derives,
and the conclusions are drawn from the re-derived numbers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from flint import arb

from arena.landscape.setting import Setting
from arena.referee.proofs.balls import (NotCertified, exact, float_down, float_up, inside, interval, norm_upper,
                                        precision, hex_floats, unhex_floats)
from arena.referee.proofs.model import Model, box, exact_data, witness_loss
from arena.referee.proofs.piecewise import PIECEWISE_LINEAR, reduce, reduced_derivatives
from arena.referee.proofs.smooth import StrictMinimum, check_lemma, one_hidden_derivatives, strict_minimum
from arena.referee.proofs.smooth_large import newton_centre, strict_minimum_large, value_and_gradient
from arena.referee.proofs.balls import dead_is_zero
from arena.referee.proofs.concave import CONVEX_NEURONS, concave_minimum, constant_fit_minimum
from arena.referee.proofs import symmetric
from arena.referee.proofs.kinks import check_claim as check_kink
from arena.referee.proofs.teacher_student import check_claim as check_teacher_student

KINDS = ("strict_minimum", "convex_in_outputs", "concave_outputs", "constant_fit")
LABEL = "proof (ball arithmetic: python-flint arb, 128-bit midpoints)"
LARGE_LABEL = "proof (float64 midpoint-radius arithmetic with rigorous rounding bounds; neurons, losses and scalars in arb)"
RADII = (1e-6, 1e-9, 1e-3)  # relative to max(1, max |θ₀|)
ARB_STRICT_PARAMS = 600  # up to here the Hessian enclosure is a dense arb matrix (~n·P² ball operations, ~5 s at 600)
MAX_STRICT_PARAMS = 12_000  # beyond ARB_STRICT_PARAMS: float midpoint-radius and one Cholesky (about a minute at 10⁴)


@dataclass
class Derivation:
    kind: str
    lemma: StrictMinimum
    coords: list[int]
    note: str
    label: str = LABEL
    shift: float | None = None  # the large strict lemma's Cholesky shift (stated in the certificate)


def derive(setting: Setting, X: torch.Tensor, y: torch.Tensor, centre: Sequence[float], radius: float,
           kind: str, shift: float | None = None, estimate: float | None = None) -> Derivation:
    """Every bound of a certificate of ``kind`` at (centre, radius), in ball arithmetic.

    ``shift``: the Cholesky shift of the large strict lemma (None: chosen here from ``estimate`` of
    λ_min, or from its own estimate; see posdef)."""
    model = Model.of(setting)
    if len(centre) != model.num_params:
        raise NotCertified(f"centre has {len(centre)} coordinates, the setting has {model.num_params}")
    if kind != "strict_minimum" and (model.penalty or model.exp):
        raise NotCertified(f"{kind} does not cover a regularizer or the exponential unit (L is not Φ(F) there)")
    if kind == "strict_minimum" and model.num_params > ARB_STRICT_PARAMS:
        lemma, info = strict_minimum_large(model, list(centre), radius, X.double().numpy(), y.double().numpy(), shift,
                                           estimate)
        return Derivation(kind, lemma, list(range(model.num_params)),
                          f"all coordinates; Hessian enclosed in float64 midpoint-radius arithmetic, λ_min by one "
                          f"float Cholesky of H_mid − {info['shift']:.3g}·I with its backward error bounded",
                          LARGE_LABEL, info["shift"])
    Xa, ya = exact_data(X, y)
    at, over = box(list(centre), 0.0), box(list(centre), radius)
    r = exact(radius)
    if kind == "strict_minimum":
        loss, grad, _ = one_hidden_derivatives(model, at, Xa, ya, hessian=False)
        _, _, hess = one_hidden_derivatives(model, over, Xa, ya)
        assert hess is not None  # asked for (hessian=True is the default)
        return Derivation(kind, strict_minimum(loss, grad, hess, r), list(range(model.num_params)),
                          "all coordinates")
    if kind == "convex_in_outputs":
        red = reduce(model, over, list(centre), Xa, ya)
        at_m = [yi * fi for yi, fi in zip(ya, model.outputs(at, Xa))]
        over_m = [yi * fi for yi, fi in zip(ya, model.outputs(over, Xa))]
        grad, hess = reduced_derivatives(model, red, ya, at_m, over_m)
        return Derivation(kind, strict_minimum(model.empirical_loss(at, Xa, ya), grad, hess, r), red.coords, red.note)
    if kind == "concave_outputs":
        lemma, coords, note = concave_minimum(model, list(centre), radius, Xa, ya, X.tolist(), y.tolist())
        return Derivation(kind, lemma, coords, note)
    if kind == "constant_fit":
        lemma, coords, note = constant_fit_minimum(model, list(centre), radius, Xa, ya, X.tolist(), y.tolist())
        return Derivation(kind, lemma, coords, note)
    raise NotCertified(f"unknown certificate kind {kind!r}; known: {list(KINDS)}")


def kinds_for(setting: Setting) -> tuple[str, ...]:
    m = setting.mlp
    name = setting.neuron.name
    if setting.regularizers or m.exp_neuron:  # the output-space arguments need L = Φ(F) of a ReLU/convex-neuron net
        if len(m.hidden) > 1 or setting.num_params > MAX_STRICT_PARAMS:
            raise NotCertified("a regularizer or the exponential unit: only the strict-minimum lemma (one hidden layer, "
                               f"<= {MAX_STRICT_PARAMS} parameters) is attempted")
        return ("strict_minimum",)
    if m.hidden and (name in PIECEWISE_LINEAR or dead_is_zero(name, setting.neuron.params)):
        return ("convex_in_outputs", "constant_fit")
    if len(m.hidden) == 1 and name in CONVEX_NEURONS:
        first: tuple[str, ...] = ("concave_outputs",)
    else:
        first = ()
    if setting.num_params > MAX_STRICT_PARAMS:
        if first:
            return first
        raise NotCertified(f"{setting.num_params} parameters > {MAX_STRICT_PARAMS}: the strict-minimum proof "
                           "is not attempted at this size")
    return first + ("strict_minimum",)



def _loosen(x: arb, rel: float = 2.0 ** -30) -> arb:
    """x widened by ``rel``·|x|: the large lemma's numbers come from float matrix products whose last
    bits may differ between BLAS builds, so its certificate states them this much looser (still true)."""
    return x + arb(0, float_up(x.abs_upper()) * rel)


def _distance(a: Sequence[float], b: Sequence[float]) -> arb:
    return norm_upper([exact(x) - exact(y) for x, y in zip(a, b)])


def _statement(d: Derivation, minimum: arb, witness: arb, radius: float) -> str:
    what = (f"a unique strict local minimiser θ* in the ball B(θ₀, r) ({d.note})" if d.kind == "strict_minimum" else
            f"a local minimiser θ* (non-strict: {d.note}) with L >= L(θ*) = G(c*) on the whole box"
            if d.kind in ("concave_outputs", "constant_fit") else
            f"a local minimiser θ* (non-strict: {d.note}) with L >= L(θ*) on the whole box")
    return (f"{what}, r = {radius:g}, ‖θ* − θ₀‖ <= {float_up(d.lemma.distance):.3g}; λ_min >= "
            f"{float_down(d.lemma.mu):.4g} over the box in {len(d.coords)} coordinate(s), ‖∇L(θ₀)‖ <= "
            f"{float_up(d.lemma.grad_norm):.3g}; L(θ*) in [{float_down(minimum):.9g}, {float_up(minimum):.9g}] "
            f"and the witness's loss <= {float_up(witness):.9g} < L(θ*): bad")


def _large_newton(setting: Setting, centre: list[float], X: torch.Tensor,
                  y: torch.Tensor) -> tuple[list[float], list[float], float | None]:
    """Above the arb size the lemma's centre is refined by float Newton steps (see smooth_large),
    and the radius to try first is predicted: r = 4‖∇L(θ₀)‖/λ, the smallest box (so the Hessian's
    enclosure is tightest) that leaves the lemma a factor 2 of room; λ is the estimate of λ_min."""
    model = Model.of(setting)
    if model.num_params <= ARB_STRICT_PARAMS:
        return centre, [], None
    Xn, yn = X.double().numpy(), y.double().numpy()
    try:
        at, lam = newton_centre(model, np.asarray(centre), Xn, yn)
        _, gnorm = value_and_gradient(model, at, Xn, yn)
    except NotCertified:  # derive() says why, in the failures
        return centre, [], None
    if not lam > 0:
        return at.tolist(), [], None
    return at.tolist(), [4 * float_up(gnorm) / lam], lam


def certify(setting: Setting, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor, *,
            claim_theta: Mapping[str, torch.Tensor] | None = None,
            witnesses: Sequence[tuple[str, Mapping[str, torch.Tensor] | None]] = ()) -> dict[str, Any]:
    """A certificate for the judged point ``params`` (float64), or ``{"proof": False, "reason": ...}``."""
    start = time.perf_counter()
    try:
        with precision():
            return _certify(setting, params, X.double(), y.double(), claim_theta, witnesses, start)
    except NotCertified as exc:
        return {"proof": False, "reason": str(exc), "seconds": round(time.perf_counter() - start, 3)}


def _certify(setting, params, X, y, claim_theta, witnesses, start) -> dict[str, Any]:
    Model.of(setting)
    centre = setting.flatten({k: v.detach().double().cpu() for k, v in params.items()}).tolist()
    scale = max(1.0, max(abs(v) for v in centre))
    found, failures = None, []
    for kind in kinds_for(setting):
        at, first, lam = _large_newton(setting, centre, X, y) if kind == "strict_minimum" else (centre, [], None)
        for radius in first + [rel * scale for rel in RADII]:
            try:
                d = derive(setting, X, y, at, radius, kind, estimate=lam)
            except NotCertified as exc:
                failures.append(f"{kind} r={radius:g}: {exc}")
                continue
            if d.lemma.holds:
                found = (d, radius, at)
                break
            failures.append(f"{kind} r={radius:g}: {d.lemma.failure()}")
        if found:
            break
    if found is None:
        raise NotCertified("; ".join(dict.fromkeys(f.split(": ", 1)[0].split(" r=")[0] + ": " + f.split(": ", 1)[1]
                                                   for f in failures)))
    d, radius, centre = found
    points = [(src, setting.flatten({k: v.detach().double().cpu() for k, v in w.items()}))
              for src, w in witnesses if w is not None]
    if not points:
        raise NotCertified("no witness point with a lower loss to enclose")
    src, point = min(points, key=lambda sp: float(setting.empirical_loss(setting.unflatten(sp[1]), X, y)))
    wl = witness_loss(setting, X, y, point.tolist())
    minimum = d.lemma.minimum_loss
    if not wl < minimum:
        raise NotCertified(f"the witness's loss {wl.str(8)} is not certified below the minimum's {minimum.str(8)}")
    w = _loosen if d.shift is not None else (lambda x: x)
    cert = {"proof": True, "kind": d.kind, "label": d.label, "statement": _statement(d, minimum, wl, radius),
            "centre": hex_floats(centre), "radius": repr(radius), "coordinates": d.coords,
            "mu_lower": repr(float_down(w(d.lemma.mu))), "grad_norm_upper": repr(float_up(w(d.lemma.grad_norm))),
            "loss_at_centre": interval(w(d.lemma.loss_at_centre)), "minimum_loss": interval(w(minimum)),
            "distance_to_minimiser_upper": repr(float_up(w(d.lemma.distance))),
            "witness": {"source": src, "point": hex_floats(point.tolist()), "loss": interval(wl)}}
    if d.shift is not None:
        cert["shift"] = repr(d.shift)
    if claim_theta is not None:
        theta = setting.flatten({k: v.detach().double().cpu() for k, v in claim_theta.items()}).tolist()
        cert["claim_distance_upper"] = repr(float_up(w(_distance(theta, centre) + d.lemma.distance)))
    cert["seconds"] = round(time.perf_counter() - start, 3)
    return cert


def check(claim: Any, cert: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Re-check a certificate against the claim's data alone: (ok, one line per finding)."""
    if not isinstance(cert, Mapping) or cert.get("proof") is not True:
        return False, ["the verdict carries no proof (proof: false or no certificate)"]
    if cert.get("kind") == "symmetric_minimum":
        return symmetric.check(claim, cert)
    if isinstance(claim.setting, Mapping) and claim.setting.get("task") == "teacher_student":
        return check_teacher_student(claim, cert)
    if cert.get("kind") == "kink_local_minimum":
        return check_kink(claim, cert)
    network = claim.setting.get("network") if isinstance(claim.setting, Mapping) else None
    if not isinstance(network, Mapping) or "_target_" in network:
        return False, ["the claim's network is not the built-in MLP: nothing to re-check"]
    try:
        setting = Setting.from_config(claim.setting)
        centre = unhex_floats(cert["centre"])
        radius = float(cert["radius"])
        point = unhex_floats(cert["witness"]["point"])
        kind = str(cert["kind"])
        stated = {k: float(cert[k]) for k in ("mu_lower", "grad_norm_upper", "distance_to_minimiser_upper")}
        X, y = claim.X.double(), claim.y.double()
        if not bool(((y == 1) | (y == -1)).all()):
            return False, ["the claim's labels are not all ±1"]
        with precision():
            return _check(setting, claim, cert, X, y, centre, radius, point, kind, stated)
    except NotCertified as exc:
        return False, [f"re-derivation failed: {exc}"]
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        return False, [f"malformed certificate: {exc.__class__.__name__}: {exc}"]


def _check(setting, claim, cert, X, y, centre, radius, point, kind, stated) -> tuple[bool, list[str]]:
    lines, ok = [], True

    def need(cond: bool, good: str, bad: str) -> None:
        nonlocal ok
        ok = ok and bool(cond)
        lines.append(("ok    " if cond else "FAIL  ") + (good if cond else bad))

    d = derive(setting, X, y, centre, radius, kind, float(cert["shift"]) if "shift" in cert else None)
    lem = d.lemma
    if "coordinates" in cert:
        need(list(cert["coordinates"]) == d.coords, f"coordinates re-derived ({len(d.coords)})",
             f"stated coordinates {cert['coordinates']} differ from the re-derived {d.coords}")
    minimum = check_lemma(need, lem, stated, cert, radius)
    wl = witness_loss(setting, X, y, point)
    need(inside(wl, cert["witness"]["loss"]), f"witness loss in {cert['witness']['loss']}",
         f"stated witness loss {cert['witness']['loss']} does not contain the re-derived {wl.str(12)}")
    need(wl < minimum, "witness loss < L(θ*): the minimum is bad",
         f"the witness's loss {wl.str(10)} is not below L(θ*) {minimum.str(10)}")
    if "claim_distance_upper" in cert:
        theta = setting.flatten({k: v.detach().double() for k, v in claim.theta.items()}).tolist()
        dist = _distance(theta, centre) + lem.distance
        need(dist <= arb(float(cert["claim_distance_upper"])),
             f"the minimiser lies within {float(cert['claim_distance_upper']):.3g} of the claimed θ",
             f"stated distance to the claimed θ {cert['claim_distance_upper']!r} is below the re-derived {dist.str(8)}")
    return ok, lines
