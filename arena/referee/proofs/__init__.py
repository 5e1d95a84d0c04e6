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
* :mod:`.recheck` — ``arena verify --check-certificate``.

The referee calls :func:`attach_proof` on every ``bad_local_min``; the evidence gets ``proof``
(true/false) and ``proof_certificate`` (the certificate, or the reason there is none).
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from arena.referee.proofs.check import certify, check

__all__ = ["attach_proof", "certify", "check"]

MAX_PARAMS = 5000  # beyond this the dense Hessian enclosure is too slow to be worth it


def attach_proof(ev: dict[str, Any], reasons: list[str], setting: Any, params: Mapping[str, torch.Tensor],
                 X: torch.Tensor, y: torch.Tensor, claim: Any,
                 search_best: Mapping[str, torch.Tensor] | None) -> None:
    """Try to prove the judged bad local minimum; record ``proof`` and ``proof_certificate`` in ``ev``."""
    if getattr(setting, "population", False):  # teacher-student: the proof through symmetry, any k
        from arena.referee.proofs.symmetric import certify as certify_symmetric

        hint = (claim.extra.get("symmetric") or {}).get("sizes") if isinstance(claim.extra, dict) else None
        try:
            cert = certify_symmetric(setting, params["W"].detach().double().cpu().numpy(), hint,
                                     claim.theta["W"].detach().double().cpu().numpy())
        except Exception as exc:  # noqa: BLE001 - a failed proof attempt must not change the verdict
            cert = {"proof": False, "reason": f"proof attempt failed: {exc.__class__.__name__}: {exc}"}
    elif setting.num_params > MAX_PARAMS:
        cert = {"proof": False, "reason": f"{setting.num_params} parameters > {MAX_PARAMS}: no proof attempted"}
    else:
        witnesses = [("claim witness", claim.witness), ("referee search", search_best)]
        try:
            cert = certify(setting, {k: v.cpu() for k, v in params.items()}, X.cpu(), y.cpu(),
                           claim_theta=claim.theta, witnesses=witnesses)
        except Exception as exc:  # noqa: BLE001 - a failed proof attempt must not change the verdict
            cert = {"proof": False, "reason": f"proof attempt failed: {exc.__class__.__name__}: {exc}"}
    ev["proof"] = bool(cert["proof"])
    ev["proof_certificate"] = cert
    reasons.append(f"{cert['label']}: {cert['statement']}" if cert["proof"] else f"no proof: {cert['reason']}")
