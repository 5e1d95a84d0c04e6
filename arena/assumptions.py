"""Checkable assumptions of the defenders' guarantees (theory.md §3, §4 "programmatic checks").

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

from arena.setting import Params, Setting

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
