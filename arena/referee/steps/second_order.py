"""Step 4: second order: the Hessian spectrum, flat directions, strictness plain and modulo symmetry.

Every live unit of a positively homogeneous neuron has an exact flat direction, its rescaling
orbit, so such a network has no strict minimum in the plain sense. Strictness *modulo symmetry*
looks at the Hessian restricted to the orthogonal complement of the symmetry tangents
(:func:`arena.referee.canonical.symmetry_directions`): a minimum is strict modulo symmetry when that
restriction is positive definite and no unit sits on a kink. Flat directions left in the complement
(e.g. a dead unit's weights) are reported by parameter name.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from arena.referee.canonical import symmetry_directions
from arena.referee.curvature import Spectrum, hessian_spectrum
from arena.referee.steps.case import Case


def second_order(case: Case) -> None:
    cfg, ev = case.cfg, case.ev
    t = time.perf_counter()
    spec = _spectrum(case)
    case.time("hessian", t)
    hnorm = float(np.abs(spec.values).max()) if spec.values.size else 0.0
    tol = cfg.eig_tol * case.scale + cfg.eig_rel_tol * hnorm
    ev.update(hessian_method=spec.method, hessian_min_eig=spec.min_eig, hessian_max_eig=spec.max_eig,
              hessian_norm=hnorm, eig_tol_effective=tol)
    on_kink = bool(case.notes["kink_units"]) or bool(ev.get("hessian_limit"))
    if spec.all_values is not None:
        flat_mask = np.abs(spec.all_values) <= tol
        ev["flat_directions"] = int(flat_mask.sum())
        ev["strict"] = bool(spec.min_eig > tol and not on_kink)
        ev["flat_basis"] = [case.name(torch.as_tensor(spec.vectors[:, i], device=case.dev))
                            for i in list(flat_mask.nonzero()[0])[:4]]
        _modulo_symmetry(case, spec, tol, on_kink)
    else:
        ev["strict"] = None  # Lanczos sees the extremes only: strictness is not decided
        ev["strict_modulo_symmetry"] = None
    eigvecs = torch.as_tensor(spec.vectors.T, dtype=torch.float64, device=case.dev)
    case.notes.update(spectrum=spec, eig_tol=tol,
                      negative=eigvecs[torch.as_tensor(spec.values < -tol, device=case.dev)],
                      flat=eigvecs[torch.as_tensor(np.abs(spec.values) <= tol, device=case.dev)])


def _spectrum(case: Case, shifts: int = 4) -> Spectrum:
    """The Hessian spectrum at the point; where the loss is not twice differentiable there (the
    teacher–student loss at parallel or zero student units: 1/sin θ terms), the one-sided limits.

    The Hessian is taken at ``shifts`` points v + ε·u (random unit u, ε = 1e-7·max(1, ‖v‖)), where
    the loss is smooth; the spectrum kept is the one with the largest smallest eigenvalue, so negative
    curvature is reported only when every side shows it, and the local verdict counts it only when
    a probe confirms the descent. The point is never called strict."""
    cfg = case.cfg
    args = (case.setting, case.X, case.y)
    try:
        spec = hessian_spectrum(*args, case.point, exact_max_params=cfg.hessian_exact_max_params)
        if np.isfinite(spec.values).all():
            return spec
    except (RuntimeError, ValueError, ArithmeticError) as exc:  # torch's LinAlgError is a RuntimeError
        case.ev["hessian_failure"] = f"{exc.__class__.__name__}: {str(exc)[:160]}"
    gen = torch.Generator().manual_seed(case.seed)
    eps = 1e-7 * max(1.0, float(case.point.norm()))
    found = []
    for _ in range(shifts):
        u = torch.randn(case.point.numel(), generator=gen, dtype=torch.float64).to(case.point)
        try:
            s = hessian_spectrum(*args, case.point + eps * u / u.norm(), exact_max_params=cfg.hessian_exact_max_params)
        except (RuntimeError, ValueError, ArithmeticError):
            continue
        if np.isfinite(s.values).all():
            found.append(s)
    if not found:
        raise ArithmeticError("the Hessian is not finite at the point nor at any of its one-sided limits")
    case.ev["hessian_limit"] = {"epsilon": eps, "shifts": shifts, "finite": len(found),
                                "min_eigs": [s.min_eig for s in found]}
    case.notes["nonsmooth_hessian"] = True
    return max(found, key=lambda s: s.min_eig)


def _modulo_symmetry(case: Case, spec: Spectrum, tol: float, on_kink: bool) -> None:
    """Strictness on the complement of the symmetry tangents S, from the spectrum already computed.

    At a critical point L is constant along each orbit, so every tangent s has sᵀHs = 0; when H ⪰ 0
    this means Hs = 0, and H restricted to S^⊥ is positive definite exactly when the flat
    eigenspace F adds nothing to span(S). F's directions at more than 45° from span(S) are the
    flat directions beyond symmetry.
    """
    ev = case.ev
    S, units = symmetry_directions(case.setting, case.point, case.canon)
    ev["symmetry_directions"] = len(units)
    vals = torch.as_tensor(spec.all_values, dtype=torch.float64)
    vecs = torch.as_tensor(spec.vectors, dtype=torch.float64)
    if len(units):
        Qs, r = torch.linalg.qr(S.cpu().T)  # [P, k]
        Qs = Qs[:, r.diagonal().abs() > 1e-12 * float(r.diagonal().abs().max())]
    else:
        Qs = torch.zeros(vecs.shape[0], 0, dtype=torch.float64)
    overlap = (Qs.T @ vecs).pow(2).sum(0)  # [P] share of each eigenvector inside span(S)
    outside = overlap < 0.5
    ev["hessian_min_eig_modulo_symmetry"] = float(vals[outside].min()) if bool(outside.any()) else None
    F = vecs[:, vals.abs() <= tol]
    C = Qs.T @ F  # [k, m]: cosines of the principal angles between span(S) and F are its singular values
    inside = torch.linalg.eigvalsh(C @ C.T) if F.shape[1] and Qs.shape[1] else torch.zeros(0)
    beyond = F.shape[1] - int((inside > 0.5).sum())  # angles below 45°: inside span(S)
    ev["flat_directions_modulo_symmetry"] = beyond
    ev["strict_modulo_symmetry"] = bool(float(vals.min()) >= -tol and beyond == 0 and not on_kink)
    R = F - Qs @ (Qs.T @ F)  # the flat eigenvectors' parts outside span(S); name a basis of the largest
    top = R[:, torch.argsort(R.norm(dim=0), descending=True)[: min(4, beyond)]]
    basis = torch.linalg.qr(top).Q if top.shape[1] else top
    ev["flat_beyond_symmetry"] = [case.name(basis[:, i].to(case.dev)) for i in range(basis.shape[1])]
    keep = R.norm(dim=0) > 1e-6
    case.notes["flat_outside_symmetry"] = (R[:, keep] / R[:, keep].norm(dim=0)).T.to(case.dev)  # [m, P]
