"""Guarantees that several defenses state: D1 and D2 of docs/catalogue.md, with their papers.

D1 (Liang, Sun, Li, Srikant, ICML 2018): increasing strictly convex neuron, one hidden layer or a
shortcut, hinge-type non-increasing loss, linearly separable data -> no bad local minimum. D2
(Liang, Sun, Lee, Srikant, NeurIPS 2018): one exponential neuron plus (λ/2)a² -> no bad local
minimum for a hinge-type C¹ loss and distinct inputs. The defenses and their ablations build their
:class:`~arena.contract.protocols.Guarantee` from these.
"""
from __future__ import annotations

from arena.assumptions import Assumption
from arena.contract.protocols import Guarantee, assumptions
from arena.landscape.setting import Setting

LIANG_ICML_2018 = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
                   "Classification. ICML 2018, arXiv:1803.00909")
LIANG_NEURIPS_2018 = ("Liang, Sun, Lee, Srikant. Adding One Neuron Can Eliminate All Bad Local Minima. NeurIPS 2018, "
                      "arXiv:1805.08671")


def separability_assumption(setting: Setting) -> str:
    """P1's data assumption: with an output bias (a_0) any hyperplane, without one through the origin."""
    return "data_linearly_separable" if setting.mlp.bias else "data_linearly_separable_through_origin"


def d1_guarantee(defended: Setting, *, loss_k: int = 1, notes: str = "") -> Guarantee:
    """D1 in the paper's form: neuron increasing + strictly convex, one hidden layer or a shortcut,
    hinge-type non-increasing C^``loss_k`` loss, linearly separable data."""
    return Guarantee(
        promise="no_bad_local_min",
        assumptions=assumptions(
            "neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut",
            "loss_hinge_type", ("loss_smooth", {"k": loss_k}), "loss_non_increasing",
            separability_assumption(defended)),
        paper=LIANG_ICML_2018,
        notes=notes,
    )


def d2_assumptions(realizable_restarts: int, realizable_steps: int) -> list[Assumption]:
    """D2's assumptions; ``realizable`` (by the base network) is searched with the given sizes."""
    return assumptions(
        "has_exp_neuron", "exp_neuron_regularized", "loss_hinge_type", ("loss_smooth", {"k": 1}),
        "loss_non_increasing", "inputs_distinct",
        ("realizable", {"base_network": True, "restarts": realizable_restarts, "steps": realizable_steps}))
