"""A wide last hidden layer: Li, Ding, Sun, "Over-Parameterized Deep Neural Networks Have No Strict
Local Minima For Any Continuous Activations", arXiv:1812.11039 (docs/catalogue.md D5; later "On the benefit
of width for neural networks: disappearance of basins", SIAM J. Optim. 2022).

Widens the last hidden layer to ``width`` units (default 32; a layer already at least that wide is
kept). The paper's result: with at least n units in the last hidden layer, any continuous
activation, any convex continuous loss, and inputs distinct in at least one coordinate, the loss
has no bad STRICT local minimum (nor a bad strict basin, a setwise strict minimum). Non-strict bad
minima, e.g. all-dead ReLU plateaus (A1b), are not covered: the match scopes them out by promise.
The width condition is checked on each claim's data: a claim with more than ``width`` samples is
out of scope by ``last_hidden_width_at_least_n``.

Run: ``python -m arena attacker=dead_relu defender=wide_last_layer``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin, require_int
from arena.landscape.edits import widen_last_hidden
from arena.landscape.setting import Setting

PAPER = ("Li, Ding, Sun. Over-Parameterized Deep Neural Networks Have No Strict Local Minima For Any "
         "Continuous Activations. arXiv:1812.11039")


@dataclass(frozen=True)
class WideLastLayer(PluginConfig):
    """Architecture defense: last hidden layer of at least ``width`` units."""

    width: int = 32

    name: ClassVar[str] = "wide_last_layer"
    kind: ClassVar[str] = "architecture"

    def __post_init__(self) -> None:
        require_int(f"defender {self.name}", "width", self.width)

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return widen_last_hidden(setting, self.width, self.name)

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_strict_local_min",
            assumptions=assumptions("last_hidden_width_at_least_n", "inputs_distinct_in_one_coordinate",
                                    "loss_convex", "neuron_continuous"),
            paper=PAPER,
            # The theorem's notion: strict in the regular sense, or setwise strict (a compact set of
            # equal loss with higher loss around it). A ReLU minimum that is strict only modulo the
            # rescaling orbits is neither (the orbit c -> (c·w, a/c) is not compact), so the
            # theorem does not speak about it: judged by plain strictness.
            strictness="plain",
            notes=("No bad strict local minimum (regular or setwise) when the last hidden layer has >= n units; "
                   "non-strict bad minima may remain (the paper shows they exist for some activations), so "
                   "the promise does not cover them. The width is fixed here; the assumption is checked "
                   "against each claim's n."),
        )
