"""The exponential neuron WITHOUT its regularizer (docs/catalogue.md A13: D2 with λ = 0), an ablation of
Liang, Sun, Lee, Srikant, "Adding One Neuron Can Eliminate All Bad Local Minima", NeurIPS 2018,
arXiv:1805.08671.

Adds a·exp(w·x + b) on the raw input to the output (``exp_neuron: true``) but no (λ/2)a² term: any
``exp_neuron_l2`` in the base regularizer is removed, other terms are kept. The guarantee states
the paper's promise with D2's full list of assumptions (those of :mod:`arena.defenders.exp_neuron`), of
which ``exp_neuron_regularized`` (λ > 0) fails on every dataset: step 1 of P2 (∂L/∂a = S + λa
forces a = 0) needs λ > 0. So every verified counterexample is ``out_of_scope`` by that assumption,
which is the evidence that the regularizer is needed; docs/catalogue.md found no explicit instance yet.

Run: ``python -m arena attacker=path_to_infinity defender=exp_neuron_noreg``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.contract import Guarantee, PluginConfig, require_builtin, require_int
from arena.contract.guarantees import LIANG_NEURIPS_2018, d2_assumptions
from arena.landscape.edits import swap_term
from arena.landscape.setting import Setting


@dataclass(frozen=True)
class ExpNeuronNoReg(PluginConfig):
    """Combined ablation: exponential skip neuron, λ = 0 (no exp_neuron_l2 term)."""

    realizable_restarts: int = 8
    realizable_steps: int = 1500

    name: ClassVar[str] = "exp_neuron_noreg"
    kind: ClassVar[str] = "combined"

    def __post_init__(self) -> None:
        for key in ("realizable_restarts", "realizable_steps"):
            require_int(f"defender {self.name}", key, getattr(self, key))

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return setting.replace(exp_neuron=True, regularizer=swap_term(setting.regularizer, "exp_neuron_l2"))

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=d2_assumptions(self.realizable_restarts, self.realizable_steps),
            paper=LIANG_NEURIPS_2018,
            notes=("D2's promise and assumptions, on a setting with λ = 0: 'exp_neuron_regularized' fails "
                   "by construction (P2 step 1 needs λ > 0 to force a = 0), so any verified bad local "
                   "minimum is out of scope by it: evidence that the regularizer is needed (docs/catalogue.md A13)."),
        )
