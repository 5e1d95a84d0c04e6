"""Claims: what an attacker submits, stored as data (JSON + safetensors), never as a pickle.

Public API: :class:`Claim`, :func:`load_claim`, :func:`save_claim`, :func:`claim_from_params` and
:class:`ClaimFileError`; :mod:`arena.claims.zoo` holds small reference claims with known answers.
"""
from arena.claims.format import FORMAT, Claim, ClaimFileError, claim_from_params, load_claim, save_claim

__all__ = ["FORMAT", "Claim", "ClaimFileError", "claim_from_params", "load_claim", "save_claim"]
