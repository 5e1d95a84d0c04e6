"""A ReLU special neuron in place of the exponential one (docs/catalogue.md A14), an ablation of Liang,
Sun, Lee, Srikant, "Adding One Neuron Can Eliminate All Bad Local Minima", NeurIPS 2018,
arXiv:1805.08671.

Same edit as :mod:`arena.defenders.exp_neuron` (skip unit a·σ_s(w·x + b) on the raw input, plus
(λ/2)a² with λ = ``weight``), but σ_s = ``special_neuron`` (default ``relu``) instead of exp. The
guarantee is D2's promise with D2's assumptions plus ``special_neuron_exponential``, which fails:
step 2 of P2 needs the functions x ↦ e^{w·x_i} with distinct x_i to be linearly independent, which
ReLU units do not give (a dead special unit switches off with no pull back). So every verified
counterexample is ``out_of_scope`` by that assumption: evidence that the exponential form matters.

Run: ``python -m arena attacker=dead_relu defender=relu_special_neuron``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin, require_int, require_number
from arena.contract.guarantees import LIANG_NEURIPS_2018, d2_assumptions
from arena.landscape.edits import with_exp_neuron
from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Setting


@dataclass(frozen=True)
class ReluSpecialNeuron(PluginConfig):
    """Combined ablation: special skip neuron ``special_neuron`` (relu) + (λ/2)a², λ = ``weight`` > 0."""

    special_neuron: str = "relu"
    weight: float = 0.1
    realizable_restarts: int = 8
    realizable_steps: int = 1500

    name: ClassVar[str] = "relu_special_neuron"
    kind: ClassVar[str] = "combined"

    def __post_init__(self) -> None:
        require_number(f"defender {self.name}", "weight (λ)", self.weight)
        for key in ("realizable_restarts", "realizable_steps"):
            require_int(f"defender {self.name}", key, getattr(self, key))
        try:
            make_neuron(self.special_neuron)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"defender relu_special_neuron: bad special_neuron {self.special_neuron!r}: {exc}") from exc

    def defend(self, setting: Setting) -> Setting:
        """D2's edit (idempotent, raises for custom networks), then the special neuron swapped."""
        require_builtin(setting, self.name)
        return with_exp_neuron(setting, self.weight).replace(special_neuron=self.special_neuron)

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        d2 = d2_assumptions(self.realizable_restarts, self.realizable_steps)
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=d2[:1] + assumptions("special_neuron_exponential") + d2[1:],
            paper=LIANG_NEURIPS_2018,
            notes=(f"D2's promise and assumptions with a {self.special_neuron} special neuron: "
                   "'special_neuron_exponential' fails by construction (P2 step 2 uses the linear "
                   "independence of exponentials), so any verified bad local minimum is out of scope by "
                   "it: evidence that the exponential form is needed (docs/catalogue.md A14)."),
        )
