"""Write the adversarial claims of referee v3: deep flat points, non-smooth points, the format.

Run: ``python examples/adversarial/build_v3.py`` (the files are committed; this rebuilds them).
Each entry is ``examples/adversarial/<name>/`` with the claim and ``expected.json``. The
derivations are in each builder's docstring; they use no code of the arena beyond writing files.

* ``deep_l2_strict_minimum``: tanh network 2-3-3-3-1 without biases, ``l2`` weight λ = 1e-5, at
  θ = 0. Every path from input to output is a product of 4 weights, so f(x; δ) = O(‖δ‖³)
  (tanh(z) = z + O(z³) and all factors are O(‖δ‖)) and the data term changes by O(‖δ‖⁴);
  the penalty is λ‖δ‖²/2. So ∇L(0) = 0 and ∇²L(0) = λI: positive definite, 100× the flat
  tolerance 1e-7, a strict local minimum. Along a direction that moves every layer together the
  data term drops by about c·r⁴ (ℓ'(0) = −2 for the quadratic hinge; the probes find
  ΔL ≈ −3.3e-5 at r = 0.1, so c ≈ 0.33), and λr²/2 = c r⁴ at r = √(λ/2c) ≈ 0.004: the basin is
  smaller than the largest probe ball (0.1) and far larger than the smallest (1e-6). The loss at 0 is ℓ(0) = 1; the witness (plain gradient
  descent) has a loss below 0.1, so the point is a bad local minimum.
* ``deep_linear_ninth_order``: linear network 2-2-2-2-2-2-2-2-2-1 (8 hidden layers), no biases,
  quadratic hinge, θ = 0. f is a product of 9 weight factors, so gradient and Hessian vanish and
  along u (unit length, every layer moved) L(tu) − L(0) = −2·mean(yᵢ·Π(u)xᵢ)·t⁹ + O(t¹⁸), negative
  for one of ±u: about −1e-9·c at r = 0.1, below float64's resolution (1e-12 × L = 1e-12) for
  every probe radius when c < 1e-3. Not a local minimum; float64 cannot see the descent, 80 digits
  can.
* ``coinciding_student_units``: teacher–student k = 2, n = 2, d = 2, teacher V = I. Both student
  units equal w = c·(1, 1), c = (1 + 3π/4)/(2π) ≈ 0.5341: the gradient of unit 1 is
  w/2 + ∇κ(w, w) − Σⱼ ∇κ(w, vⱼ) = w − (2 sin(π/4) w̄ + (3π/4)(v₁ + v₂))/2π = 0 (θ(w, w) = 0 gives
  ∇κ(w, w) = w/2; θ(w, vⱼ) = π/4). The loss is not twice differentiable there (the units are
  parallel), and splitting them (w ± t·(1, −1)) lowers it like −0.3 t²: a saddle. The claim has no
  data tensors, as the format allows.
* ``duplicate_setting_key``: a claim.json naming ``setting`` twice; refused before judging.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import torch
from safetensors.torch import save

from arena.claims import Claim, save_claim

HERE = Path(__file__).resolve().parent
F64 = torch.float64


def _entry(name: str, expected: dict) -> Path:
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return folder


def _descend(setting: dict, X: torch.Tensor, y: torch.Tensor, seed: int) -> dict[str, torch.Tensor]:
    """A lower point by plain Adam from a random start (the witness)."""
    from arena.landscape.setting import Setting

    s = Setting.from_config(setting)
    gen = torch.Generator().manual_seed(seed)
    p = {k: (0.5 * torch.randn(shape, generator=gen, dtype=F64)).requires_grad_(True) for k, shape in s.param_shapes.items()}
    opt = torch.optim.Adam(list(p.values()), lr=0.02)
    for _ in range(1500):
        opt.zero_grad()
        loss = s.empirical_loss(p, X, y)
        loss.backward()
        opt.step()
    return {k: v.detach() for k, v in p.items()}


def deep_l2_strict_minimum() -> Claim:
    gen = torch.Generator().manual_seed(7)
    X = 3 * torch.randn(14, 2, generator=gen, dtype=F64)
    y = torch.sign(X[:, 0] + 0.4 * X[:, 1])
    setting = {"network": {"input_dim": 2, "hidden": [3, 3, 3], "neuron": "tanh", "bias": False},
               "loss": "quadratic_hinge", "regularizer": {"name": "l2", "weight": 1e-5}}
    dims = [2, 3, 3, 3, 1]
    theta = {f"layers.{i}.weight": torch.zeros(dims[i + 1], dims[i], dtype=F64) for i in range(4)}
    return Claim(setting, X, y, theta, witness=_descend(setting, X, y, 1), attacker="adversarial.deep_l2_strict_minimum",
                 notes="gradient 0, Hessian 1e-5·I at the origin; basin radius ~0.004")


def deep_linear_ninth_order() -> Claim:
    gen = torch.Generator().manual_seed(11)
    X = torch.randn(10, 2, generator=gen, dtype=F64)
    y = torch.sign(X[:, 0] - 0.3 * X[:, 1])
    dims = [2] + [2] * 8 + [1]
    theta = {f"layers.{i}.weight": torch.zeros(dims[i + 1], dims[i], dtype=F64) for i in range(9)}
    setting = {"network": {"input_dim": 2, "hidden": [2] * 8, "neuron": "linear", "bias": False},
               "loss": "quadratic_hinge"}
    return Claim(setting, X, y, theta, attacker="adversarial.deep_linear_ninth_order",
                 notes="escape of order 9, below float64 resolution in every probe ball")


def build() -> None:
    for name, make, verdict, reason, referee in (
        ("deep_l2_strict_minimum", deep_l2_strict_minimum, "bad_local_min",
         "gradient 0 and Hessian 1e-5·I: the second-order sufficient condition decides; the descent in the "
         "larger balls lies outside the basin", {"restarts": 0}),
        ("deep_linear_ninth_order", deep_linear_ninth_order, "not_local_min",
         "an order-9 escape below float64 resolution in every ball: decided in high precision", {"restarts": 0}),
    ):
        folder = _entry(name, {"verdict": verdict, "reason": reason, "referee": referee})
        save_claim(make(), folder)
    c = (1 + 3 * math.pi / 4) / (2 * math.pi)
    folder = _entry("coinciding_student_units", {
        "verdict": "not_local_min", "referee": {"restarts": 0},
        "reason": "parallel student units: the Hessian's one-sided limits show the split that descends"})
    (folder / "claim.safetensors").write_bytes(save({"theta.W": torch.full((2, 2), c, dtype=F64)}))
    (folder / "claim.json").write_text(json.dumps({
        "format": "localmin-arena/claim/v1", "kind": "local_min",
        "setting": {"task": "teacher_student", "k": 2, "n": 2, "d": 2}, "tensors": "claim.safetensors",
        "attacker": "adversarial.coinciding_student_units", "notes": "two equal student units, no data"}, indent=2) + "\n")
    folder = _entry("duplicate_setting_key", {"exit": 2, "reason": "a key repeated in claim.json is refused, "
                                                                     "not resolved by keeping the last value"})
    (folder / "claim.safetensors").write_bytes(save({"theta.W": torch.full((2, 2), 0.5, dtype=F64)}))
    (folder / "claim.json").write_text(
        '{"format": "localmin-arena/claim/v1", "setting": {"task": "teacher_student", "k": 2, "n": 2, "d": 2},\n'
        ' "tensors": "claim.safetensors",\n'
        ' "setting": {"task": "teacher_student", "k": 2, "n": 3, "d": 2}}\n')


if __name__ == "__main__":
    build()
