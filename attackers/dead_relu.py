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

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import affine_witness, max_margin_separator
from arena.contract import Budget
from arena.claims import Claim
from arena.landscape.losses import Loss
from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Params, Setting
from arena.contract import ensure_applies, require_int
from arena.contract import Guarantee, PluginConfig

NOTES_X = np.array([[-1.0], [0.0], [0.5], [2.0]])  # docs/catalogue.md A1: separable at x = -0.5
NOTES_Y = np.array([-1.0, 1.0, 1.0, 1.0])
VARIANTS = ("auto", "blind_spot", "all_dead")


# -- the 1-D constant fit --------------------------------------------------------------------------
def constant_fit(loss: Loss, n_pos: int, n_neg: int) -> float:
    """argmin_c n₊ ℓ(c) + n₋ ℓ(−c): closed form for the registered families, else 1-D convex search."""
    if n_pos < 1 or n_neg < 1:
        raise ValueError(f"constant fit needs both labels, got n_pos={n_pos}, n_neg={n_neg}")
    name, p = loss.name, loss.params
    power = 2.0 if name == "quadratic_hinge" else p.get("p", 3.0) if name == "poly_hinge" else None
    if name in ("quadratic_hinge", "squared") or (power is not None and power == 2):
        return (n_pos - n_neg) / (n_pos + n_neg)
    if power is not None and power > 1:
        r = (n_neg / n_pos) ** (1.0 / (power - 1.0))  # ((1−c)/(1+c))^{p−1} = n₋/n₊
        return (1.0 - r) / (1.0 + r)
    if name == "hinge" or power == 1:
        return float(np.sign(n_pos - n_neg))
    if name == "smooth_hinge":
        return 1.0 - n_neg / n_pos if n_pos >= n_neg else -(1.0 - n_pos / n_neg)
    if name == "logistic":
        return math.log(n_pos / n_neg)
    if name == "exponential":
        return 0.5 * math.log(n_pos / n_neg)
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda c: constant_fit_value(loss, c, n_pos, n_neg), bounds=(-50.0, 50.0),
                          method="bounded", options={"xatol": 1e-12})
    return float(res.x)


def constant_fit_value(loss: Loss, c: float, n_pos: int, n_neg: int) -> float:
    """G(c) = n₊ ℓ(c) + n₋ ℓ(−c) in float64."""
    v = loss(torch.tensor([c, -c], dtype=torch.float64))
    return float(n_pos * v[0] + n_neg * v[1])


def constant_fit_slope(loss: Loss, c: float, n_pos: int, n_neg: int) -> float:
    """d/dc [n₊ ℓ(c) + n₋ ℓ(−c)] by float64 autograd (0 at the minimiser of a C¹ loss)."""
    t = torch.tensor(c, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(n_pos * loss(t) + n_neg * loss(-t), t)
    return float(g)


def _one_sided_slopes(loss: Loss, c: float, n_pos: int, n_neg: int, h: float = 1e-7) -> list[float]:
    """[left, right] difference quotients of G at c: left <= 0 <= right at a minimiser (kinks too)."""
    g = functools.partial(constant_fit_value, loss, n_pos=n_pos, n_neg=n_neg)
    return [(g(c) - g(c - h)) / h, (g(c + h) - g(c)) / h]


# -- data ------------------------------------------------------------------------------------------
def separable_dataset(n: int, d: int, rng: np.random.Generator, gap: float = 0.1
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """X [n, d], y [n] with y_i(u·x_i + c) >= gap, both labels at least twice; returns (X, y, u, c)."""
    if n < 4:
        raise ValueError(f"need n >= 4 samples (two per label), got {n}")
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    c = float(rng.uniform(-0.5, 0.5))
    n_pos = int(rng.integers(2, n - 1))
    y = rng.permutation(np.r_[np.ones(n_pos), -np.ones(n - n_pos)])
    s = y * (gap + np.abs(rng.normal(size=n)))  # target scores u·x + c
    Z = rng.normal(size=(n, d))
    X = Z - np.outer(Z @ u, u) + np.outer(s - c, u)
    return X, y, u, c


# -- the construction ------------------------------------------------------------------------------
def dead_relu_point(setting: Setting, X: np.ndarray, y: np.ndarray, in_H: np.ndarray, rng: np.random.Generator,
                    *, direction: np.ndarray | None = None, dead_margin: float = 0.5, live_margin: float = 2.0
                    ) -> tuple[Params, dict[str, Any]]:
    """Parameters of the blind-spot point (all-dead when ``in_H`` is all True), and its bookkeeping.

    X [n, d], y [n] in {-1, +1}, in_H [n] bool: the blind spot, holding both labels; the rest (A)
    must be one label and strictly above H along ``direction`` [d] (required when A is non-empty).
    Every first-layer pre-activation has |z| >= ``dead_margin``; deeper pre-activations are >= 1.
    """
    why = _why_not(setting)
    if why:
        raise ValueError(why)
    m = setting.mlp
    n, d = X.shape
    in_A = ~in_H
    yH = y[in_H]
    n_pos, n_neg = int((yH > 0).sum()), int((yH < 0).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"the blind spot must hold both labels, got {n_pos} positive, {n_neg} negative")
    live = np.unique(y[in_A])
    if len(live) > 1:
        raise ValueError("samples outside the blind spot must share one label")
    h0 = m.hidden[0]
    W0, b0 = np.zeros((h0, d)), np.zeros(h0)
    for j in range(h0):
        if in_A.any():
            if direction is None:
                raise ValueError("a direction separating the blind spot from the other samples is required")
            base = direction / np.linalg.norm(direction)
            w = base if j == 0 else base + 0.3 * rng.normal(size=d) / math.sqrt(d)
            p = X @ w
            if not p[in_A].min() > p[in_H].max():  # the perturbed direction mixes H and A: keep the base
                w, p = base, X @ base
            lo, hi = p[in_H].max(), p[in_A].min()
            if not hi > lo:
                raise ValueError("direction does not put the blind spot strictly below the other samples")
            kappa = dead_margin / ((hi - lo) / 2) * rng.uniform(1.0, 2.0)
            W0[j], b0[j] = kappa * w, -kappa * (lo + hi) / 2
        else:
            w = rng.normal(size=d)
            w /= np.linalg.norm(w)
            W0[j], b0[j] = w, -(X @ w).max() - dead_margin * rng.uniform(1.0, 2.0)
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    if m.exp_neuron and make_neuron(m.special_neuron).dead_region:
        # a special unit with a dead region is switched off strictly inside it (docs/catalogue.md A14):
        # w = 0, b = -dead_margin, so no small move wakes it
        params["exp.b"] = torch.tensor(-dead_margin, dtype=torch.float64)
    params["layers.0.weight"], params["layers.0.bias"] = torch.as_tensor(W0), torch.as_tensor(b0)
    widths = (d, *m.hidden)
    for i in range(1, len(m.hidden)):
        # positive weights and bias 1 on non-negative inputs: active on every sample, pattern fixed
        params[f"layers.{i}.weight"] = torch.as_tensor(rng.uniform(0.5, 1.5, size=(widths[i + 1], widths[i])))
        params[f"layers.{i}.bias"] = torch.ones(widths[i + 1], dtype=torch.float64)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    pre = setting.preactivations(params, Xt)
    h = setting.neuron(pre[f"layers.{len(m.hidden) - 1}"])  # [n, h_last]
    if bool((h < 0).any()):
        raise ValueError(f"neuron {setting.neuron.name} takes negative values: deeper layers cannot be kept active")
    hH = h[torch.as_tensor(in_H)]
    # exactly constant for dead units; within float64 noise for saturated ones (smooth neurons)
    if bool(((hH - hH[0]).abs() > 1e-12).any()):
        raise RuntimeError("hidden representation is not constant on the blind spot")
    loss = setting.loss_fn
    c_star = constant_fit(loss, n_pos, n_neg)
    v = torch.as_tensor(rng.uniform(0.5, 1.5, size=h.shape[1]))
    last = len(m.hidden)
    if in_A.any():
        y_live = float(live[0])
        delta = (h[torch.as_tensor(in_A)] - hH[0]) @ v  # > 0: live units only add on A
        if not bool((delta > 0).all()):
            raise RuntimeError("some sample outside the blind spot has no active unit")
        scale = max(float(((live_margin - y_live * c_star) / delta).max()), 1.0)
        wL = y_live * scale * v
    else:
        wL = v
    params[f"layers.{last}.weight"] = wL[None, :].clone()
    params[f"layers.{last}.bias"] = torch.tensor([c_star - float(wL @ hH[0])], dtype=torch.float64)
    info = _bookkeeping(setting, params, Xt, yt, in_H, c_star, n_pos, n_neg)
    return params, info


def _bookkeeping(setting: Setting, params: Params, X: torch.Tensor, y: torch.Tensor, in_H: np.ndarray,
                 c_star: float, n_pos: int, n_neg: int) -> dict[str, Any]:
    n = len(y)
    mask = torch.as_tensor(in_H)
    z0 = setting.preactivations(params, X)["layers.0"]
    margins = setting.margins(params, X, y)
    loss = setting.loss_fn
    predicted = constant_fit_value(loss, c_star, n_pos, n_neg) / n
    return {
        "n": n, "n_blind": int(in_H.sum()), "n_pos_blind": n_pos, "n_neg_blind": n_neg, "c_star": c_star,
        "slope_at_c_star": constant_fit_slope(loss, c_star, n_pos, n_neg),
        "one_sided_slopes": _one_sided_slopes(loss, c_star, n_pos, n_neg),
        "predicted_loss": predicted, "loss": float(setting.empirical_loss(params, X, y)),
        "train_error": float(setting.train_error(params, X, y)),
        "max_first_layer_preactivation_blind": float(z0[mask].max()),
        "min_abs_first_layer_preactivation": float(z0.abs().min()),
        "min_margin_outside_blind": float(margins[~mask].min()) if (~mask).any() else None,
    }


def _witness_margin(loss: Loss) -> float:
    """Margin the witness is scaled to: past the hinge, far out for logistic-like losses, 1 for squared."""
    if loss.hinge_type:
        return 2.0
    return 10.0 if loss.monotone else 1.0


# -- applicability ---------------------------------------------------------------------------------
def _why_not(setting: Setting) -> str:
    if not setting.builtin:
        return (f"custom network {setting.network.get('_target_')!r}: the attack places the units of the "
                "built-in MLP")
    m = setting.mlp
    if not m.hidden:
        return "network has no hidden layer: no unit can be dead"
    if not setting.neuron.dead_region and not setting.neuron.saturates:
        return (f"neuron {setting.neuron.name} has no dead region and does not saturate: no unit can be "
                "switched off")
    if not m.bias:
        return "network has no biases: units cannot be made dead on a half-space, nor the output constant tuned"
    if not setting.neuron.dead_region and float(setting.neuron(torch.tensor(-40.0, dtype=torch.float64))) < 0:
        return (f"neuron {setting.neuron.name} is negative where it saturates: the switched-off units' outputs "
                "cannot be kept non-negative, which the construction needs")
    if m.skip:
        return "network has a linear skip connection, which is never dead and sees the blind spot"
    others = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if others:
        return f"regularizer {others} pulls on the dead units' parameters, so the point is not stationary"
    return ""


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
        if not (self.dead_margin > 0 and self.live_margin > 1):
            raise ValueError("attacker dead_relu: need dead_margin > 0 and live_margin > 1, got "
                             f"{self.dead_margin}, {self.live_margin}")

    def _variant(self, setting: Setting) -> str:
        if self.variant != "auto":
            return self.variant
        return "blind_spot" if setting.loss_fn.hinge_type else "all_dead"

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = _why_not(setting)
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
