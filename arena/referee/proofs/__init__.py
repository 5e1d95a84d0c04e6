"""Machine-checkable proofs for ``bad_local_min`` verdicts, in ball arithmetic (python-flint's arb).

* :mod:`.balls` — arb helpers, neurons and losses with their derivatives and branch selection;
* :mod:`.model` — the built-in MLP and its loss over boxes of parameters;
* :mod:`.smooth` — the strict-minimum lemma (Hessian enclosure with λ_min >= μ, ‖∇L‖ < μr/2);
* :mod:`.piecewise` — fixed activation patterns and dead units: the loss as a convex function of
  the outputs, reduced to a strict minimum in a few exact coordinates;
* :mod:`.concave` — the best constant: the concavity trap (exact KKT multipliers) and gated units;
* :mod:`.symmetric` — teacher–student minima fixed by a permutation group: Krawczyk on the
  reduced system and the Hessian's isotypic blocks, at any k;
* :mod:`.check` — :func:`certify` (build) and :func:`check` (re-derive everything from the claim);
* :mod:`.teacher_student` — strict spurious minima of the teacher–student population loss;
* :mod:`.kinks` — samples exactly on a ReLU kink: local minimum or descent direction (Yun–Sra–Jadbabaie);
* :mod:`.recheck` — ``arena verify --check-certificate``.

The referee calls :func:`attach_proof` on every ``bad_local_min``; the evidence gets ``proof``
(true/false) and ``proof_certificate`` (the certificate, or the reason there is none).
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from arena.referee.proofs.check import certify, check
from arena.referee.proofs.kinks import certify as certify_kink
from arena.referee.proofs.symmetric import certify as certify_symmetric
from arena.referee.proofs.teacher_student import certify_claim

__all__ = ["attach_proof", "certify", "check"]

MAX_PARAMS = 200_000  # the piecewise-linear reductions at 10⁵ parameters take seconds; the strict lemma has its own limit (check.py)


def attach_proof(ev: dict[str, Any], reasons: list[str], setting: Any, params: Mapping[str, torch.Tensor],
                 X: torch.Tensor, y: torch.Tensor, claim: Any,
                 search_best: Mapping[str, torch.Tensor] | None) -> None:
    """Try to prove the judged bad local minimum; record ``proof`` and ``proof_certificate`` in ``ev``."""
    if getattr(setting, "population", False):  # teacher-student: through symmetry (any k), else dense
        cert = _teacher_student_proof(setting, params, claim, search_best)
    elif setting.num_params > MAX_PARAMS:
        cert = {"proof": False, "reason": f"{setting.num_params} parameters > {MAX_PARAMS}: no proof attempted"}
    else:
        witnesses = [("claim witness", claim.witness), ("referee search", search_best)]
        try:
            cert = certify(setting, {k: v.cpu() for k, v in params.items()}, X.cpu(), y.cpu(),
                           claim_theta=claim.theta, witnesses=witnesses)
        except Exception as exc:  # noqa: BLE001 - a failed proof attempt must not change the verdict
            cert = {"proof": False, "reason": f"proof attempt failed: {exc.__class__.__name__}: {exc}"}
    if not cert["proof"] and "kink" in str(cert.get("reason", "")) and not getattr(setting, "population", False):
        cert = _kink_test(cert, setting, params, X, y, claim, search_best)
    ev["proof"] = bool(cert["proof"])
    ev["proof_certificate"] = cert
    reasons.append(f"{cert['label']}: {cert['statement']}" if cert["proof"] else f"no proof: {cert['reason']}")


def _kink_test(cert: dict[str, Any], setting: Any, params: Mapping[str, torch.Tensor], X: torch.Tensor,
               y: torch.Tensor, claim: Any, search_best: Mapping[str, torch.Tensor] | None) -> dict[str, Any]:
    """A unit exactly on a kink stopped the proof: the kink test (:mod:`.kinks`) decides it instead."""
    try:
        kink = certify_kink(setting, {k: v.cpu() for k, v in params.items()}, X.cpu(), y.cpu(),
                            witnesses=[("claim witness", claim.witness), ("referee search", search_best)],
                            claim_theta=claim.theta)
    except Exception as exc:  # noqa: BLE001 - a failed proof attempt must not change the verdict
        return {**cert, "reason": f"{cert['reason']}; kink test failed: {exc.__class__.__name__}: {exc}"}
    if kink["proof"]:
        return kink
    return {**cert, **{k: v for k, v in kink.items() if k != "reason"}, "reason": f"{cert['reason']}; {kink['reason']}"}


def _attempt(prove: Any, *args: Any) -> dict[str, Any]:
    try:
        return prove(*args)
    except Exception as exc:  # noqa: BLE001 - a failed proof attempt must not change the verdict
        return {"proof": False, "reason": f"proof attempt failed: {exc.__class__.__name__}: {exc}"}


def _teacher_student_proof(setting: Any, params: Mapping[str, torch.Tensor], claim: Any,
                           search_best: Mapping[str, torch.Tensor] | None) -> dict[str, Any]:
    """The proof through symmetry first (seconds at any k); the dense box proof where it fails."""
    hint = (claim.extra.get("symmetric") or {}).get("sizes") if isinstance(claim.extra, dict) else None
    cert = _attempt(certify_symmetric, setting, params["W"].detach().double().cpu().numpy(), hint,
                    claim.theta["W"].detach().double().cpu().numpy())
    if cert.get("proof") or setting.num_params > MAX_PARAMS:
        return cert
    dense = _attempt(certify_claim, setting, {k: v.cpu() for k, v in params.items()}, claim, search_best)
    if not dense.get("proof") and cert.get("reason"):
        dense["reason"] = f"{dense.get('reason')}; through symmetry: {cert['reason']}"
    return dense
