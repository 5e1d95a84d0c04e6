"""Checkable assumptions of the defenders' guarantees (docs/catalogue.md §3, §4 "programmatic checks").

An :class:`Assumption` is a named predicate on (setting, dataset); ``assumption(setting, X, y)``
returns an :class:`AssumptionResult` ``(holds, evidence)`` whose evidence is JSON-ready numbers and
strings (``witness``, when there is one, holds tensors). Build them by name with
:func:`make_assumption`; the names are in :data:`ASSUMPTION_NAMES`.

Class properties of neurons and losses are read from the registered families (a finite grid cannot
prove a global property); a float64 autograd grid on [-30, 30] is reported beside them as a
cross-check. Data properties are decided by exact-enough computations: linear separability by an LP
whose separator is re-verified in float64, realizability by an explicit witness.

Data everywhere: ``X: [n, d]`` float, ``y: [n]`` in {-1, +1} (torch tensors or numpy arrays).
"""
from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Params, Setting

GRID = (-30.0, 30.0, 6001)  # neuron/loss cross-check grid: lo, hi, points (step 0.01)
_RESOLVABLE = 1.0  # |z| <= this: derivatives of every registered family are far from underflow


@dataclass(frozen=True)
class AssumptionResult:
    """``holds`` plus JSON-ready ``evidence``; ``witness`` is a parameter dict when one was found."""

    holds: bool
    evidence: dict[str, Any]
    witness: Params | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", bool(self.holds))
        object.__setattr__(self, "evidence", _plain(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "evidence": self.evidence}


def _plain(value: Any) -> Any:
    """numpy scalars/arrays inside evidence -> Python numbers and lists (JSON-ready)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


CheckFn = Callable[[Setting, Any, Any], AssumptionResult]


@dataclass(frozen=True)
class Assumption:
    """A named, checkable predicate; ``params`` are the check's keyword arguments."""

    name: str
    description: str
    check: CheckFn = field(compare=False, repr=False)
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, setting: Setting, X: Any, y: Any) -> AssumptionResult:
        return self.check(setting, X, y)

    @property
    def label(self) -> str:
        """``name`` or ``name(k=1)`` when parametrised."""
        if not self.params:
            return self.name
        return f"{self.name}({','.join(f'{k}={v}' for k, v in self.params.items())})"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Assumption":
        return make_assumption(d["name"], **dict(d.get("params") or {}))


# -- data ------------------------------------------------------------------------------------------
def as_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a dataset; returns (X [n, d] float64, y [n] float64 in {-1, +1}) as numpy arrays."""
    Xn = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    yn = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    if Xn.ndim != 2:
        raise ValueError(f"X must be [n, d], got shape {Xn.shape}")
    if yn.shape != (Xn.shape[0],):
        raise ValueError(f"y must be [n] with n = {Xn.shape[0]} (rows of X), got shape {yn.shape}")
    if Xn.shape[0] == 0:
        raise ValueError("dataset is empty")
    if not np.isfinite(Xn).all():
        raise ValueError("X has non-finite entries")
    if not np.isin(yn, (-1.0, 1.0)).all():
        raise ValueError(f"labels must be -1 or +1, got values {sorted(set(yn.tolist()))[:6]}")
    return Xn, yn


def _tensors(X: Any, y: Any, device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    Xn, yn = as_data(X, y)
    return torch.as_tensor(Xn, device=device), torch.as_tensor(yn, device=device)


# -- linear separability ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Separator:
    """Max-margin separator under the box max(|u_j|, |c|) <= 1 (``c`` = 0 through the origin).

    ``margin`` = min_i y_i (u·x_i + c) recomputed in float64 from (u, c): positive means a proof of
    separability. ``lp_margin`` is the solver's objective. ``duals``: [n] LP multipliers of the
    margin constraints, summing to 1; when the data are not separable their support is a set of
    samples whose labelled convex combinations cancel (a Farkas certificate).
    """

    u: np.ndarray
    c: float
    margin: float
    lp_margin: float
    duals: np.ndarray
    status: str


def max_margin_separator(X: Any, y: Any, *, bias: bool = True) -> Separator:
    """Solve max t s.t. y_i(u·x_i + c) >= t, -1 <= u_j, c <= 1 with HiGHS (tight tolerances)."""
    from scipy.optimize import linprog

    Xn, yn = as_data(X, y)
    n, d = Xn.shape
    # variables (u_1..u_d, c, t); the row reads -y_i(u·x_i + c) + t <= 0
    A = np.hstack([-yn[:, None] * Xn, -yn[:, None], np.ones((n, 1))])
    cost = np.zeros(d + 2)
    cost[-1] = -1.0
    bounds = [(-1.0, 1.0)] * d + [(-1.0, 1.0) if bias else (0.0, 0.0), (None, None)]
    res = linprog(cost, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")
    u, c, t = res.x[:d], float(res.x[d]), float(res.x[d + 1])
    margin = float(np.min(yn * (Xn @ u + c)))
    duals = -np.asarray(res.ineqlin.marginals, dtype=np.float64)
    total = duals.sum()
    duals = duals / total if total > 0 else duals
    return Separator(u=u, c=c, margin=margin, lp_margin=t, duals=duals, status=str(res.message))


def _rounding_tol(Xn: np.ndarray) -> float:
    # error of one float64 dot product with |u_j|, |c| <= 1
    return 16.0 * (Xn.shape[1] + 1) * np.finfo(np.float64).eps * (1.0 + float(np.abs(Xn).max()))


def linear_separability(X: Any, y: Any, *, bias: bool = True) -> AssumptionResult:
    """Strict linear separability (with bias, or through the origin); evidence has the separator."""
    Xn, yn = as_data(X, y)
    sep = max_margin_separator(Xn, yn, bias=bias)
    tol = _rounding_tol(Xn)
    holds = sep.margin > tol
    evidence: dict[str, Any] = {
        "margin": sep.margin, "lp_margin": sep.lp_margin, "u": sep.u.tolist(), "c": sep.c,
        "bias": bias, "normalisation": "max(|u_j|, |c|) <= 1", "rounding_tol": tol, "solver": sep.status,
    }
    if not holds:
        support = np.flatnonzero(sep.duals > 1e-9)
        combo = (sep.duals * yn) @ np.hstack([Xn, np.ones((len(yn), 1))] if bias else [Xn])
        evidence["obstruction"] = support[:50].tolist()
        evidence["obstruction_residual"] = float(np.abs(combo).max())
        evidence["reason"] = ("no hyperplane separates the labels"
                              + ("" if bias else " through the origin")
                              + f"; samples {support[:10].tolist()} form the obstruction")
    return AssumptionResult(holds, evidence)


def _check_separable(setting: Setting, X: Any, y: Any, *, bias: bool = True) -> AssumptionResult:
    return linear_separability(X, y, bias=bias)


# -- neurons ---------------------------------------------------------------------------------------
def neuron_grid(neuron: Any, lo: float = GRID[0], hi: float = GRID[1], num: int = GRID[2]) -> dict[str, Any]:
    """σ, σ', σ'' by float64 autograd on a grid: extremes over the finite points, the largest jump of σ'
    between neighbours, and how many points overflowed (reported, excluded)."""
    z = torch.linspace(lo, hi, num, dtype=torch.float64, requires_grad=True)
    s = neuron(z)
    (d1,) = torch.autograd.grad(s.sum(), z, create_graph=True)
    d2 = torch.autograd.grad(d1.sum(), z, allow_unused=True)[0] if d1.requires_grad else None
    d2 = torch.zeros_like(z) if d2 is None else d2
    z, s, d1, d2 = z.detach(), s.detach(), d1.detach(), d2.detach()
    ok = torch.isfinite(s) & torch.isfinite(d1) & torch.isfinite(d2)
    out: dict[str, Any] = {"grid": [lo, hi, num], "nonfinite_points": int((~ok).sum())}
    if not bool(ok.all()):
        out["first_nonfinite_z"] = float(z[~ok][0])  # overflow in the neuron's own formula
    z, d1, d2 = z[ok], d1[ok], d2[ok]
    centre = z.abs() <= _RESOLVABLE
    out.update({
        "min_d1": float(d1.min()), "max_d1": float(d1.max()), "min_d1_centre": float(d1[centre].min()),
        "min_d2": float(d2.min()), "max_d2": float(d2.max()), "min_d2_centre": float(d2[centre].min()),
        "max_d1_jump": float((d1[1:] - d1[:-1]).abs().max()),
    })
    return out


def _positive_on_grid(grid: Mapping[str, float], order: int) -> bool:
    # exact zeros far out are float64 underflow (e.g. softplus'' at z = 30 with a large beta),
    # so only negative values, or zeros near the origin, contradict a positive derivative
    return grid[f"min_d{order}"] >= 0 and grid[f"min_d{order}_centre"] > 0


def _neuron_or_reason(setting: Setting) -> tuple[Any, str]:
    if not setting.builtin:
        return None, f"custom network {setting.network.get('_target_')!r}: its neuron is not known to the arena"
    return setting.neuron, ""


def _check_neuron(setting: Setting, X: Any, y: Any, *, prop: str) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return AssumptionResult(False, {"reason": why})
    declared = bool(getattr(neuron, prop))
    grid = neuron_grid(neuron)
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "declared": declared, **grid}
    if prop in ("increasing", "strictly_convex"):
        order = 1 if prop == "increasing" else 2
        evidence["grid_consistent"] = _positive_on_grid(grid, order) == declared
        if not evidence["grid_consistent"]:
            evidence["warning"] = f"σ^({order}) on the grid disagrees with the declared property"
    if grid["nonfinite_points"]:
        evidence["warning"] = (evidence.get("warning", "") + f" {neuron.name} overflows to inf/nan from "
                               f"z = {grid['first_nonfinite_z']:g} on").strip()
    if not declared:
        evidence["reason"] = f"neuron {neuron.name} is not {prop.replace('_', ' ')}"
    return AssumptionResult(declared, evidence)


def _check_neuron_smooth(setting: Setting, X: Any, y: Any, *, k: int = 1) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return AssumptionResult(False, {"reason": why})
    holds = neuron.smoothness >= k
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "smoothness": neuron.smoothness,
                                "kinks": list(neuron.kinks), **neuron_grid(neuron)}
    if not holds:
        evidence["reason"] = f"neuron {neuron.name} is C^{neuron.smoothness}, not C^{k}"
    return AssumptionResult(holds, evidence)


# -- losses ----------------------------------------------------------------------------------------
def loss_grid(loss: Any, lo: float = GRID[0], hi: float = GRID[1], num: int = GRID[2]) -> dict[str, Any]:
    """ℓ'(m) by float64 autograd on a margin grid: its extremes and where it becomes identically 0."""
    m = torch.linspace(lo, hi, num, dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(loss(m).sum(), m)
    zero = (d1 == 0).flip(0).to(torch.int64).cumprod(0).flip(0).bool()  # ℓ' = 0 from here on
    m = m.detach()
    zero_from = float(m[zero][0]) if bool(zero.any()) else None
    return {"grid": [lo, hi, num], "max_d1": float(d1.max()), "min_d1": float(d1.min()),
            "zero_from": zero_from, "value_at_hi": float(loss(m[-1:].detach())[0])}


def _check_loss(setting: Setting, X: Any, y: Any, *, prop: str) -> AssumptionResult:
    loss = setting.loss_fn
    declared = bool(getattr(loss, prop))
    grid = loss_grid(loss)
    evidence: dict[str, Any] = {"loss": loss.spec(), "declared": declared, **grid}
    if prop == "monotone":
        evidence["grid_consistent"] = not declared or grid["max_d1"] <= 0
    if prop == "hinge_type":
        flat_from = grid["zero_from"]
        evidence["grid_consistent"] = not declared or (
            grid["max_d1"] <= 0 and flat_from is not None and flat_from > 0)
    if not declared:
        what = {"monotone": "non-increasing in the margin", "hinge_type": "of hinge type "
                "(ℓ' < 0 up to a margin m0 > 0, then ℓ' = 0)", "attains_minimum": "minimum-attaining"}[prop]
        evidence["reason"] = f"loss {loss.name} is not {what}"
    return AssumptionResult(declared, evidence)


def _check_loss_smooth(setting: Setting, X: Any, y: Any, *, k: int = 1) -> AssumptionResult:
    loss = setting.loss_fn
    holds = loss.smoothness >= k
    evidence = {"loss": loss.spec(), "smoothness": loss.smoothness}
    if not holds:
        evidence["reason"] = f"loss {loss.name} is C^{loss.smoothness}, not C^{k}"
    return AssumptionResult(holds, evidence)


# -- architecture ----------------------------------------------------------------------------------
def _check_structure(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    if not setting.builtin:
        return AssumptionResult(False, {"reason": f"custom network {setting.network.get('_target_')!r}: "
                                                  "structure unknown"})
    m = setting.mlp
    evidence: dict[str, Any] = {"hidden": list(m.hidden), "bias": m.bias, "skip": m.skip}
    if not m.bias:
        evidence["note"] = "no biases: the matching data assumption is separability through the origin"
    if len(m.hidden) == 1:
        evidence["structure"] = "single_hidden_layer"
        return AssumptionResult(True, evidence)
    if m.skip:
        # f = (anything) + s·x (+ b_out): stationarity in (s, b_out) is the P1 argument with σ = id
        evidence["structure"] = "linear_shortcut"
        return AssumptionResult(True, evidence)
    evidence["reason"] = f"needs one hidden layer or a linear skip; got hidden={list(m.hidden)}, skip=false"
    return AssumptionResult(False, evidence)


def _check_has_exp_neuron(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    if not setting.builtin:
        return AssumptionResult(False, {"reason": "custom network: no built-in exponential neuron"})
    holds = setting.mlp.exp_neuron
    evidence: dict[str, Any] = {"exp_neuron": holds, "form": "f(x) + exp.a * exp(exp.w · x + exp.b), x raw input"}
    if not holds:
        evidence["reason"] = "network has no exponential skip neuron (exp_neuron: false)"
    return AssumptionResult(holds, evidence)


def regularizer_specs(spec: Any) -> list[Any]:
    """A setting's ``regularizer`` entry as a list of specs (None -> [])."""
    if spec is None:
        return []
    if isinstance(spec, (str, Mapping)):
        return [spec]
    return list(spec)


def _check_exp_regularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    lam = sum(r.params["weight"] for r in setting.regularizers if r.name == "exp_neuron_l2")
    # other regularizers penalise exp.w/exp.b too, which breaks step 1 of P2 (∂L/∂b = a·S)
    others = [r.spec() for r in setting.regularizers if r.name != "exp_neuron_l2"]
    evidence: dict[str, Any] = {"lambda": lam, "other_regularizers": others}
    reasons = []
    if not lam > 0:
        reasons.append("no exp_neuron_l2 regularizer with weight λ > 0 on exp.a")
    if others:
        reasons.append(f"regularizers {[o['name'] for o in others]} also penalise exp.w and exp.b")
    if not (setting.builtin and setting.mlp.exp_neuron):
        reasons.append("network has no exponential neuron")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence)


# -- data: distinct inputs -------------------------------------------------------------------------
def _check_distinct(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, yn = as_data(X, y)
    _, inverse, counts = np.unique(Xn, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    groups = [np.flatnonzero(inverse == g).tolist() for g in np.flatnonzero(counts > 1)]
    conflicting = [g for g in groups if len(set(yn[g].tolist())) > 1]
    evidence: dict[str, Any] = {"n": len(yn), "n_distinct": int(len(counts)), "duplicate_groups": groups[:20],
                                "conflicting_groups": conflicting[:20]}
    if groups:
        evidence["reason"] = f"{len(yn) - len(counts)} repeated inputs, e.g. samples {groups[0]}"
    return AssumptionResult(not groups, evidence)


# -- data: realizability ---------------------------------------------------------------------------
def strip_exp_neuron(setting: Setting) -> Setting:
    """The base network of an exponential-neuron setting: no exp neuron, no exp_neuron_l2 term."""
    if not (setting.builtin and setting.mlp.exp_neuron):
        return setting
    regs = [r for r in regularizer_specs(setting.regularizer)
            if (r if isinstance(r, str) else r.get("name")) != "exp_neuron_l2"]
    return setting.replace(exp_neuron=False, regularizer=regs or None)


def output_linear_names(setting: Setting) -> list[str]:
    """Parameters in which the built-in f is linear (scaling them all by s scales f by s)."""
    m = setting.mlp
    last = len(m.hidden)
    names = [f"layers.{last}.weight"] + ([f"layers.{last}.bias"] if m.bias else [])
    return names + (["skip.weight"] if m.skip else []) + (["exp.a"] if m.exp_neuron else [])


def scale_to_margin(setting: Setting, params: Params, X: torch.Tensor, y: torch.Tensor,
                    target: float = 2.0) -> Params | None:
    """Rescale the output-linear parameters of an error-free point so min margin = ``target``.

    Returns None if the setting is custom or some margin is <= 0. Params unbatched.
    """
    if not setting.builtin:
        return None
    margin = float(setting.margins(params, X, y).min())
    if not margin > 0:
        return None
    out = {k: v.clone() for k, v in params.items()}
    for name in output_linear_names(setting):
        out[name] = out[name] * (target / margin)
    return out


def affine_witness(setting: Setting, X: Any, y: Any, *, target: float = 2.0) -> Params | None:
    """A zero-training-error point of a built-in setting on linearly separable data, or None.

    The LP separator s(x) = u·x + c is fed through one chain of units kept in [1, 2], where every
    registered neuron is increasing, so the output is an increasing function g of s; subtracting
    g at a point with s = 0 and scaling gives margins >= ``target``. Other units get zero weights.
    """
    if not setting.builtin:
        return None
    m = setting.mlp
    Xt, yt = _tensors(X, y)
    needs_origin = not m.bias
    sep = max_margin_separator(Xt, yt, bias=not needs_origin)
    if not sep.margin > _rounding_tol(Xt.numpy()):
        return None
    params = {k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}
    u = torch.as_tensor(sep.u)
    last = len(m.hidden)
    if not m.hidden or m.skip:
        if m.skip:
            params["skip.weight"][0] = u
        else:
            params["layers.0.weight"][0] = u
        if m.bias:
            params[f"layers.{last}.bias"][0] = sep.c
        return scale_to_margin(setting, params, Xt, yt, target)
    if needs_origin:
        return None
    if float(u.abs().max()) == 0:  # one label only: a constant does it
        params[f"layers.{last}.bias"][0] = sep.c
        return scale_to_margin(setting, params, Xt, yt, target)
    s = Xt @ u + sep.c
    lo, hi = min(float(s.min()), 0.0), max(float(s.max()), 0.0)
    params["layers.0.weight"][0] = u / (hi - lo)
    params["layers.0.bias"][0] = 1.0 + (sep.c - lo) / (hi - lo)
    two = setting.neuron(torch.tensor([1.0, 2.0], dtype=torch.float64))
    if not float(two[1] - two[0]) > 0:
        return None
    alpha = 1.0 / float(two[1] - two[0])
    for i in range(1, last):
        params[f"layers.{i}.weight"][0, 0] = alpha
        params[f"layers.{i}.bias"][0] = 1.0 - alpha * float(two[0])
    params[f"layers.{last}.weight"][0, 0] = 1.0
    x_star = (-sep.c / float(u @ u)) * u  # s(x_star) = 0
    g_star = float(setting.output(params, x_star[None, :])[0])
    params[f"layers.{last}.bias"][0] = -g_star
    return scale_to_margin(setting, params, Xt, yt, target)


def search_witness(setting: Setting, X: Any, y: Any, *, restarts: int = 8, steps: int = 1500, lr: float = 0.05,
                   seed: int = 0, device: str | torch.device = "cpu") -> tuple[Params, float, float]:
    """Adam on the data loss from ``restarts`` random inits at once (one batched population).

    Returns the best point (fewest errors, then lowest loss) unbatched on CPU, its training error
    and data loss. Stops early once some restart has zero error and the loss at its minimum.
    """
    Xt, yt = _tensors(X, y, device)
    gen = torch.Generator().manual_seed(int(seed))
    leaves = {k: v.requires_grad_(True) for k, v in
              setting.init_params(restarts, generator=gen, dtype=torch.float64, device=device).items()}
    opt = torch.optim.Adam(list(leaves.values()), lr=lr)
    # hinge-type losses reach their minimum at finite margins; other losses only need zero error
    floor = setting.loss_fn.minimum if setting.loss_fn.hinge_type else math.inf
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = setting.data_loss(leaves, Xt, yt)
        loss.sum().backward()
        if step % 50 == 0:
            with torch.no_grad():
                done = (setting.train_error(leaves, Xt, yt) == 0) & (loss <= floor)
            if bool(done.any()):
                break
        opt.step()
    with torch.no_grad():
        err = setting.train_error(leaves, Xt, yt)
        loss = setting.data_loss(leaves, Xt, yt)
        best = int(np.lexsort((loss.cpu().numpy(), err.cpu().numpy()))[0])
        params = {k: v[best].detach().cpu().clone() for k, v in leaves.items()}
    return params, float(err[best]), float(loss[best])


def _check_realizable(setting: Setting, X: Any, y: Any, *, base_network: bool = False, restarts: int = 8,
                      steps: int = 1500, lr: float = 0.05, seed: int = 0, device: str = "cpu") -> AssumptionResult:
    Xn, yn = as_data(X, y)
    net = strip_exp_neuron(setting) if base_network else setting
    loss = net.loss_fn
    zero_loss = loss.hinge_type  # such losses reach their minimum at finite margins
    evidence: dict[str, Any] = {"network": net.describe(),
                                "criterion": "zero training error" + (" and zero data loss" if zero_loss else "")}
    distinct = _check_distinct(net, Xn, yn).evidence
    if distinct["conflicting_groups"]:
        g = distinct["conflicting_groups"][0]
        evidence.update(method="conflicting_duplicates", proof=True,
                        reason=f"samples {g} share one input but carry both labels: no function fits them")
        return AssumptionResult(False, evidence)
    Xt, yt = torch.as_tensor(Xn), torch.as_tensor(yn)

    def accept(params: Params | None, method: str) -> AssumptionResult | None:
        if params is None:
            return None
        err = float(net.train_error(params, Xt, yt))
        val = float(net.data_loss(params, Xt, yt))
        if err == 0 and (not zero_loss or val <= loss.minimum):
            evidence.update(method=method, proof=True, train_error=err, data_loss=val,
                            min_margin=float(net.margins(params, Xt, yt).min()))
            return AssumptionResult(True, evidence, witness=params)
        return None

    found = accept(affine_witness(net, Xn, yn), "closed_form_separator")
    if found is not None:
        return found
    params, err, val = search_witness(net, Xn, yn, restarts=restarts, steps=steps, lr=lr, seed=seed, device=device)
    found = accept(params, "search") or accept(
        scale_to_margin(net, params, Xt, yt) if err == 0 else None, "search_rescaled")
    if found is not None:
        return found
    evidence.update(method="search", proof=False, train_error=err, data_loss=val, restarts=restarts, steps=steps,
                    reason=f"no witness found: best of {restarts} restarts x {steps} Adam steps has "
                           f"training error {err:.4g}, data loss {val:.4g} (not a proof)")
    return AssumptionResult(False, evidence)


# -- checks of the catalogue defenders (D1 shortcut, D3, D4, D5, D7, A14) ---------------------------
def _builtin_or_reason(setting: Setting) -> str:
    return "" if setting.builtin else (f"custom network {setting.network.get('_target_')!r}: "
                                       "its structure is opaque to the arena")


def _check_has_shortcut(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    why = _builtin_or_reason(setting)
    if why:
        return AssumptionResult(False, {"reason": why})
    m = setting.mlp
    # f = g(x) + s·x + b_out: the linear skip is P1's block with σ = id (σ' = 1 > 0); the output bias
    # plays a_0, so without biases the matching data assumption is separability through the origin
    evidence: dict[str, Any] = {"skip": m.skip, "bias": m.bias, "hidden": list(m.hidden),
                                "block": "skip.weight · x" + (" + output bias" if m.bias else "")}
    if not m.skip:
        evidence["reason"] = "network has no linear shortcut (skip: false)"
    return AssumptionResult(m.skip, evidence)


def _check_last_width(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, _ = as_data(X, y)
    n = Xn.shape[0]
    why = _builtin_or_reason(setting)
    if why:
        return AssumptionResult(False, {"n": n, "reason": why})
    hidden = list(setting.mlp.hidden)
    width = hidden[-1] if hidden else 0
    evidence: dict[str, Any] = {"n": n, "hidden": hidden, "last_hidden_width": width}
    if not hidden:
        evidence["reason"] = "network has no hidden layer"
    elif width < n:
        evidence["reason"] = f"last hidden layer has {width} units < n = {n} samples"
    return AssumptionResult(bool(hidden) and width >= n, evidence)


def _check_loss_convex(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    loss = setting.loss_fn
    lo, hi, num = GRID
    m = torch.linspace(lo, hi, num, dtype=torch.float64)
    v = loss(m)
    ok = torch.isfinite(v)
    # second differences of a convex function are >= 0; the tolerance absorbs float64 rounding of ℓ
    d2 = (v[2:] - 2 * v[1:-1] + v[:-2])[ok[2:] & ok[1:-1] & ok[:-2]]
    tol = 64 * np.finfo(np.float64).eps * float(v[ok].abs().max())
    min_d2 = float(d2.min())
    evidence: dict[str, Any] = {"loss": loss.spec(), "declared": loss.convex, "grid": list(GRID),
                                "min_second_difference": min_d2, "tolerance": tol,
                                "grid_consistent": not loss.convex or min_d2 >= -tol}
    if not loss.convex:
        evidence["reason"] = f"loss {loss.name} is not convex in the margin"
    elif not evidence["grid_consistent"]:
        evidence["warning"] = "a negative second difference on the grid contradicts the declared convexity"
    return AssumptionResult(loss.convex, evidence)


def _check_neuron_continuous(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return AssumptionResult(False, {"reason": why})
    lo, hi, num = GRID
    s = neuron(torch.linspace(lo, hi, num, dtype=torch.float64))
    finite = s[torch.isfinite(s)]
    # every registered family is at least C^0 (smoothness >= 0); the largest step between grid
    # neighbours (spacing 0.01) is reported as a cross-check against a hidden jump
    holds = neuron.smoothness >= 0
    evidence = {"neuron": neuron.spec(), "smoothness": neuron.smoothness, "grid": list(GRID),
                "max_step_between_neighbours": float((finite[1:] - finite[:-1]).abs().max())}
    if not holds:
        evidence["reason"] = f"neuron {neuron.name} is not continuous"
    return AssumptionResult(holds, evidence)


def _check_neuron_linear(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    neuron, why = _neuron_or_reason(setting)
    if neuron is None:
        return AssumptionResult(False, {"reason": why})
    m = setting.mlp
    z = torch.linspace(GRID[0], GRID[1], GRID[2], dtype=torch.float64)
    evidence: dict[str, Any] = {"neuron": neuron.spec(), "exp_neuron": m.exp_neuron,
                                "max_deviation_from_identity": float((neuron(z) - z).abs().max()),
                                "note": "biases and a linear skip keep f affine in x (a deep linear network)"}
    reasons = []
    if neuron.name != "linear":
        reasons.append(f"hidden neuron is {neuron.name}, not linear")
    if m.exp_neuron:
        reasons.append(f"the special skip unit ({_spec_name(m.special_neuron)}) is not linear")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence)


def _spec_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else str(spec.get("name"))


def _check_distinct_coordinate(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    Xn, yn = as_data(X, y)
    n = len(yn)
    distinct = [int(len(np.unique(Xn[:, k]))) for k in range(Xn.shape[1])]
    good = [k for k, c in enumerate(distinct) if c == n]
    evidence: dict[str, Any] = {"n": n, "distinct_values_per_coordinate": distinct[:50],
                                "coordinate": good[0] if good else None}
    if not good:
        evidence["reason"] = f"every coordinate repeats a value (most distinct: {max(distinct)} of {n})"
    return AssumptionResult(bool(good), evidence)


def _unit_penalties(setting: Setting, limit: int = 2048) -> tuple[torch.Tensor, list[int]]:
    """R(e_k) for unit vectors e_k on (at most ``limit``, evenly spread) coordinates: ([K], indices)."""
    p = setting.num_params
    idx = np.unique(np.linspace(0, p - 1, min(p, limit)).round().astype(int)).tolist()
    flat = torch.zeros(len(idx), p, dtype=torch.float64)
    flat[torch.arange(len(idx)), torch.as_tensor(idx)] = 1.0
    return setting.penalty(setting.unflatten(flat)).detach(), idx


def _param_name_of(setting: Setting, k: int) -> str:
    i = 0
    for name, shape in setting.param_shapes.items():
        i += math.prod(shape)
        if k < i:
            return name
    return "?"


def _check_regularizer_coercive(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    regs = [{"spec": r.spec(), "coercive": r.coercive} for r in setting.regularizers]
    evidence: dict[str, Any] = {"regularizers": regs, "num_params": setting.num_params}
    if not regs:
        evidence["reason"] = "no regularizer"
        return AssumptionResult(False, evidence)
    # every registered regularizer is a diagonal quadratic Σ_k c_k θ_k², coercive iff every c_k > 0,
    # and c_k = R(e_k): one batched evaluation on the unit vectors decides it
    pen, idx = _unit_penalties(setting)
    zero = [idx[j] for j in torch.nonzero(pen <= 0).flatten().tolist()]
    evidence.update(coordinates_checked=len(idx), min_unit_penalty=float(pen.min()),
                    unpenalised=sorted({_param_name_of(setting, k) for k in zero}))
    if zero:
        evidence["reason"] = (f"{len(zero)} of {len(idx)} checked coordinates carry no penalty, in "
                              f"{evidence['unpenalised'][:8]}: sublevel sets are unbounded along them")
    return AssumptionResult(not zero, evidence)


def _check_special_exponential(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    why = _builtin_or_reason(setting)
    if why:
        return AssumptionResult(False, {"reason": why})
    m = setting.mlp
    special = make_neuron_spec(m.special_neuron)
    evidence: dict[str, Any] = {"exp_neuron": m.exp_neuron, "special_neuron": special}
    reasons = []
    if not m.exp_neuron:
        reasons.append("network has no special skip neuron (exp_neuron: false)")
    if not m.special_is_exponential:
        # P2 step 2 needs exponentials with distinct exponents to be linearly independent
        reasons.append(f"special neuron is {special['name']}, not exponential")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence)


def make_neuron_spec(spec: Any) -> dict[str, Any]:
    """A neuron spec with its defaults filled in, e.g. ``"softplus"`` -> ``{"name": "softplus", "beta": 1.0}``."""
    return make_neuron(spec).spec()


def _check_mult_regularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    lam = sum(r.params["weight"] for r in setting.regularizers if r.name == "multiplicative_exp_l2")
    present = setting.builtin and setting.mlp.multiplicative_exp
    evidence: dict[str, Any] = {"multiplicative_exp": bool(present), "lambda": lam,
                                "form": "L·(1 + (a·e^b − 1)²) + λa²"}
    reasons = []
    if not present:
        reasons.append("network has no multiplicative pair mult.a, mult.b (multiplicative_exp: false)")
    if not lam > 0:
        reasons.append("no multiplicative_exp_l2 regularizer with weight λ > 0 on mult.a")
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence)


def _check_objective_min_zero(setting: Setting, X: Any, y: Any, *, restarts: int = 8, steps: int = 1500,
                              seed: int = 0) -> AssumptionResult:
    """min_θ [data loss + regularizers inside D3's product] = 0, shown by a witness."""
    loss = setting.loss_fn
    inner = [r for r in setting.regularizers if r.name != "multiplicative_exp_l2"]
    evidence: dict[str, Any] = {"loss": loss.spec(), "loss_minimum": loss.minimum,
                                "inner_regularizers": [r.spec() for r in inner]}
    if not (loss.attains_minimum and loss.minimum == 0):
        evidence.update(proof=True, reason=f"loss {loss.name} never reaches 0 at a finite margin")
        return AssumptionResult(False, evidence)
    real = _check_realizable(setting, X, y, restarts=restarts, steps=steps, seed=seed)
    evidence["realizable"] = real.evidence
    if not real.holds or real.witness is None:
        evidence.update(proof=bool(real.evidence.get("proof")),
                        reason="no parameters with zero training loss: " + str(real.evidence.get("reason")))
        return AssumptionResult(False, evidence)
    Xt, yt = _tensors(X, y)
    data = float(setting.data_loss(real.witness, Xt, yt))
    penalty = float(sum(r(real.witness, setting.param_shapes) for r in inner)) if inner else 0.0
    evidence.update(data_loss=data, inner_penalty=penalty)
    if data == 0 and penalty == 0:
        evidence["proof"] = True
        return AssumptionResult(True, evidence, witness=real.witness)
    # a coercive inner penalty vanishes only at θ = 0, where f = 0 and ℓ(0) > 0: a proof of failure
    evidence.update(proof=any(r.coercive for r in inner),
                    reason=f"the witness has data loss {data:.3g} and inner penalty {penalty:.3g} > 0"
                           + ("; a coercive penalty is 0 only at θ = 0, where the data loss is ℓ(0) > 0"
                              if any(r.coercive for r in inner) else ""))
    return AssumptionResult(False, evidence)


def _check_unregularized(setting: Setting, X: Any, y: Any) -> AssumptionResult:
    regs = [r.spec() for r in setting.regularizers]
    mult = setting.builtin and setting.mlp.multiplicative_exp
    evidence: dict[str, Any] = {"regularizers": regs, "multiplicative_exp": bool(mult)}
    reasons = ([f"regularizers {[r['name'] for r in regs]} change the objective"] if regs else []) + \
              (["the multiplicative pair changes the objective"] if mult else [])
    if reasons:
        evidence["reason"] = "; ".join(reasons)
    return AssumptionResult(not reasons, evidence)


# -- registry --------------------------------------------------------------------------------------
_REGISTRY: dict[str, tuple[Callable[..., AssumptionResult], str]] = {
    "data_linearly_separable": (functools.partial(_check_separable, bias=True),
                                "some hyperplane with bias separates the labels strictly: y_i(u·x_i + c) > 0"),
    "data_linearly_separable_through_origin": (functools.partial(_check_separable, bias=False),
                                               "some hyperplane through the origin separates the labels strictly"),
    "neuron_increasing": (functools.partial(_check_neuron, prop="increasing"), "σ'(z) > 0 for all z"),
    "neuron_strictly_convex": (functools.partial(_check_neuron, prop="strictly_convex"), "σ is strictly convex"),
    "neuron_analytic": (functools.partial(_check_neuron, prop="analytic"), "σ is real-analytic"),
    "neuron_smooth": (_check_neuron_smooth, "σ is C^{k}"),
    "loss_hinge_type": (functools.partial(_check_loss, prop="hinge_type"),
                        "ℓ' < 0 below some margin m0 > 0 and ℓ' = 0 from m0 on (attains its minimum)"),
    "loss_non_increasing": (functools.partial(_check_loss, prop="monotone"), "ℓ is non-increasing in the margin"),
    "loss_attains_minimum": (functools.partial(_check_loss, prop="attains_minimum"),
                             "ℓ attains its infimum at a finite margin"),
    "loss_smooth": (_check_loss_smooth, "ℓ is C^{k}"),
    "single_hidden_layer_or_shortcut": (_check_structure,
                                        "one hidden layer, or any network plus a linear skip (a shortcut "
                                        "block)"),
    "inputs_distinct": (_check_distinct, "the inputs x_1..x_n are pairwise distinct"),
    "realizable": (_check_realizable, "some parameters of the network reach zero training error (and zero "
                                      "loss for hinge-type losses){base}"),
    "has_exp_neuron": (_check_has_exp_neuron,
                       "an exponential neuron a·exp(w·x + b) on the raw input is added to the output"),
    "exp_neuron_regularized": (_check_exp_regularized,
                               "(λ/2)a² with λ > 0 on the exponential neuron's output weight, and no other "
                               "penalty on its w, b"),
    "has_linear_shortcut": (_check_has_shortcut,
                            "a linear skip s·x is added to the output (P1's shortcut block with σ = id)"),
    "last_hidden_width_at_least_n": (_check_last_width, "the last hidden layer has at least n units"),
    "loss_convex": (_check_loss_convex, "ℓ is convex (hence continuous) in the margin"),
    "neuron_continuous": (_check_neuron_continuous, "σ is continuous"),
    "neuron_linear": (_check_neuron_linear, "every unit is linear: σ(z) = z and no nonlinear special unit"),
    "inputs_distinct_in_one_coordinate": (_check_distinct_coordinate,
                                          "some coordinate k has x_1k..x_nk pairwise distinct"),
    "regularizer_coercive": (_check_regularizer_coercive,
                             "every parameter carries a positive quadratic penalty (R is coercive)"),
    "special_neuron_exponential": (_check_special_exponential,
                                   "the special skip neuron is present and exponential"),
    "multiplicative_exp_regularized": (_check_mult_regularized,
                                       "the pair (a, b) of L·(1 + (a·e^b − 1)²) + λa² is present, λ > 0"),
    "objective_min_zero": (_check_objective_min_zero,
                           "ℓ ≥ 0 and min over θ of data loss + inner regularizers is 0 (a witness)"),
    "unregularized": (_check_unregularized, "the objective is the plain mean margin loss"),
}
ASSUMPTION_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def make_assumption(name: str, **params: Any) -> Assumption:
    """An assumption by name, its check's keyword arguments bound (e.g. ``loss_smooth``, ``k=1``)."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown assumption {name!r}; known: {', '.join(ASSUMPTION_NAMES)}")
    fn, template = _REGISTRY[name]
    try:
        check = functools.partial(fn, **params)
        description = template.format(k=params.get("k", 1),
                                      base=" (base network, without the exponential neuron)"
                                      if params.get("base_network") else "")
        inspect.signature(fn).bind(None, None, None, **params)
    except TypeError as exc:
        raise ValueError(f"assumption {name!r}: bad parameters {params}: {exc}") from exc
    return Assumption(name=name, description=description, check=check, params=dict(params))


def check_all(assumptions: Sequence[Assumption], setting: Setting, X: Any, y: Any) -> dict[str, AssumptionResult]:
    """Run every check; keys are the assumptions' labels."""
    return {a.label: a(setting, X, y) for a in assumptions}
