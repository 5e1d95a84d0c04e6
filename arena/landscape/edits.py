"""Setting edits that several defenses make: regularizer terms swapped, the last hidden layer widened.

Each returns a new :class:`~arena.landscape.setting.Setting` (settings are immutable) and is
idempotent: applying it twice gives the same setting.
"""
from __future__ import annotations

from typing import Any, Mapping

from arena.landscape.setting import Setting


def unplaced_parts(setting: Setting) -> str:
    """Why a construction that places only the MLP's layers (and a switched-off exponential neuron)
    cannot place this network's extra parts; '' when it has none."""
    m = setting.mlp
    if m.exp_neuron and not m.special_is_exponential:
        return f"network has a {m.special_neuron} skip neuron, which this construction does not place"
    if m.multiplicative_exp:
        return ("network has the multiplicative pair (mult.a, mult.b) of Sohl-Dickstein & Kawaguchi, which this "
                "construction does not place; with its λa² term bad minima move to b = ∞ (docs/catalogue.md D3)")
    return ""


def regularizer_specs(spec: Any) -> list[Any]:
    """A setting's ``regularizer`` entry as a list of specs (None -> [])."""
    if spec is None:
        return []
    if isinstance(spec, (str, Mapping)):
        return [spec]
    return list(spec)


def regularizer_name(spec: Any) -> str:
    """The family name of one regularizer spec (``"l2"`` or ``{"name": "l2", ...}``)."""
    return spec if isinstance(spec, str) else spec.get("name")


def swap_term(regularizer: Any, name: str, term: Mapping[str, Any] | None = None) -> Any:
    """A ``regularizer`` entry without its ``name`` terms, plus ``term`` when given (last): one spec,
    a list of them, or None when nothing is left."""
    regs = [r for r in regularizer_specs(regularizer) if regularizer_name(r) != name]
    regs += [dict(term)] if term is not None else []
    return regs[0] if len(regs) == 1 else (regs or None)


def with_exp_neuron(setting: Setting, weight: float) -> Setting:
    """The exponential skip neuron a·exp(w·x + b) switched on, with (λ/2)a² at λ = ``weight``
    replacing any existing ``exp_neuron_l2`` term (Liang, Sun, Lee, Srikant, NeurIPS 2018)."""
    term = {"name": "exp_neuron_l2", "weight": float(weight)}
    return setting.replace(exp_neuron=True, regularizer=swap_term(setting.regularizer, "exp_neuron_l2", term))


def widen_last_hidden(setting: Setting, width: int, who: str) -> Setting:
    """The built-in MLP with its last hidden layer at least ``width`` wide; ``who`` names the
    defender in the error for a network without hidden layers."""
    hidden = list(setting.mlp.hidden)
    if not hidden:
        raise ValueError(f"defender {who}: the network has no hidden layer to widen (hidden: [])")
    return setting.replace(hidden=hidden[:-1] + [max(hidden[-1], width)])
