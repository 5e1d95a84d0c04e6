"""One exponential neuron plus a regularizer: Liang, Sun, Lee, Srikant, "Adding One Neuron Can
Eliminate All Bad Local Minima", NeurIPS 2018, arXiv:1805.08671 (docs/catalogue.md D2, P2).

Adds a·exp(w·x + b) on the raw input to the network's output (``exp_neuron: true``) and the
regularizer (λ/2)a² (``exp_neuron_l2``, λ = ``weight``), keeping any existing regularizer.
Guarantee (P2): for a hinge-type, C¹, non-increasing loss, λ > 0 and pairwise distinct inputs,
every local minimum has a = 0 and ℓ'(y_i f(x_i)) = 0 for all i: it is global with zero loss and
zero training error. The paper also assumes realizability (zero training loss reachable by the
base network) for its "zero training error" conclusion; P2 shows that without it there is no local
minimum at all. Known breaks: A12 (decreasing path to infinity, not a local minimum), A13 (λ = 0),
A14 (non-exponential special neuron), A15 (duplicate inputs).

Run: ``python -m arena attacker=path_to_infinity defender=exp_neuron``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.contract import Guarantee, PluginConfig, require_builtin, require_int, require_number
from arena.contract.guarantees import LIANG_NEURIPS_2018, d2_assumptions
from arena.landscape.edits import with_exp_neuron
from arena.landscape.setting import Setting


@dataclass(frozen=True)
class ExpNeuron(PluginConfig):
    """Combined defense: exponential skip neuron + (λ/2)a² with λ = ``weight`` > 0."""

    weight: float = 0.1
    realizable_restarts: int = 8
    realizable_steps: int = 1500

    name: ClassVar[str] = "exp_neuron"
    kind: ClassVar[str] = "combined"

    def __post_init__(self) -> None:
        require_number("defender exp_neuron", "weight (λ)", self.weight)
        for key in ("realizable_restarts", "realizable_steps"):
            require_int("defender exp_neuron", key, getattr(self, key))

    def defend(self, setting: Setting) -> Setting:
        """Idempotent: an existing exp_neuron_l2 term gets this λ instead of a second copy."""
        require_builtin(setting, self.name)
        return with_exp_neuron(setting, self.weight)

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=d2_assumptions(self.realizable_restarts, self.realizable_steps),
            paper=LIANG_NEURIPS_2018,
            notes=("P2 of docs/catalogue.md: with λ > 0 and distinct inputs every local minimum has a = 0 and "
                   "ℓ'(y_i f(x_i)) = 0 for all i. 'realizable' (by the base network) is the paper's "
                   "assumption for the zero-training-error part; P2 does not need it (without it there "
                   "is no local minimum at all). The promise concerns local minima only: decreasing "
                   "paths to infinity remain (attack A12)."),
        )
