"""A fixed data set meets a match: the network built for it, who may attack it, what its claims must be.

* :func:`fit_setting`: the base setting with ``input_dim`` set to the data's ``d`` (the setting
  names a network family; fixed data fix its input dimension). A population task takes no data,
  and a custom network declaring another input dimension cannot be rebuilt: both are refused
  with the reason (the match is ``incompatible``).
* :func:`data_applies`: an attacker plays fixed data only if it declares ``fixed_data = True``
  (a class attribute; the constructions choose their own data and do not). Never decided by name.
* :func:`claim_problem`: a claim on fixed data must carry exactly that data; anything else is invalid.
"""
from __future__ import annotations

from typing import Any

from arena.data.dataset import Dataset
import copy
import json


def fit_setting(base: Any, data: Dataset) -> tuple[Any | None, str]:
    """(setting for the data, "") or (None, why it cannot take the data)."""
    if getattr(base, "population", False):
        return None, (f"setting {base.describe()!r} is a population task (no dataset); data={data.name} needs a "
                      "network setting")
    if not base.builtin:
        declared = base.input_dim
        if declared is not None and declared != data.d:
            return None, (f"custom network {base.network.get('_target_')!r} declares input_dim {declared}, "
                          f"data {data.name} has d = {data.d}")
        return base, ""
    if base.input_dim == data.d:
        return base, ""
    return base.replace(input_dim=data.d), ""


def data_applies(attacker: Any, data: Dataset | None) -> tuple[bool, str]:
    """(True, "") unless the data are fixed and the attacker chooses its own data."""
    if data is None or getattr(attacker, "fixed_data", False) is True:
        return True, ""
    return False, (f"attacker {attacker.name} chooses its own data (its construction or search needs it); "
                   f"data={data.name} fixes the data set (an attacker that takes given data declares "
                   "fixed_data = True)")


def claim_problem(claim: Any, data: Dataset | None) -> str | None:
    """Why a claim does not fit the fixed data (None: it does, or the data are not fixed)."""
    if data is None or data.matches(claim.X, claim.y):
        return None
    return (f"the claim's data are not the fixed data set {data.name} "
            f"(fingerprint {data.fingerprint[:12]}...)")


def stamp(claim: Any, data: Dataset | None) -> None:
    """Record the data set's name and fingerprint in the claim (claim.json's ``data`` entry)."""
    if data is not None:
        claim.extra["data"] = {"name": data.name, "fingerprint": data.fingerprint, "n": data.n, "d": data.d}


_CHECKED: dict[str, list[dict[str, Any]]] = {}  # per process: a grid repeats (defender, data) per attacker


def checks_on_data(guarantee: Any, setting: Any, data: Dataset, check: Any) -> list[dict[str, Any]]:
    """``check(guarantee, setting, X, y)`` on the fixed data, once per (guarantee, setting, data) in
    this process (a realizability check trains networks; every attacker of a grid would repeat it)."""
    promise = guarantee.to_dict() if hasattr(guarantee, "to_dict") else None
    key = json.dumps([promise, setting.to_config(), data.fingerprint], sort_keys=True, default=str)
    if guarantee is None or promise is None or key not in _CHECKED:
        result = check(guarantee, setting, *data.tensors())
        if promise is None:
            return result
        _CHECKED[key] = result
    return copy.deepcopy(_CHECKED[key])
