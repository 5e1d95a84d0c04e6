"""Build the adversarial corpus: claims written to fool the referee, each with the verdict it must get.

Every entry is a folder ``examples/adversarial/<name>/`` with ``claim.json``, ``claim.safetensors``
and ``expected.json`` (``verdict``, ``reason``, the ``referee`` settings it is judged with). The
corpus grows whenever a new trick is found: add a builder here, run the script, commit the files.

Run: ``python examples/adversarial/build.py``; judge: ``arena verify examples/adversarial/*/claim.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from arena.claims import Claim, save_claim, zoo

f64 = torch.float64
FAST = {"restarts": 0}


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=f64)


def relu_saddle(scale: float) -> Claim:
    """A 1-1-1 ReLU saddle (live unit relu(x) on x = 1, 3, 4, output weight 0, gradient 0, Hessian
    eigenvalue ≈ −0.048), its unit rescaled by ``scale``: the same network function."""
    theta = {"layers.0.weight": _t([[scale]]), "layers.0.bias": _t([0.0]),
             "layers.1.weight": _t([[0.0]]), "layers.1.bias": _t([0.0])}
    return Claim({"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": "quadratic_hinge"},
                 _t([[-1.0], [1.0], [3.0], [4.0]]), _t([-1.0, 1.0, 1.0, -1.0]), theta,
                 attacker="adversarial.rescaled_saddle", notes=f"saddle with its unit rescaled by {scale:g}")


def rescaled_permuted_minimum() -> Claim:
    """theory A1's bad minimum (loss 2/3) with its unit rescaled by 1e4 and the samples permuted."""
    c = zoo.a1_dead_relu()
    order = torch.tensor([2, 0, 3, 1])
    theta = dict(c.theta)
    theta["layers.0.weight"], theta["layers.0.bias"] = c.theta["layers.0.weight"] * 1e4, c.theta["layers.0.bias"] * 1e4
    theta["layers.1.weight"] = c.theta["layers.1.weight"] / 1e4
    return Claim(c.setting, c.X[order], c.y[order], theta, witness=c.witness,
                 attacker="adversarial.rescaled_permuted_minimum", notes="A1 minimum, unit ×1e4, samples permuted")


def hair_from_kink() -> Claim:
    """The relu_on_kink point with the bias lowered to −1e−10: the x = 0 sample sits 1e−10 below
    the kink, on the side where raising the bias pays. Its basin has radius ~1e−10, far below the
    probe floor: the protocol does not accept minima smaller than the balls it can resolve."""
    c = zoo.relu_on_kink()
    theta = dict(c.theta)
    theta["layers.0.bias"] = _t([-1e-10])
    return Claim(c.setting, c.X, c.y, theta, attacker="adversarial.hair_from_kink", notes="pre-activation -1e-10")


def third_order_saddle() -> Claim:
    """f = w₃·w₂·w₁·x (linear units, no biases) at 0: gradient and Hessian vanish; the loss drops
    like −r³ along δ₁δ₂δ₃ (two gated units in a chain): only a fit over several radii shows it."""
    theta = {f"layers.{i}.weight": torch.zeros(1, 1, dtype=f64) for i in range(3)}
    setting = {"network": {"input_dim": 1, "hidden": [1, 1], "neuron": "linear", "bias": False}, "loss": "quadratic_hinge"}
    return Claim(setting, _t([[-1.0], [0.5], [2.0], [3.0]]), _t([-1.0, -1.0, 1.0, 1.0]), theta,
                 attacker="adversarial.third_order_saddle", notes="cubic escape through two gated units")


def fourth_order_escape() -> Claim:
    """A dead-ReLU minimum with the exponential neuron of Liang et al. switched off (a = 0): the
    escape turns the neuron first and pays later, ΔL ~ −r⁴."""
    from arena.attackers.dead_relu import DeadRelu
    from arena.contract import Budget
    from arena.landscape.setting import Setting

    setting = Setting.from_config({"network": {"input_dim": 2, "hidden": [4], "neuron": "relu", "exp_neuron": True},
                                   "loss": "quadratic_hinge", "regularizer": {"name": "exp_neuron_l2", "weight": 0.1}})
    claim = DeadRelu().attack(setting, None, Budget(), seed=0)[0]
    claim.attacker, claim.notes = "adversarial.fourth_order_escape", "exponential neuron switched off"
    return claim


def float32_minimum() -> Claim:
    """The all-dead bad minimum as float32 gradient descent leaves it (gradient ~1e−5, float32)."""
    return zoo.float32_dead_relu()


ENTRIES = {
    "rescaled_saddle_up": (lambda: relu_saddle(1e4), "not_local_min", FAST,
                           "rescaling a unit changes no loss value; judged in the canonical form the negative "
                           "curvature is as clear as unscaled"),
    "rescaled_saddle_down": (lambda: relu_saddle(1e-4), "not_local_min", FAST, "the same saddle, unit ×1e-4"),
    "rescaled_permuted_minimum": (rescaled_permuted_minimum, "bad_local_min", FAST,
                                  "a genuine bad minimum stays one under rescaling and sample permutation"),
    "hair_from_kink": (hair_from_kink, "not_local_min", FAST,
                       "a basin of radius 1e-10 is below the probe floor: one-sided moves across the kink descend"),
    "third_order_saddle": (third_order_saddle, "not_local_min", FAST,
                           "flat to second order; descent fitted as r^3 over several radii, within the depth's bound"),
    "fourth_order_escape": (fourth_order_escape, "not_local_min", FAST,
                            "a switched-off unit escapes at order 4 (gated probes, fitted over several radii)"),
    "float32_minimum": (float32_minimum, "bad_local_min", {"restarts": 16, "restart_steps": 600},
                        "float32 storage: the polish moves it a hair, the verdict stays"),
}


def build(here: Path) -> None:
    for name, (make, verdict, referee, reason) in ENTRIES.items():
        path = save_claim(make(), here / name / "claim.json")
        (here / name / "expected.json").write_text(json.dumps(
            {"verdict": verdict, "reason": reason, "referee": referee}, indent=2) + "\n")
        print(path)


if __name__ == "__main__":
    build(Path(__file__).resolve().parent)
