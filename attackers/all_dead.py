"""All-dead network: every first-layer unit dead on every sample (docs/catalogue.md §5, A1b).

A construction of the "blind spot" type in Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909
(their ReLU counterexample) and Swirszcz, Czarnecki, Pascanu 2016, arXiv:1611.06310; the numbers
are ours (docs/catalogue.md A1b). Every first-layer unit satisfies w_j·x_i + b_j < 0 strictly on every
sample, deeper layers are kept active (their input is the constant σ(dead) = 0), so the network
outputs one constant c(θ) = output bias + const. That constant is set to the best constant fit
c* = argmin_c n₊ ℓ(c) + n₋ ℓ(−c). Any small perturbation leaves the first layer dead, so f stays a
constant and L ≥ G(c*)/n in a ball: a (non-strict) local minimum, for any depth and width and any
loss whose constant fit is attained (both labels present). Closed forms with n = n₊ + n₋:

* quadratic hinge (and squared): c* = (n₊ − n₋)/n, L = 4 n₊ n₋ / n²;
* p = 3 hinge: c* = (√n₊ − √n₋)/(√n₊ + √n₋), L = (n₊(1−c*)³ + n₋(1+c*)³)/n;
* logistic: c* = log(n₊/n₋), L = binary entropy of n₊/n in nats;
* exponential: c* = ½ log(n₊/n₋), L = 2√(n₊ n₋)/n.

The data are linearly separable, so the same network fits them (the witness: the LP separator fed
through one live chain of units, :func:`arena.assumptions.affine_witness`; for the squared loss its
last layer is refit by least squares). Works for neurons with a dead region (relu, leaky_relu with
slope 0, relu_power, smooth_relu); the helpers come from :mod:`arena.attackers.dead_relu`.

The construction needs no say over the data (both labels present is enough), so it also plays
fixed data sets (``python -m arena attacker=all_dead defender=none data=breast_cancer``; :mod:`arena.data`):
one claim on those data.

Run: ``python -m arena attacker=all_dead defender=none``
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import affine_witness, linear_separability
from arena.contract import Budget
from arena.claims import Claim
from arena.data import Dataset
from arena.landscape.losses import Loss
from arena.landscape.setting import Params, Setting
from arena.contract import ensure_applies, require_int, require_number
from arena.attackers.dead_relu import NOTES_X, NOTES_Y, dead_relu_point, separable_dataset
from arena.attackers.linear_region import fit_output_layer, witness_margin
from arena.contract import Guarantee, PluginConfig

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")
DATASETS = ("random", "notes")


def closed_form(loss: Loss, n_pos: int, n_neg: int) -> tuple[float, float] | None:
    """(c*, loss at the all-dead point) from docs/catalogue.md A1b's formulas, or None for other losses."""
    n = n_pos + n_neg
    p = loss.params.get("p") if loss.name == "poly_hinge" else None
    if loss.name in ("quadratic_hinge", "squared"):  # the squared loss agrees with it for c in [−1, 1]
        p = 2.0
    if p == 2.0:
        return (n_pos - n_neg) / n, 4 * n_pos * n_neg / n**2
    if p == 3.0:
        c = (math.sqrt(n_pos) - math.sqrt(n_neg)) / (math.sqrt(n_pos) + math.sqrt(n_neg))
        return c, (n_pos * (1 - c) ** 3 + n_neg * (1 + c) ** 3) / n
    if loss.name == "logistic":
        q = n_pos / n
        return math.log(n_pos / n_neg), -(q * math.log(q) + (1 - q) * math.log(1 - q))
    if loss.name == "exponential":
        return 0.5 * math.log(n_pos / n_neg), 2 * math.sqrt(n_pos * n_neg) / n
    return None


def why_not_all_dead(setting: Setting) -> str:
    """'' when every first-layer unit can be made dead and the output a free constant, else why not."""
    if not setting.builtin:
        return (f"custom network {setting.network.get('_target_')!r}: the attack places the units of the "
                "built-in MLP")
    m = setting.mlp
    if not m.hidden:
        return "network has no hidden layer: no unit can be dead"
    if not setting.neuron.dead_region:
        return (f"neuron {setting.neuron.name} has no dead region: no unit is exactly constant, so the point "
                "would only look stationary (saturation, docs/catalogue.md §6.4)")
    if not m.bias:
        return "network has no biases: units cannot be made dead on every sample, nor the output constant tuned"
    if m.skip:
        return "network has a linear skip connection, which is never dead: the output is not constant"
    if m.exp_neuron and not m.special_is_exponential:
        return f"network has a {m.special_neuron} skip neuron, which this construction does not place"
    if m.multiplicative_exp:
        return ("network has the multiplicative pair (mult.a, mult.b) of Sohl-Dickstein & Kawaguchi, which this "
                "construction does not place; with its λa² term bad minima move to b = ∞ (docs/catalogue.md D3)")
    # (λ/2)a² of a switched-off exponential neuron (a = w = b = 0, the attack's best try against
    # Liang et al. 2018's defense) leaves the point stationary; other penalties do not
    if [r for r in setting.regularizers if r.name != "exp_neuron_l2"]:
        names = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
        return f"regularizer {names} pulls on the dead units' parameters, so the point is not stationary"
    if setting.loss_fn.smoothness < 1:
        return (f"loss {setting.loss_fn.name} is not C¹: its best constant sits on the loss's kink, where "
                "a gradient-based referee cannot certify the minimum")
    return ""


def all_dead_claim(setting: Setting, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, *,
                   attacker: str, seed: int, config: dict[str, Any], dead_margin: float = 0.5,
                   tag: str = "A1b all-dead") -> Claim:
    """The all-dead point on X [n, d], y [n] (both labels), with a witness when one is lower."""
    everything = np.ones(len(y), dtype=bool)
    params, info = dead_relu_point(setting, X, y, everything, rng, dead_margin=dead_margin)
    n_pos, n_neg = info["n_pos_blind"], info["n_neg_blind"]
    exact = closed_form(setting.loss_fn, n_pos, n_neg)
    if exact is not None:
        info["closed_form_c_star"], info["closed_form_loss"] = exact
    info["max_first_layer_preactivation"] = info.pop("max_first_layer_preactivation_blind")
    for key in ("n_blind", "n_pos_blind", "n_neg_blind", "min_margin_outside_blind"):
        info.pop(key)
    info.update(n_pos=n_pos, n_neg=n_neg)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    info["linearly_separable"] = linear_separability(X, y).holds
    witness = separable_witness(setting, Xt, yt)
    if witness is not None:
        info["witness_loss"] = float(setting.empirical_loss(witness, Xt, yt))
        info["witness_train_error"] = float(setting.train_error(witness, Xt, yt))
        if not info["witness_loss"] < info["loss"]:
            witness = None
    notes = (f"{tag} (docs/catalogue.md §5): every first-layer unit dead on all {info['n']} samples ({n_pos}+, {n_neg}-), "
             f"output constant c* = {info['c_star']:.6g}, loss {info['loss']:.6g}, training error "
             f"{info['train_error']:.4g}; data {'' if info['linearly_separable'] else 'not '}linearly separable")
    return Claim(setting=setting.to_config(), X=Xt, y=yt, theta=params, witness=witness, attacker=attacker,
                 seed=int(seed), notes=notes, extra={"construction": info, "attacker_config": config, "paper": PAPER})


def separable_witness(setting: Setting, X: torch.Tensor, y: torch.Tensor) -> Params | None:
    """A zero-training-error point of the same network (None unless the data are separable)."""
    loss = setting.loss_fn
    witness = affine_witness(setting, X, y, target=witness_margin(loss))
    if witness is not None and loss.name == "squared":
        witness = fit_output_layer(setting, witness, X, y)  # least squares on the live features
    return witness


def pad(X: np.ndarray, d: int) -> np.ndarray:
    """X [n, k] -> [n, d] with zero columns appended (the same points inside R^d, k <= d)."""
    out = np.zeros((X.shape[0], d))
    out[:, : X.shape[1]] = X
    return out


@dataclass(frozen=True)
class AllDead(PluginConfig):
    """A1b generator. ``dataset``: "random" (seeded, linearly separable, ``n`` samples, both labels
    at least twice) or "notes" (docs/catalogue.md A1's 1-D data, padded with zeros to the input dimension);
    ``dead_margin``: every first-layer pre-activation is <= −dead_margin."""

    dataset: str = "random"
    n: int = 8
    dead_margin: float = 0.5

    name: ClassVar[str] = "all_dead"
    fixed_data: ClassVar[bool] = True  # every unit dead on any data: the data need not be chosen

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"attacker all_dead: dataset must be one of {DATASETS}, got {self.dataset!r}")
        require_int("attacker all_dead", "n", self.n, at_least=4)
        require_number("attacker all_dead", "dead_margin", self.dead_margin)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = why_not_all_dead(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu", data: Dataset | None = None) -> list[Claim]:
        """Closed-form construction (float64, CPU; ``device`` is not needed); on ``data`` when given."""
        ensure_applies(self, setting, guarantee)
        if data is not None:
            return [all_dead_claim(setting, data.X.copy(), data.y.copy(), np.random.default_rng(int(seed)),
                                   attacker=self.name, seed=seed, config=self.config(), dead_margin=self.dead_margin)]
        count = 1 if self.dataset == "notes" else min(budget.datasets, budget.max_claims)
        claims = []
        d = setting.mlp.input_dim
        for k in range(count):
            rng = np.random.default_rng([int(seed), k])
            if self.dataset == "notes":
                X, y = pad(NOTES_X, d), NOTES_Y.copy()
            else:
                X, y, _, _ = separable_dataset(self.n, d, rng)
            claims.append(all_dead_claim(setting, X, y, rng, attacker=self.name, seed=seed, config=self.config(),
                                         dead_margin=self.dead_margin))
        return claims
