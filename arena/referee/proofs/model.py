"""The built-in network, its loss and its parameter layout in ball arithmetic.

:class:`Model` reads a :class:`~arena.landscape.setting.Setting` (never code from a claim) and
evaluates f(x_i; θ) and L(θ) = (1/n) Σ ℓ(y_i f(x_i; θ)) for θ given as a flat list of balls in
``param_shapes`` order, so a ball per coordinate gives an enclosure over a whole box of parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from flint import arb, arb_mat

from arena.landscape.neurons import split_spec
from arena.landscape.setting import Setting
from arena.referee.proofs.balls import NotCertified, exact, loss_value, sigma_value, sqr


@dataclass
class Model:
    """What the proofs need of a setting: sizes, the neuron and loss by name, the offsets."""

    d: int
    hidden: tuple[int, ...]
    bias: bool
    skip: bool
    neuron: tuple[str, dict]
    loss: tuple[str, dict]
    offsets: dict[str, tuple[int, tuple[int, ...]]]  # name -> (start, shape)
    num_params: int
    penalty: list[arb] | None = None  # R(θ) = Σ_k c_k θ_k² (l2, generic_l2, exp_neuron_l2): the c_k; None without one
    exp: bool = False  # the exponential skip unit a·exp(w·x + b) of Liang et al. (exp.a, exp.w, exp.b)

    @classmethod
    def of(cls, setting: Setting) -> "Model":
        """The model of a built-in setting; NotCertified for what the proofs do not cover."""
        if not setting.builtin:
            raise NotCertified("a custom network: proofs cover the built-in MLP only")
        m = setting.mlp
        if m.multiplicative_exp or (m.exp_neuron and not m.special_is_exponential):
            raise NotCertified("the multiplicative term, or a skip unit with a neuron other than exp, is not covered by the proofs")
        offsets, i = {}, 0
        for name, shape in setting.param_shapes.items():
            offsets[name] = (i, tuple(shape))
            i += math.prod(shape)
        return cls(m.input_dim, tuple(m.hidden), m.bias, m.skip, split_spec(m.neuron, "neuron"),
                   split_spec(setting.loss, "loss"), offsets, i, _quadratic_penalty(setting, offsets, i),
                   bool(m.exp_neuron))

    def index(self, name: str, *idx: int) -> int:
        start, shape = self.offsets[name]
        flat = 0
        for k, s in zip(idx, shape):
            flat = flat * s + k
        return start + flat

    def matrix(self, theta: list[arb], name: str) -> list[list[arb]]:
        start, (rows, cols) = self.offsets[name]
        return [theta[start + r * cols: start + (r + 1) * cols] for r in range(rows)]

    def vector(self, theta: list[arb], name: str) -> list[arb]:
        start, shape = self.offsets[name]
        return theta[start: start + math.prod(shape)]

    def layer_pre(self, theta: list[arb], i: int, h: arb_mat) -> arb_mat:
        """h [n, k] -> z = h Wᵢᵀ + bᵢ [n, out]."""
        w = arb_mat(self.matrix(theta, f"layers.{i}.weight"))
        z = h * w.transpose()
        if self.bias:
            b = self.vector(theta, f"layers.{i}.bias")
            z = arb_mat([[z[r, c] + b[c] for c in range(z.ncols())] for r in range(z.nrows())])
        return z

    def outputs(self, theta: list[arb], X: arb_mat) -> list[arb]:
        """f(x_i; θ) enclosed for every sample (any depth; kinks allowed)."""
        name, p = self.neuron
        h = X
        for i in range(len(self.hidden)):
            z = self.layer_pre(theta, i, h)
            h = arb_mat([[sigma_value(name, p, z[r, c]) for c in range(z.ncols())] for r in range(z.nrows())])
        out = self.layer_pre(theta, len(self.hidden), h)
        f = [out[r, 0] for r in range(out.nrows())]
        if self.skip:
            s = self.vector(theta, "skip.weight")
            f = [f[r] + sum((X[r, k] * s[k] for k in range(self.d)), arb(0)) for r in range(len(f))]
        if self.exp:
            a = self.vector(theta, "exp.a")[0]
            f = [f[r] + a * z.exp() for r, z in enumerate(self.exp_pre(theta, X))]
        return f

    def exp_pre(self, theta: list[arb], X: arb_mat) -> list[arb]:
        """exp.w · x_i + exp.b for every sample."""
        w, b = self.vector(theta, "exp.w"), self.vector(theta, "exp.b")[0]
        return [sum((X[r, k] * w[k] for k in range(self.d)), arb(0)) + b for r in range(X.nrows())]

    def empirical_loss(self, theta: list[arb], X: arb_mat, y: list[arb]) -> arb:
        """L(θ) enclosed (a ball per coordinate of θ gives the range over the box)."""
        name, p = self.loss
        total = sum((loss_value(name, p, yi * fi) for yi, fi in zip(y, self.outputs(theta, X))), arb(0))
        return total / len(y) + self.penalty_value(theta)

    def penalty_value(self, theta: list[arb]) -> arb:
        return sum((c * sqr(t) for c, t in zip(self.penalty, theta) if c != 0), arb(0)) if self.penalty else arb(0)


def _quadratic_penalty(setting: Setting, offsets: dict, size: int) -> list[arb] | None:
    """The coefficients c_k of R(θ) = Σ_k c_k θ_k² for l2, exp_neuron_l2 (w/2, exact) and generic_l2 (the float λ_k)."""
    if not setting.regularizers:
        return None
    from arena.landscape.regularizers import generic_coefficients

    c = [arb(0)] * size
    for reg in setting.regularizers:
        p = reg.params
        if reg.name == "l2":
            for name, (start, shape) in offsets.items():
                if p.get("include_bias", True) or not name.endswith(".bias"):
                    for k in range(start, start + math.prod(shape)):
                        c[k] += exact(float(p["weight"])) / 2
        elif reg.name == "exp_neuron_l2" and "exp.a" in offsets:
            c[offsets["exp.a"][0]] += exact(float(p["weight"])) / 2
        elif reg.name == "generic_l2":
            lam = generic_coefficients(setting.param_shapes, float(p["low"]), float(p["high"]), int(p["seed"]))
            for name, (start, _) in offsets.items():
                for j, v in enumerate(lam[name].flatten().tolist()):
                    c[start + j] += exact(v)
        else:
            raise NotCertified(f"the regularizer {reg.name!r} is not covered by the proofs (l2, generic_l2 and exp_neuron_l2 are)")
    return c


def exact_data(X, y) -> tuple[arb_mat, list[arb]]:
    """Float64 tensors X [n, d], y [n] as exact balls."""
    rows = X.detach().cpu().double().tolist()
    return arb_mat([[exact(v) for v in row] for row in rows]), [exact(v) for v in y.detach().cpu().double().tolist()]


def box(centre: list[float], radius: float) -> list[arb]:
    """The ℓ∞ box of half-width ``radius`` around the float centre (it contains the Euclidean ball)."""
    if not radius >= 0:
        raise NotCertified(f"radius must be >= 0, got {radius!r}")
    return [arb(float(c), float(radius)) if radius > 0 else exact(c) for c in centre]


def witness_loss(setting: Setting, X: Any, y: Any, point: Sequence[float]) -> arb:
    """The empirical loss at the witness ``point`` (flat parameters), as a ball: X [n, d], y [n]."""
    model = Model.of(setting)
    if len(point) != model.num_params:
        raise NotCertified(f"witness point has {len(point)} coordinates, the setting has {model.num_params}")
    Xa, ya = exact_data(X, y)
    return model.empirical_loss(box(list(point), 0.0), Xa, ya)
