"""Dead-ReLU bad local minimum on linearly separable data (docs/catalogue.md §5, A1 and A1b).

Construction of the type in Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (their ReLU
counterexample; the numbers here are ours, docs/catalogue.md A1): choose a half-space H (the "blind spot")
holding samples of both labels, put every first-layer unit's active region strictly outside H,
keep deeper layers active everywhere (so the output is one constant c on H), set c to the
minimiser c* of G(c) = Σ_{i∈H} ℓ(y_i c), and scale the live units so that every sample outside H
(a single label) has margin >= ``live_margin`` > 1. In a ball around this point H stays dead, so
f = c(θ) on H and the loss is >= G(c*)/n there, while the samples outside H keep zero loss: a
(non-strict) local minimum with loss G(c*)/n > 0, although the data are separable and a witness of
the same network reaches zero loss. Quadratic hinge: c* = (n₊ − n₋)/n_H and loss 4 n₊ n₋ / (n_H n).

Against defenders the same construction is the attack's best try: with a smooth saturating neuron
(softplus, sigmoid, exponential) no unit is exactly dead, so the units are pushed to pre-activation
<= -``saturation_depth`` (their gradient is below float64 noise, docs/catalogue.md §6.4); with the
exponential skip neuron of Liang et al. 2018 the extra neuron is switched off (a = w = b = 0). The
referee must reject both (P1 and P2 say no bad local minimum exists there).

Variants: ``blind_spot`` needs a hinge-type loss (ℓ' = 0 beyond a finite margin); for other losses
(logistic, exponential, squared) live units can always improve, so ``all_dead`` (A1b: every unit
dead on every sample, output = best constant) is used; ``auto`` picks by the loss.

Run: ``python -m arena attacker=dead_relu defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from arena.assumptions import affine_witness, max_margin_separator
from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, ensure_applies, require_int, require_number
from arena.contract.datasets import NOTES_X, NOTES_Y, separable_dataset
from arena.landscape.losses import Loss
from arena.landscape.setting import Setting
from arena.search.dead_units import dead_relu_point, why_not_dead

VARIANTS = ("auto", "blind_spot", "all_dead")


def _witness_margin(loss: Loss) -> float:
    """Margin the witness is scaled to: past the hinge, far out for logistic-like losses, 1 for squared."""
    if loss.hinge_type:
        return 2.0
    return 10.0 if loss.monotone else 1.0


# -- applicability ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadRelu(PluginConfig):
    """A1/A1b generator. ``dataset``: "random" (seeded, separable, ``n`` samples) or "notes" (docs/catalogue.md
    A1's 1-D data); ``active``: samples kept outside the blind spot (None: random); ``live_label``:
    their label (None: random among labels with >= 2 samples)."""

    variant: str = "auto"
    dataset: str = "random"
    n: int = 12
    active: int | None = None
    live_label: int | None = None
    dead_margin: float = 0.5
    live_margin: float = 2.0
    saturation_depth: float = 40.0

    name: ClassVar[str] = "dead_relu"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"attacker dead_relu: variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.dataset not in ("random", "notes"):
            raise ValueError(f"attacker dead_relu: dataset must be 'random' or 'notes', got {self.dataset!r}")
        require_int("attacker dead_relu", "n", self.n, at_least=4)
        require_int("attacker dead_relu", "active", self.active, optional=True)
        if self.live_label not in (None, -1, 1):
            raise ValueError(f"attacker dead_relu: live_label must be -1, 1 or null, got {self.live_label!r}")
        require_number("attacker dead_relu", "dead_margin", self.dead_margin)
        require_number("attacker dead_relu", "live_margin", self.live_margin, above=1.0)

    def _variant(self, setting: Setting) -> str:
        if self.variant != "auto":
            return self.variant
        return "blind_spot" if setting.loss_fn.hinge_type else "all_dead"

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = why_not_dead(setting)
        if why:
            return False, why
        if self._variant(setting) == "blind_spot" and not setting.loss_fn.hinge_type:
            return False, (f"loss {setting.loss_fn.name} is not hinge type: live units can always improve, so "
                           "only the all-dead variant is a local minimum (use variant=all_dead)")
        if self.dataset == "notes" and setting.mlp.input_dim != 1:
            return False, f"dataset 'notes' is 1-D; the setting has input_dim {setting.mlp.input_dim}"
        return True, ""

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        """Closed-form construction (float64, CPU; ``device`` is not needed)."""
        ensure_applies(self, setting, guarantee)
        count = 1 if self.dataset == "notes" else min(budget.datasets, budget.max_claims)
        return [self._one_claim(setting, seed, k) for k in range(count)]

    def _one_claim(self, setting: Setting, seed: int, k: int) -> Claim:
        rng = np.random.default_rng([int(seed), k])
        if self.dataset == "notes":
            X, y = NOTES_X.copy(), NOTES_Y.copy()
            sep = max_margin_separator(X, y)
            u, c = sep.u, sep.c
        else:
            X, y, u, c = separable_dataset(self.n, setting.mlp.input_dim, rng)
        variant = self._variant(setting)
        if variant == "all_dead":
            in_H, direction = np.ones(len(y), dtype=bool), None
        else:
            in_H, direction = self._blind_spot(X, y, u, c, rng)
        smooth = not setting.neuron.dead_region
        margin = self.saturation_depth if smooth else self.dead_margin
        params, info = dead_relu_point(setting, X, y, in_H, rng, direction=direction,
                                       dead_margin=margin, live_margin=self.live_margin)
        info["smooth_analogue"] = smooth
        witness = affine_witness(setting, X, y, target=_witness_margin(setting.loss_fn))
        Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
        if witness is not None and not float(setting.empirical_loss(witness, Xt, yt)) < info["loss"]:
            witness = None
        if witness is not None:
            info["witness_loss"] = float(setting.empirical_loss(witness, Xt, yt))
        info["variant"] = variant
        analogue = (f"smooth analogue: {setting.neuron.name} units saturated at pre-activation <= "
                    f"-{self.saturation_depth:g} instead of dead; " if smooth else "")
        if setting.mlp.exp_neuron and setting.mlp.special_is_exponential:
            analogue += "exponential neuron switched off (a = w = b = 0); "
        elif setting.mlp.exp_neuron:
            analogue += f"{setting.mlp.special_neuron} special neuron dead (a = w = 0, b < 0, docs/catalogue.md A14); "
        notes = analogue + (f"A1{'b all-dead' if variant == 'all_dead' else ' dead-ReLU blind spot'} (docs/catalogue.md §5): "
                 f"{info['n_blind']}/{info['n']} samples in the blind spot ({info['n_pos_blind']}+, "
                 f"{info['n_neg_blind']}-), output constant c* = {info['c_star']:.6g} there, loss "
                 f"{info['loss']:.6g}, training error {info['train_error']:.4g}; data linearly separable")
        return Claim(setting=setting.to_config(), X=Xt, y=yt, theta=params, witness=witness,
                     attacker=self.name, seed=int(seed), notes=notes,
                     extra={"construction": info, "attacker_config": self.config()})

    def _blind_spot(self, X: np.ndarray, y: np.ndarray, u: np.ndarray, c: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
        """H = one label entirely + the live label's least confident samples; A = the rest."""
        counts = {lab: int((y == lab).sum()) for lab in (-1, 1)}
        choices = [lab for lab in (-1, 1) if counts[lab] >= 2]
        if self.live_label is not None:
            if counts[self.live_label] < 2:
                raise ValueError(f"live_label {self.live_label} has {counts[self.live_label]} sample(s); needs >= 2")
            choices = [self.live_label]
        if not choices:
            raise ValueError("no label has two samples: a blind spot with both labels plus a live sample is impossible")
        live = choices[int(rng.integers(len(choices)))]
        n_live = counts[live]
        active = self.active if self.active is not None else int(rng.integers(1, n_live))
        if not 1 <= active <= n_live - 1:
            raise ValueError(f"active must be in [1, {n_live - 1}] for live label {live}, got {active}")
        score = live * (X @ u + c)  # the live label scores highest
        order = np.argsort(-score, kind="stable")
        in_H = np.ones(len(y), dtype=bool)
        in_H[order[:active]] = False
        return in_H, live * u
