"""The assumption types: :class:`Assumption` (a named, checkable predicate on a setting and a
dataset) and :class:`AssumptionResult` (``holds``, ``proved`` and JSON-ready evidence), plus the
dataset validation every check shares.

``holds`` is True, False, or None (the check could not decide, e.g. a custom network whose neuron
the arena cannot see, or a crash). ``proved`` says whether ``holds`` is established: an LP
certificate re-verified in float64 or a Farkas certificate, a class fact of a registered family, an
exact computation. A search that failed to find a witness is not a proof, and neither is a crash.

Data everywhere: ``X: [n, d]`` float, ``y: [n]`` in {-1, +1} (torch tensors or numpy arrays).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from arena.landscape.setting import Params, Setting
from arena.plain import plain

@dataclass(frozen=True)
class AssumptionResult:
    """``holds`` (True, False or None: undecided), ``proved`` (whether ``holds`` is established),
    JSON-ready ``evidence``; ``witness`` is a parameter dict when one was found."""

    holds: bool | None
    evidence: dict[str, Any]
    witness: Params | None = field(default=None, compare=False, repr=False)
    proved: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", None if self.holds is None else bool(self.holds))
        object.__setattr__(self, "proved", bool(self.proved) and self.holds is not None)
        object.__setattr__(self, "evidence", plain(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "proved": self.proved, "evidence": self.evidence}


def undecided(reason: str, **evidence: Any) -> AssumptionResult:
    """A check that cannot decide (e.g. a custom network's structure is opaque): ``holds=None``, unproved."""
    return AssumptionResult(None, {"reason": reason, **evidence}, proved=False)


CheckFn = Callable[[Setting, Any, Any], AssumptionResult]


@dataclass(frozen=True)
class Assumption:
    """A named, checkable predicate; ``params`` are the check's keyword arguments."""

    name: str
    description: str
    check: CheckFn = field(compare=False, repr=False)
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, setting: Setting, X: Any, y: Any) -> AssumptionResult:
        return self.check(setting, X, y)

    @property
    def label(self) -> str:
        """``name`` or ``name(k=1)`` when parametrised."""
        if not self.params:
            return self.name
        return f"{self.name}({','.join(f'{k}={v}' for k, v in self.params.items())})"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "params": dict(self.params)}


# -- data ------------------------------------------------------------------------------------------
def as_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a dataset; returns (X [n, d] float64, y [n] float64 in {-1, +1}) as numpy arrays."""
    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    yn = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    if Xn.ndim != 2:
        raise ValueError(f"X must be [n, d], got shape {Xn.shape}")
    if yn.shape != (Xn.shape[0],):
        raise ValueError(f"y must be [n] with n = {Xn.shape[0]} (rows of X), got shape {yn.shape}")
    if Xn.shape[0] == 0:
        raise ValueError("dataset is empty")
    if not np.isfinite(Xn).all():
        raise ValueError("X has non-finite entries")
    if not np.isin(yn, (-1.0, 1.0)).all():
        raise ValueError(f"labels must be -1 or +1, got values {sorted(set(yn.tolist()))[:6]}")
    return Xn, yn


def _tensors(X: Any, y: Any, device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    Xn, yn = as_data(X, y)
    return torch.as_tensor(Xn, device=device), torch.as_tensor(yn, device=device)

