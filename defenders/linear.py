"""Linear neurons: deep linear networks have no bad local minimum (docs/catalogue.md D7 [R]): Kawaguchi,
"Deep Learning without Poor Local Minima", NeurIPS 2016, arXiv:1605.07110 (square loss), and
Laurent & von Brecht, "Deep linear networks with arbitrary loss: All local minima are global",
ICML 2018, arXiv:1712.01473 (any convex differentiable loss).

Sets the hidden neuron to the identity. For a convex differentiable loss of f = W_L···W_1·x, every
local minimum is global (Laurent–von Brecht need every hidden layer at least as wide as the input
or the output; the output is scalar, so any width qualifies). Biases and a linear skip keep this
[D]: the output bias b_L and the skip s enter f as c = b_L + (terms in the other parameters) and
B = W_L···W_1 + s, and the changes of variables b_L -> c, s -> B are diffeomorphisms, so a local
minimum is a local minimum of the convex F(A, c) in c (and in B) and of F(W_L···W_1, c) in W; the
deep-linear theorem at fixed c and convexity then make it global. "Global" is among affine
predictors: the family cannot fit data that are not linearly separable, which is not a bad
minimum. The theorem is about the unregularized loss, so ``unregularized`` is one of the
assumptions; a nonlinear special unit (exp_neuron) fails ``neuron_linear``.
This is the "defense" Yun, Sra, Jadbabaie (arXiv 1802.03487) show to be fragile: any nonlinearity
brings bad minima back (A6).

Run: ``python -m arena attacker=random_restarts defender=linear``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.landscape.setting import Setting
from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin

PAPER = ("Kawaguchi. Deep Learning without Poor Local Minima. NeurIPS 2016, arXiv:1605.07110; Laurent, "
         "von Brecht. Deep linear networks with arbitrary loss: All local minima are global. ICML 2018, "
         "arXiv:1712.01473")


@dataclass(frozen=True)
class Linear(PluginConfig):
    """Neuron defense: σ(z) = z in every hidden layer (a deep linear network)."""

    name: ClassVar[str] = "linear"
    kind: ClassVar[str] = "neuron"

    def defend(self, setting: Setting) -> Setting:
        require_builtin(setting, self.name)
        return setting.replace(neuron="linear")

    def guarantee(self, setting: Setting) -> Guarantee:
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=assumptions("neuron_linear", "loss_convex", ("loss_smooth", {"k": 1}), "unregularized"),
            paper=PAPER,
            notes=("Deep linear networks, convex differentiable loss: every local minimum is global among the "
                   "network's (affine) functions. Biases and a linear skip are covered by a change of "
                   "variables (module docstring); regularizers and nonlinear special units are not. "
                   "docs/catalogue.md D7 is recalled [R], not checked against the papers' text."),
        )
