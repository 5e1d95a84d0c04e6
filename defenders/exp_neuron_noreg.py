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
from typing import Any, ClassVar

from arena.assumptions import regularizer_specs
from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, require_builtin
from arena.defenders.exp_neuron import PAPER, ExpNeuron


def _name(spec: Any) -> str:
    return spec if isinstance(spec, str) else spec.get("name")


@dataclass(frozen=True)
class ExpNeuronNoReg(PluginConfig):
    """Combined ablation: exponential skip neuron, λ = 0 (no exp_neuron_l2 term)."""

    realizable_restarts: int = 8
    realizable_steps: int = 1500

    name: ClassVar[str] = "exp_neuron_noreg"
    kind: ClassVar[str] = "combined"

    def __post_init__(self) -> None:
        ExpNeuron(realizable_restarts=self.realizable_restarts, realizable_steps=self.realizable_steps)

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        regs = [r for r in regularizer_specs(setting.regularizer) if _name(r) != "exp_neuron_l2"]
        return setting.replace(exp_neuron=True, regularizer=regs[0] if len(regs) == 1 else (regs or None))

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        d2 = ExpNeuron(realizable_restarts=self.realizable_restarts,
                       realizable_steps=self.realizable_steps).guarantee(setting)
        return Guarantee(
            promise=d2.promise,
            assumptions=d2.assumptions,
            paper=PAPER,
            notes=("D2's promise and assumptions, on a setting with λ = 0: 'exp_neuron_regularized' fails "
                   "by construction (P2 step 1 needs λ > 0 to force a = 0), so any verified bad local "
                   "minimum is out of scope by it: evidence that the regularizer is needed (docs/catalogue.md A13)."),
        )
