"""Linear-region bad local minimum of a ReLU-like network (docs/catalogue.md §5, A6a).

Yun, Sra, Jadbabaie, "Small nonlinearities in activation functions create bad local minima in
neural networks", ICLR 2019, arXiv:1802.03487 (their Theorem 1 is of this type; the instance and
its numbers are ours, docs/catalogue.md A6a). Every hidden pre-activation is put strictly inside the affine
piece of the neuron (leaky ReLU z ≥ 0, ReLU z > 0, ...), so in a ball around θ the activation
pattern cannot change and the network is *exactly* an affine function of x there; the last layer
is set to the best affine fit of the data under the setting's loss (for the squared loss the
least-squares fit). No affine function does better, so θ is a (non-strict) local minimum, while the
same network with a kink inside the data reaches lower loss.

Data (the paper's 3-point set, labels (0, 0, 1) mapped to ±1): ``X = [[1,0],[0,1],[0.5,0.5]]``,
``y = [−1, −1, +1]``; the third point is the midpoint of the first two, so no affine function fits
it. Squared loss: β = (−1/9, −1/9), β₀ = −2/9 (f ≡ −1/3 on the data), L = 8/9, training error 1/3;
the witness σ(x₂−x₁), σ(x₁−x₂) with output weights −2/(σ(1)+σ(−1)−2σ(0)) reaches zero loss.
Other input dimensions get the same points (padded with zeros, or their coordinate t = x₂ in 1-D).

The output-layer fits (:func:`~arena.search.output_fit.convex_fit`, damped Newton in float64, and
:func:`~arena.search.output_fit.fit_output_layer`, a witness's last layer) live in
:mod:`arena.search.output_fit`, which other attackers share.

Run: ``python -m arena attacker=linear_region defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from arena.assumptions import linear_separability
from arena.claims import Claim
from arena.contract import Budget, Guarantee, PluginConfig, ensure_applies, require_number
from arena.landscape.edits import unplaced_parts
from arena.landscape.setting import Params, Setting
from arena.search.output_fit import convex_fit, fit_output_layer

PAPER = ("Yun, Sra, Jadbabaie. Small nonlinearities in activation functions create bad local minima in "
         "neural networks. ICLR 2019, arXiv:1802.03487")
NOTES_X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
NOTES_Y = np.array([-1.0, -1.0, 1.0])
# Neurons with an affine piece z > threshold of slope 1 (where the pattern can be pinned).
AFFINE_PIECE = {"relu": 0.0, "leaky_relu": 0.0, "elu": 0.0}


# -- convex fits of the output layer ---------------------------------------------------------------
# -- data ------------------------------------------------------------------------------------------
def notes_data(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """docs/catalogue.md A6a's points in R^d: X [3, d], y [3], and (u [d], c) with u·x + c = (−1, 1, 0) on them.

    d ≥ 2: the 2-D points padded with zeros; d = 1: their coordinate t = x₂ (0, 1, 1/2).
    """
    if d >= 2:
        X = np.zeros((3, d))
        X[:, :2] = NOTES_X
        u = np.zeros(d)
        u[:2] = (-1.0, 1.0)
        return X, NOTES_Y.copy(), u, 0.0
    return NOTES_X[:, 1:2].copy(), NOTES_Y.copy(), np.array([2.0]), -1.0


# -- applicability ---------------------------------------------------------------------------------
def affine_threshold(setting: Setting) -> float | None:
    """z₀ such that the neuron is z ↦ z + const on z > z₀ (None if it has no such piece)."""
    neuron = setting.neuron
    if neuron.name in AFFINE_PIECE:
        return AFFINE_PIECE[neuron.name]
    if neuron.name == "smooth_relu":
        return float(neuron.params["h"])
    return None


def _why_not(setting: Setting) -> str:
    if not setting.builtin:
        return (f"custom network {setting.network.get('_target_')!r}: the attack pins the activation pattern "
                "of the built-in MLP")
    m = setting.mlp
    if not m.hidden:
        return "network has no hidden layer: it is affine everywhere, so the affine fit is the global minimum"
    neuron = setting.neuron
    if affine_threshold(setting) is None:
        return (f"neuron {neuron.name} has no affine piece where the activation pattern can be pinned "
                "(needs relu, leaky_relu, elu or smooth_relu)")
    if neuron.name == "leaky_relu" and neuron.params.get("slope") == 1.0:
        return "neuron leaky_relu with slope 1 is linear: the network is affine everywhere (D7), nothing is bad"
    if not m.bias:
        return "network has no biases: pre-activations cannot be pushed into the affine piece on every sample"
    if why := unplaced_parts(setting):
        return why
    # (λ/2)a² of a switched-off exponential neuron (a = w = b = 0, the attack's best try against
    # Liang et al. 2018's defense) leaves the point stationary; other penalties do not
    names = [r.name for r in setting.regularizers if r.name != "exp_neuron_l2"]
    if names:
        return f"regularizer {names} pulls on the weights, so the linear-region point is not stationary"
    loss = setting.loss_fn
    if not (loss.convex and loss.smoothness >= 1):
        return f"loss {loss.name} is not convex and C¹: the best affine fit is not characterised by Newton"
    return ""


@dataclass(frozen=True)
class LinearRegion(PluginConfig):
    """A6a generator. ``offset``: how far inside the affine piece every pre-activation sits (the
    catalogue's b₁ = 5·1 with W₁ = I)."""

    offset: float = 5.0

    name: ClassVar[str] = "linear_region"

    def __post_init__(self) -> None:
        require_number("attacker linear_region", "offset", self.offset)

    def applies_to(self, setting: Setting, guarantee: Guarantee | None = None) -> tuple[bool, str]:
        why = _why_not(setting)
        return (not why), why

    def attack(self, setting: Setting, guarantee: Guarantee | None, budget: Budget, seed: int,
               device: str = "cpu") -> list[Claim]:
        """Closed-form construction on the catalogue's data (float64, CPU; ``device`` is not needed)."""
        ensure_applies(self, setting, guarantee)
        rng = np.random.default_rng(int(seed))
        X, y, u, c = notes_data(setting.mlp.input_dim)
        Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
        params, info = linear_region_point(setting, Xt, yt, rng, offset=self.offset)
        best = kink_witness(setting, Xt, yt, torch.as_tensor(u), c, offset=self.offset)
        info["witness_loss"] = float(setting.empirical_loss(best, Xt, yt))
        info["witness_train_error"] = float(setting.train_error(best, Xt, yt))
        witness = best if info["witness_loss"] < info["loss"] else None
        info["linearly_separable"] = linear_separability(X, y).holds
        notes = (f"A6a linear region (Yun, Sra, Jadbabaie 2019, docs/catalogue.md §5): every pre-activation >= "
                 f"{info['min_preactivation']:.3g} inside the affine piece of {setting.neuron.name}, last layer = best "
                 f"affine fit (beta = {np.round(info['beta'], 6).tolist()}, beta0 = {info['beta0']:.6g}); loss "
                 f"{info['loss']:.6g}, training error {info['train_error']:.4g}")
        return [Claim(setting=setting.to_config(), X=Xt, y=yt, theta=params, witness=witness,
                      attacker=self.name, seed=int(seed), notes=notes,
                      extra={"construction": info, "attacker_config": self.config(), "paper": PAPER})]


# -- the construction ------------------------------------------------------------------------------
def linear_region_point(setting: Setting, X: torch.Tensor, y: torch.Tensor, rng: np.random.Generator,
                        *, offset: float = 5.0) -> tuple[Params, dict[str, Any]]:
    """Every hidden pre-activation >= threshold + ``offset`` on X [n, d]; output = best affine fit.

    One hidden layer of width >= d: W₁ = [I; random unit rows], last layer β (slope of the piece is
    1) as in docs/catalogue.md. Otherwise the first unit carries β/‖β‖, deeper layers pass unit 0 on with
    weight 1, and the last layer is solved by least squares (checked to reproduce the affine fit).
    """
    why = _why_not(setting)
    if why:
        raise ValueError(why)
    m = setting.mlp
    n, d = X.shape
    loss = setting.loss_fn
    A = torch.cat([X, torch.ones(n, 1, dtype=torch.float64)], dim=1)
    coef, fit_loss, fit_grad = convex_fit(loss, A, y)
    beta, beta0 = coef[:-1], float(coef[-1])
    target = A @ coef  # the affine fit's outputs on the data
    thr = affine_threshold(setting)
    if thr is None:
        raise ValueError(f"neuron {setting.neuron.name} has no affine piece to pin the units in")
    identity_layout = len(m.hidden) == 1 and m.hidden[0] >= d
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    h = X
    for i, width in enumerate(m.hidden):
        fan_in = h.shape[1]
        W = torch.zeros(width, fan_in, dtype=torch.float64)
        if i == 0 and identity_layout:
            W[:d] = torch.eye(d, dtype=torch.float64)
            extra = rng.normal(size=(width - d, d))
            W[d:] = torch.as_tensor(extra / np.linalg.norm(extra, axis=1, keepdims=True))
        elif i == 0:
            lead = beta / beta.norm() if float(beta.norm()) > 0 else torch.eye(d, dtype=torch.float64)[0]
            W[0] = lead
            if width > 1:
                extra = rng.normal(size=(width - 1, d))
                W[1:] = torch.as_tensor(extra / np.linalg.norm(extra, axis=1, keepdims=True))
        else:
            W[0, 0] = 1.0  # unit 0 carries the affine fit's direction through every layer
            if width > 1:
                W[1:] = torch.as_tensor(rng.uniform(0.5, 1.5, size=(width - 1, fan_in)))
        z_no_bias = h @ W.T
        b = thr + offset - z_no_bias.min(dim=0).values  # min pre-activation = threshold + offset
        params[f"layers.{i}.weight"], params[f"layers.{i}.bias"] = W, b
        h = setting.neuron(z_no_bias + b)
    last = len(m.hidden)
    if identity_layout:
        v = torch.zeros(m.hidden[0], dtype=torch.float64)
        v[:d] = beta  # the affine piece has slope 1
        b_out = float((target - h @ v).mean())
        sol = torch.cat([v, torch.tensor([b_out], dtype=torch.float64)])
    else:
        F = torch.cat([h, torch.ones(n, 1, dtype=torch.float64)], dim=1)
        sol = torch.linalg.lstsq(F, target.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
    params[f"layers.{last}.weight"] = sol[:-1].reshape(1, -1).clone()
    params[f"layers.{last}.bias"] = sol[-1:].clone()
    out = setting.output(params, X)
    residual = float((out - target).abs().max())
    if residual > 1e-10:
        raise RuntimeError(f"the hidden layers cannot carry the affine fit (residual {residual:.3g})")
    pre = setting.preactivations(params, X)
    info = {
        "n": n, "beta": beta.tolist(), "beta0": beta0, "affine_fit_loss": fit_loss,
        "affine_fit_grad_norm": fit_grad, "fitted_values": target.tolist(), "affine_residual": residual,
        "affine_piece_threshold": thr, "layout": "identity" if identity_layout else "lead_unit",
        "min_preactivation": min(float(z.min()) for z in pre.values()),
        "loss": float(setting.empirical_loss(params, X, y)), "train_error": float(setting.train_error(params, X, y)),
    }
    return params, info


def kink_witness(setting: Setting, X: torch.Tensor, y: torch.Tensor, u: torch.Tensor, c: float,
                 *, offset: float = 5.0) -> Params:
    """Units σ(u·x + c) and σ(−u·x − c), a V along the data's line; deeper layers pass their sum on
    inside the affine piece; the last layer is refit (:func:`fit_output_layer`). X: [n, d], u: [d]."""
    m = setting.mlp
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    params["layers.0.weight"][0] = u
    params["layers.0.bias"][0] = c
    if m.hidden[0] > 1:
        params["layers.0.weight"][1] = -u
        params["layers.0.bias"][1] = -c
    thr = affine_threshold(setting)
    if thr is None:
        raise ValueError(f"neuron {setting.neuron.name} has no affine piece to pin the units in")
    h = setting.neuron(setting.preactivations(params, X)["layers.0"])
    for i in range(1, len(m.hidden)):
        W = params[f"layers.{i}.weight"]
        W[0, : min(2, W.shape[1])] = 1.0
        z = h @ W.T
        params[f"layers.{i}.bias"][0] = thr + offset - float(z[:, 0].min())
        h = setting.neuron(z + params[f"layers.{i}.bias"])
    return fit_output_layer(setting, params, X, y)
