"""Population engine: train K parameter sets of one setting on one dataset at once (docs/design.md).

A population is the setting's parameter dict with a leading batch axis ``K`` (``[K, *shape]``), or
its flat form ``[K, P]`` (``setting.flatten``). The K networks are independent, so the gradient of
Σ_k L(θ_k) with respect to the stacked parameters holds every network's own gradient in its row: one
forward and one backward pass train the whole population, and elementwise optimizers (Adam, SGD)
applied to the stacked tensor do exactly what K separate runs would do.

Public API:

* :func:`resolve_device` — ``"auto" | "cpu" | "cuda" | "cuda:i"`` -> ``torch.device``;
* :class:`PopulationLoss` — L(θ_k) for every member, ``[K, P] -> [K]``, differentiable;
* :func:`train_population` — Adam or SGD for a fixed number of steps;
* :func:`polish_lbfgs` — batched L-BFGS in float64, optionally kept inside a ball around the start;
* :class:`PopulationResult` — what both return.

Speed: for the built-in MLP the loss goes through :class:`_FusedMLP`, a hand-written forward and
backward laid out as ``[K, width, n]`` (batch first, samples last), so the first layer is one GEMM
over all K networks, the ReLU derivative is applied in place and no bool masks touch the big
tensors (bool kernels are slow on CPU). It matches ``setting.empirical_loss`` to rounding (tests
check it); ``fused=False`` uses the setting's own autograd path instead, and custom ``_target_``
networks always do.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch

from arena.engine import limits as _limits
from arena.landscape.setting import Params, Setting

ProgressFn = Callable[[int, torch.Tensor], None]


# -- devices ------------------------------------------------------------------------------------
def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/``None`` -> cuda if available else cpu; ``"cpu"``, ``"cuda"``, ``"cuda:i"`` as named.

    Raises ValueError for an unknown name and for a cuda device that is absent, so a typo or a
    missing GPU fails at the call rather than deep inside a training step.
    """
    if name is None or (isinstance(name, str) and name.strip().lower() == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name.strip().lower() if isinstance(name, str) else name)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:<index>'") from exc
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:<index>'")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but CUDA is not available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# -- the batched loss ---------------------------------------------------------------------------
class PopulationLoss:
    """L(θ_k) = (1/n) Σ_i ℓ(y_i f(x_i; θ_k)) + R(θ_k) for a population of flat parameter vectors.

    X: [n, d], y: [n] in {-1, +1}; both are kept in the dtype/device given (cast them first).
    Calling it maps flat [K, P] -> [K]; the result is differentiable with respect to ``flat``
    (first order only on the fused path: it is for training, not for Hessians). The fused path
    reuses its buffers, so backpropagate a call's loss before the next call (a stale backward
    raises an error rather than returning a wrong gradient); for Hessians or ``torch.func``
    transforms use ``fused=False`` or ``setting.empirical_loss`` directly.
    """

    def __init__(self, setting: Setting, X: torch.Tensor, y: torch.Tensor, *, fused: bool = True) -> None:
        if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(f"expected X [n, d] and y [n], got {tuple(X.shape)} and {tuple(y.shape)}")
        self.setting = setting
        self.X = X
        self.y = y.to(X.dtype)
        # the fused kernel knows the exponential skip unit only; other special neurons take autograd
        self.fused = bool(fused and setting.builtin and (not setting.mlp.exp_neuron or setting.mlp.special_is_exponential))
        if self.fused:
            self._plan = _MLPPlan.from_setting(setting)
            self._Xt = X.t().contiguous()
            self._workspace = _Workspace()

    def __call__(self, flat: torch.Tensor) -> torch.Tensor:
        """flat: [K, P] -> loss [K]."""
        if flat.dim() != 2:
            raise ValueError(f"expected flat parameters [K, P], got shape {tuple(flat.shape)}")
        if self.fused:
            out = _FusedMLP.apply(self._plan, self._workspace, flat, self.X, self._Xt)
            data = self.setting.loss_fn(self.y * out).mean(-1)
        else:
            data = self.setting.data_loss(self.setting.unflatten(flat), self.X, self.y)
        if not self.setting.regularizers and not (self.setting.builtin and self.setting.mlp.multiplicative_exp):
            return data
        return self.setting.combine(data, self.setting.unflatten(flat))

    def value(self, flat: torch.Tensor) -> torch.Tensor:
        """Loss [K] without a graph."""
        with torch.no_grad():
            return self(flat)

    def value_and_grad(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss [K], gradient [K, P]), both detached; ``flat`` itself is not modified."""
        with torch.enable_grad():
            leaf = flat.detach().requires_grad_(True)
            loss = self(leaf)
            (grad,) = torch.autograd.grad(loss.sum(), leaf)
        return loss.detach(), grad


@dataclass(frozen=True)
class _MLPPlan:
    """Static layout of the built-in MLP inside a flat [K, P] vector (offsets in param_shapes order)."""

    widths: tuple[int, ...]  # (d, h_0, ..., 1)
    bias: bool
    relu: bool
    neuron: Callable[[torch.Tensor], torch.Tensor]
    slices: dict[str, tuple[int, int]]  # name -> (start, stop) in the flat vector
    skip: bool
    exp_neuron: bool

    @classmethod
    def from_setting(cls, setting: Setting) -> "_MLPPlan":
        cfg = setting.mlp
        slices, i = {}, 0
        for name, shape in setting.param_shapes.items():
            size = math.prod(shape)
            slices[name] = (i, i + size)
            i += size
        return cls((cfg.input_dim, *cfg.hidden, 1), cfg.bias, setting.neuron.name == "relu", setting.neuron,
                   slices, cfg.skip, cfg.exp_neuron)

    def take(self, flat: torch.Tensor, name: str, *shape: int) -> torch.Tensor:
        a, b = self.slices[name]
        return flat[:, a:b].reshape(flat.shape[0], *shape)


class _Workspace:
    """Big per-step buffers ([K, h, n]) kept between steps.

    Fresh multi-megabyte allocations cost page faults on every step on CPU (glibc hands them back
    to the OS when freed), which took more time than the arithmetic; reusing buffers avoids that.
    A buffer saved for backward is overwritten by the next forward, and autograd's version check
    then refuses a stale backward instead of returning a wrong gradient.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != like.dtype or buf.device != like.device:
            buf = like.new_empty(shape)
            self._buffers[name] = buf
        return buf


class _FusedMLP(torch.autograd.Function):
    """f(X; θ_k) for every member: (plan, workspace, flat [K, P], X [n, d], Xt [d, n]) -> [K, n].

    Hidden activations live as [K, h, n]. The backward writes the gradient of every parameter
    straight into one [K, P] tensor, so autograd never scatters per-parameter slices.
    """

    @staticmethod
    def forward(ctx: Any, plan: _MLPPlan, ws: _Workspace, flat: torch.Tensor, X: torch.Tensor,
                Xt: torch.Tensor) -> torch.Tensor:
        K, n, d = flat.shape[0], X.shape[0], X.shape[1]
        depth = len(plan.widths) - 1
        saved: list[torch.Tensor] = []  # per hidden layer: activation, then σ'(z) unless ReLU
        h: torch.Tensor | None = None
        for i in range(depth):
            fan_in, fan_out = plan.widths[i], plan.widths[i + 1]
            W = plan.take(flat, f"layers.{i}.weight", fan_out, fan_in)
            b = plan.take(flat, f"layers.{i}.bias", fan_out, 1) if plan.bias else None
            last = i == depth - 1
            # The output layer's [K, 1, n] is returned to autograd, so it is not a reused buffer.
            z = flat.new_empty((K, fan_out, n)) if last else ws.get(f"z{i}", (K, fan_out, n), flat)
            if i == 0:
                # One GEMM for all K networks: [K*h, d] @ [d, n].
                W2d, z2d = W.reshape(K * fan_out, d), z.view(K * fan_out, n)
                if b is not None:
                    torch.addmm(b.reshape(K * fan_out, 1), W2d, Xt, out=z2d)
                else:
                    torch.mm(W2d, Xt, out=z2d)
            elif b is not None:
                torch.baddbmm(b, W, h, out=z)
            else:
                torch.bmm(W, h, out=z)
            if last:
                out = z.view(K, n)
            elif plan.relu:
                h = z.relu_()  # the derivative is read back from the activation, so z need not be kept
                saved.append(h)
            else:
                h, dsig = _neuron_and_derivative(plan.neuron, z)
                saved += [h, dsig]
        expo = None
        if plan.skip:
            out = out + plan.take(flat, "skip.weight", d) @ Xt
        if plan.exp_neuron:
            expo = torch.exp(torch.addmm(plan.take(flat, "exp.b", 1), plan.take(flat, "exp.w", d), Xt))
            out = out + plan.take(flat, "exp.a", 1) * expo
        ctx.plan, ctx.ws = plan, ws
        ctx.save_for_backward(flat, Xt, *([] if expo is None else [expo]), *saved)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[None, None, torch.Tensor, None, None]:
        plan: _MLPPlan = ctx.plan
        ws: _Workspace = ctx.ws
        flat, Xt, *rest = ctx.saved_tensors
        expo = rest.pop(0) if plan.exp_neuron else None
        K, d, n = flat.shape[0], Xt.shape[0], Xt.shape[1]
        grad = flat.new_empty(flat.shape)

        def put(name: str, value: torch.Tensor) -> None:
            a, b = plan.slices[name]
            grad[:, a:b] = value.reshape(K, b - a)

        if expo is not None:
            a_exp = plan.take(flat, "exp.a", 1)
            put("exp.a", (grad_out * expo).sum(-1))
            g_pre = grad_out * expo * a_exp  # d f / d (w·x + b) of the exponential neuron
            put("exp.w", g_pre @ Xt.t())
            put("exp.b", g_pre.sum(-1))
        if plan.skip:
            put("skip.weight", grad_out @ Xt.t())
        depth = len(plan.widths) - 1
        if depth == 2:
            _one_hidden_layer_backward(plan, ws, flat, Xt, rest, grad_out, put)
            return None, None, grad, None, None
        per_layer = 1 if plan.relu else 2
        g = grad_out.reshape(K, 1, n)  # gradient with respect to the current layer's pre-activation
        for i in range(depth - 1, -1, -1):
            fan_in, fan_out = plan.widths[i], plan.widths[i + 1]
            if plan.bias:
                put(f"layers.{i}.bias", g.sum(-1))
            if i == 0:
                # [d, n] @ [n, K*h], transposed after: MKL is ~2x faster than [K*h, n] @ [n, d] here.
                put("layers.0.weight", (Xt @ g.reshape(K * fan_out, n).t()).t())
                break
            h_prev = rest[(i - 1) * per_layer]
            put(f"layers.{i}.weight", torch.bmm(g, h_prev.transpose(1, 2)))
            W = plan.take(flat, f"layers.{i}.weight", fan_out, fan_in)
            g_act = ws.get(f"g{i - 1}", (K, fan_in, n), flat)
            if fan_out == 1:  # the output layer: an outer product, where broadcasting beats bmm
                torch.mul(W.transpose(1, 2), g, out=g_act)
            else:
                torch.bmm(W.transpose(1, 2), g, out=g_act)
            if plan.relu:
                g = torch.ops.aten.threshold_backward.grad_input(g_act, h_prev, 0, grad_input=g_act)
            else:
                g = g_act.mul_(rest[(i - 1) * per_layer + 1])
        return None, None, grad, None, None


def _one_hidden_layer_backward(plan: _MLPPlan, ws: _Workspace, flat: torch.Tensor, Xt: torch.Tensor,
                               rest: list[torch.Tensor], grad_out: torch.Tensor,
                               put: Callable[[str, torch.Tensor], None]) -> None:
    """Gradients of f = w·σ(W x + b) + c (the commonest case), reading each [K, h, n] tensor once.

    With one hidden layer the pre-activation gradient is rank one per network,
    g_z[k,j,i] = w[k,j] σ'(z)[k,j,i] go[k,i], so ∂W = w ⊙ ((go x) @ σ'ᵀ) and ∂b = w ⊙ (go @ σ'ᵀ):
    one batched product with σ' instead of materialising g_z (memory traffic dominates on CPU).
    Products are shaped [K, r, n] @ [K, n, h] with r small: MKL is several times slower on the
    transposed shapes [K, h, n] @ [K, n, r].
    """
    K, d, n = flat.shape[0], Xt.shape[0], Xt.shape[1]
    h = plan.widths[1]
    act = rest[0]  # σ(z): [K, h, n]
    if plan.relu:
        deriv = torch.sign(act, out=ws.get("deriv", act.shape, act))  # σ' = 1[z > 0] and act = relu(z) >= 0
    else:
        deriv = rest[1]
    go = grad_out.reshape(K, 1, n)
    if plan.bias:
        put("layers.1.bias", grad_out.sum(-1))
    put("layers.1.weight", torch.bmm(go, act.transpose(1, 2)))
    rows = go * Xt  # [K, d, n]: go[k,i] x_i
    if plan.bias:
        rows = torch.cat([rows, go], dim=1)
    w = plan.take(flat, "layers.1.weight", 1, h)
    first = torch.bmm(rows, deriv.transpose(1, 2)).mul_(w)  # [K, d (+1), h]
    put("layers.0.weight", first[:, :d].transpose(1, 2))
    if plan.bias:
        put("layers.0.bias", first[:, d])


def _neuron_and_derivative(neuron: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """σ(z) and σ'(z) elementwise, σ' by autograd so kinks follow the same convention as autograd."""
    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        a = neuron(zz)
        (ds,) = torch.autograd.grad(a, zz, torch.ones_like(a))
    return a.detach(), ds


# -- results ------------------------------------------------------------------------------------
@dataclass
class PopulationResult:
    """Outcome of a population run.

    ``params``: name -> [K, *shape]; ``loss``: [K] empirical loss at ``params``; ``grad_norm``: [K]
    Euclidean norm of ∇L at ``params``; ``steps``: optimizer steps (iterations for L-BFGS) done;
    ``seconds``: wall time of the run. L-BFGS also fills ``converged`` ([K] bool, grad_norm <=
    tol_grad), ``iterations`` ([K] int, accepted steps per member) and ``distance`` ([K], ‖θ - θ_start‖).
    """

    params: Params
    loss: torch.Tensor
    grad_norm: torch.Tensor
    steps: int
    seconds: float
    converged: torch.Tensor | None = None
    iterations: torch.Tensor | None = None
    distance: torch.Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.loss.shape[0])

    def best(self) -> int:
        """Index of the member with the smallest finite loss (NaN counts as +inf)."""
        return int(torch.nan_to_num(self.loss, nan=math.inf).argmin())

    def cpu(self) -> "PopulationResult":
        """A copy with every tensor on the CPU."""
        move = lambda t: t.detach().cpu() if isinstance(t, torch.Tensor) else t  # noqa: E731
        return PopulationResult({k: move(v) for k, v in self.params.items()}, move(self.loss), move(self.grad_norm),
                                self.steps, self.seconds, move(self.converged), move(self.iterations),
                                move(self.distance), dict(self.extra))


# -- first-order training -----------------------------------------------------------------------
OPTIMIZERS = ("adam", "sgd")


def make_optimizer(name: str, tensors: list[torch.Tensor], *, lr: float, momentum: float = 0.0) -> torch.optim.Optimizer:
    """torch.optim.Adam or SGD on the stacked tensors (elementwise, so stacking changes nothing).

    Shared by :func:`train_population` and the Lightning module, so both take identical steps.
    """
    key = name.lower()
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if key == "adam":
        if momentum:
            raise ValueError("momentum applies to sgd only")
        # The fused kernel does one pass instead of ~10 (same update up to rounding) where it exists.
        fused = all(t.device.type in ("cpu", "cuda") and t.dtype in (torch.float32, torch.float64) for t in tensors)
        return torch.optim.Adam(tensors, lr=lr, fused=fused or None)
    if key == "sgd":
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        return torch.optim.SGD(tensors, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")


def _prepare(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor],
             device: torch.device, dtype: torch.dtype | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat [K, P] copy of the population plus X, y, all on ``device`` in ``dtype``."""
    if set(params) != set(setting.param_shapes):
        raise ValueError(f"parameter names {sorted(params)} do not match the setting's {sorted(setting.param_shapes)}")
    batch = setting.batch_shape(params)
    if len(batch) != 1:
        raise ValueError(f"a population needs exactly one leading batch axis [K, ...], got batch shape {batch}")
    dtype = dtype or next(iter(params.values())).dtype
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be floating point, got {dtype}")
    flat = setting.flatten({k: v.detach() for k, v in params.items()}).to(device=device, dtype=dtype).clone()
    return flat, X.detach().to(device=device, dtype=dtype), y.detach().to(device=device, dtype=dtype)


def _within_limits(flat: torch.Tensor, steps: int) -> tuple[torch.Tensor, int, _limits.Limits | None]:
    """The population and step count the active limits allow (arena.engine.limits)."""
    limits = _limits.current()
    if limits is None:
        return flat, steps, None
    k = limits.clip_restarts(flat.shape[0])
    return (flat if k == flat.shape[0] else flat[:k].clone()), limits.clip_steps(steps), limits


def _reporter(progress: bool | ProgressFn, total: int, desc: str) -> tuple[ProgressFn | None, Callable[[], None]]:
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, leave=False)
    state = {"done": 0}

    def report(step: int, loss: torch.Tensor) -> None:
        finite = loss[torch.isfinite(loss)]
        if finite.numel():
            bar.set_postfix(mean=f"{finite.mean().item():.3e}", min=f"{finite.min().item():.3e}")
        bar.update(step - state["done"])
        state["done"] = step

    return report, bar.close


def train_population(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor], *,
                     lr: float, steps: int, optimizer: str = "adam", momentum: float = 0.0,
                     device: str | torch.device = "auto", dtype: torch.dtype | None = None,
                     progress: bool | ProgressFn = False, log_every: int | None = None,
                     fused: bool = True, stop_below: float | None = None) -> PopulationResult:
    """Train every member of a population with full-batch Adam or SGD for ``steps`` steps.

    X: [n, d], y: [n] in {-1, +1}; params: name -> [K, *shape] (not modified). ``dtype`` defaults
    to the params' dtype; ``lr`` is the optimizer's step size. ``progress``: True for a tqdm bar, or
    a callable ``(step, loss [K])`` called every ``log_every`` steps (default ~100 reports per run)
    with the loss before that step — reporting is the only host sync in the loop. Members are
    independent: one that diverges to a non-finite loss does not disturb the others.

    ``stop_below``: end early once some member's loss is <= it (checked every ``log_every`` steps;
    e.g. 0.0 for a search that cannot do better than a zero loss).

    Returns params on ``device`` with loss and grad_norm evaluated there after the last step.
    Under active limits (:mod:`arena.engine.limits`) K and ``steps`` are clipped and the loop stops
    at the deadline (``result.steps`` says how many steps ran, ``extra["stopped_at_deadline"]``).
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    dev = resolve_device(device)
    flat, X, y = _prepare(setting, X, y, params, dev, dtype)
    flat, steps, limits = _within_limits(flat, steps)
    objective = PopulationLoss(setting, X, y, fused=fused)
    flat.requires_grad_(True)
    opt = make_optimizer(optimizer, [flat], lr=lr, momentum=momentum)
    every = max(1, log_every or steps // 100)
    report, close = _reporter(progress, steps, f"{optimizer} K={flat.shape[0]}")
    _sync(dev)
    start = time.perf_counter()
    done, stopped = 0, False
    try:
        for step in range(steps):
            if limits is not None and limits.expired():
                stopped = True
                break
            done = step + 1
            loss = objective(flat)
            (flat.grad,) = torch.autograd.grad(loss.sum(), flat)
            opt.step()
            if step % every == 0 or step == steps - 1:
                if report is not None:
                    report(step + 1, loss.detach())
                if stop_below is not None and bool((loss.detach() <= stop_below).any()):
                    break
        flat = flat.detach()
        loss, grad = objective.value_and_grad(flat)
        _sync(dev)
    finally:
        close()
    seconds = time.perf_counter() - start
    if limits is not None:
        limits.record(flat.shape[0], done, stopped)
    return PopulationResult(setting.unflatten(flat), loss, grad.norm(dim=-1), done, seconds,
                            extra={"stopped_at_deadline": True} if stopped else {})


# -- L-BFGS polish ------------------------------------------------------------------------------
def polish_lbfgs(setting: Setting, X: torch.Tensor, y: torch.Tensor, params: Mapping[str, torch.Tensor], *,
                 max_iter: int = 200, history: int = 10, tol_grad: float = 1e-12,
                 max_radius: float | None = None, device: str | torch.device = "auto",
                 c1: float = 1e-4, max_backtracks: int = 50, fused: bool = True) -> PopulationResult:
    """Batched L-BFGS in float64 from each member's point; members stop independently.

    X: [n, d], y: [n]; params: name -> [K, *shape]. Each member runs its own two-loop recursion on
    its row of the [K, P] iterate (``history`` pairs) and its own backtracking Armijo line search
    (sufficient decrease ``c1``, step shrunk by quadratic interpolation within [1/10, 1/2], up to
    ``max_backtracks`` times). Once the decrease to
    expect is below float64 rounding of L (near a minimum), a step is accepted instead when L stays
    within rounding and ‖∇L‖ shrinks, so smooth problems reach gradients near 1e-12.

    A member stops when ‖∇L‖ <= ``tol_grad`` (``converged``), or when neither test accepts any step
    along steepest descent (a kink, a non-smooth loss, saturation): it keeps its last point, never
    NaN. ``max_radius``: every trial point is projected onto the Euclidean ball of that radius
    around the member's start, so ‖θ - θ_start‖ <= max_radius throughout.
    """
    if max_iter < 0 or history < 1 or max_backtracks < 1:
        raise ValueError(f"need max_iter >= 0, history >= 1, max_backtracks >= 1; got {max_iter}, {history}, "
                         f"{max_backtracks}")
    if max_radius is not None and not max_radius >= 0:
        raise ValueError(f"max_radius must be >= 0, got {max_radius}")
    dev = resolve_device(device)
    x, X, y = _prepare(setting, X, y, params, dev, torch.float64)
    x, max_iter, limits = _within_limits(x, max_iter)
    stopped = False
    objective = PopulationLoss(setting, X, y, fused=fused)
    _sync(dev)
    start = time.perf_counter()
    K, P = x.shape
    search = _LineSearch(objective, x.clone(), max_radius, c1, max_backtracks)
    f, g = objective.value_and_grad(x)
    gnorm = g.norm(dim=-1)
    finite = torch.isfinite(f) & torch.isfinite(gnorm)
    converged = finite & (gnorm <= tol_grad)
    active = finite & ~converged
    iterations = torch.zeros(K, dtype=torch.long, device=dev)
    # History as a ring buffer shared by all members; rho = 0 marks a slot a member did not fill.
    S, Yh = x.new_zeros(K, history, P), x.new_zeros(K, history, P)
    rho, gamma = x.new_zeros(K, history), x.new_ones(K)
    slot, done = 0, 0
    for _ in range(max_iter):
        if not bool(active.any()):
            break
        if limits is not None and limits.expired():
            stopped = True
            break
        done += 1
        d = -_two_loop(g, S, Yh, rho, gamma, slot)
        # Without usable curvature pairs (none yet, or a non-descent direction) use -g.
        fresh = ~((g * d).sum(-1) < 0) | (rho == 0).all(-1)
        d = torch.where(fresh[:, None], -g, d)
        # First step length 1/‖g‖ (capped at 1) without curvature information, as torch's LBFGS.
        t = torch.where(fresh, torch.clamp(1.0 / gnorm, max=1.0), torch.ones_like(gnorm))
        x_new, f_new, g_new, moved = search(x, f, g, gnorm, d, t, active)
        failed = active & ~moved
        # A failed quasi-Newton direction gets one more chance as steepest descent next iteration;
        # a failed steepest-descent step ends the member.
        forget = failed & ~fresh
        rho = torch.where(forget[:, None], torch.zeros_like(rho), rho)
        gamma = torch.where(forget, torch.ones_like(gamma), gamma)
        s, yv = x_new - x, g_new - g
        sy, yy = (s * yv).sum(-1), (yv * yv).sum(-1)
        # Only pairs with positive curvature keep the implicit inverse Hessian positive definite.
        keep = moved & torch.isfinite(sy) & (yy > 0) & (sy > 1e-10 * torch.sqrt(yy * (s * s).sum(-1)))
        S[:, slot] = torch.where(keep[:, None], s, S[:, slot])
        Yh[:, slot] = torch.where(keep[:, None], yv, Yh[:, slot])
        rho[:, slot] = torch.where(keep, 1.0 / torch.where(keep, sy, torch.ones_like(sy)), torch.zeros_like(sy))
        gamma = torch.where(keep, sy / torch.where(keep, yy, torch.ones_like(yy)), gamma)
        slot = (slot + 1) % history
        x = torch.where(moved[:, None], x_new, x)
        f = torch.where(moved, f_new, f)
        g = torch.where(moved[:, None], g_new, g)
        gnorm = g.norm(dim=-1)
        iterations += moved.long()
        converged = converged | (moved & (gnorm <= tol_grad))
        active = (moved & (gnorm > tol_grad)) | forget
    _sync(dev)
    seconds = time.perf_counter() - start
    if limits is not None:
        limits.record(K, done, stopped)
    return PopulationResult(setting.unflatten(x), f, gnorm, done, seconds, converged=converged,
                            iterations=iterations, distance=(x - search.center).norm(dim=-1),
                            extra={"stopped_at_deadline": True} if stopped else {})


@dataclass
class _LineSearch:
    """Batched backtracking for :func:`polish_lbfgs`; every tensor is per member ([K] or [K, P])."""

    objective: PopulationLoss
    center: torch.Tensor  # [K, P] start points, for max_radius
    radius: float | None
    c1: float
    max_backtracks: int

    def trial(self, x: torch.Tensor, d: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        point = x + t[:, None] * d
        return point if self.radius is None else _project(point, self.center, self.radius)

    def __call__(self, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, gnorm: torch.Tensor, d: torch.Tensor,
                 t: torch.Tensor, active: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_new, f_new, g_new, moved): members not moved keep x, f, g."""
        # Rounding error of L: a change smaller than this is no evidence of a decrease.
        noise = 16 * torch.finfo(f.dtype).eps * f.abs()
        t0 = t
        x_new, f_new, pending, searching = x.clone(), f.clone(), active.clone(), active.clone()
        first_decrease = None
        for _ in range(self.max_backtracks):
            trial = self.trial(x, d, t)
            decrease = (g * (trial - x)).sum(-1)  # < 0 for a descent move, also after projection
            if first_decrease is None:
                first_decrease = decrease
            f_trial = self.objective.value(trial)
            # Armijo, and a drop beyond rounding: noise-level "decreases" at tiny steps would feed
            # meaningless (s, y) pairs into the history.
            ok = (searching & torch.isfinite(f_trial) & (decrease < 0) & (f_trial <= f + self.c1 * decrease)
                  & (f_trial < f - noise))
            x_new = torch.where(ok[:, None], trial, x_new)
            f_new = torch.where(ok, f_trial, f_new)
            pending = pending & ~ok
            # Halving further cannot help once the decrease to expect (about |g·step|/2 for a
            # quadratic) is below rounding.
            searching = pending & ~((decrease < 0) & (-decrease <= 2 * noise))
            if not bool(searching.any()):
                break
            # Minimiser of the quadratic through L(x), its slope and L(trial), kept in [t/10, t/2]:
            # a far too long step shrinks tenfold per trial instead of twofold.
            curvature = f_trial - f - decrease
            quad = -decrease * t / (2 * torch.where(curvature > 0, curvature, torch.ones_like(curvature)))
            shrink = torch.where(torch.isfinite(f_trial) & (curvature > 0), quad, 0.1 * t)
            t = torch.where(searching, torch.minimum(torch.maximum(shrink, 0.1 * t), 0.5 * t), t)
        f_new, g_new = self.objective.value_and_grad(x_new)
        # Only members whose full step promised a decrease near rounding are near a minimum; a
        # failure with a large promised decrease is a kink, where the gradient is no better a guide.
        near_minimum = pending & (-first_decrease <= 1e3 * noise)
        if bool(near_minimum.any()):
            x_new, f_new, g_new, rescued = self._by_gradient(x, f, g, gnorm, d, t0, noise, near_minimum,
                                                             x_new, f_new, g_new)
            pending = pending & ~rescued
        return x_new, f_new, g_new, active & ~pending

    def _by_gradient(self, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, gnorm: torch.Tensor,
                     d: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, pending: torch.Tensor,
                     x_new: torch.Tensor, f_new: torch.Tensor, g_new: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Backtracking with ‖∇L‖ as the merit, for members whose decrease of L is below rounding.

        A step is taken if L drops measurably, or stays within rounding while ‖∇L‖ shrinks
        (strictly, so this cannot cycle). Costs one gradient per trial, only near convergence.
        Returns (x_new, f_new, g_new, accepted).
        """
        candidates = pending
        for _ in range(min(self.max_backtracks, 8)):  # then a restart from -g is the better bet
            trial = self.trial(x, d, t)
            f_trial, g_trial = self.objective.value_and_grad(trial)
            ok = (pending & torch.isfinite(f_trial) & torch.isfinite(g_trial).all(-1)
                  & ((g * (trial - x)).sum(-1) < 0)
                  & ((f_trial < f - noise) | ((f_trial <= f + noise) & (g_trial.norm(dim=-1) < gnorm))))
            x_new = torch.where(ok[:, None], trial, x_new)
            f_new = torch.where(ok, f_trial, f_new)
            g_new = torch.where(ok[:, None], g_trial, g_new)
            pending = pending & ~ok
            if not bool(pending.any()):
                break
            t = torch.where(pending, 0.5 * t, t)
        return x_new, f_new, g_new, candidates & ~pending


def _two_loop(g: torch.Tensor, S: torch.Tensor, Yh: torch.Tensor, rho: torch.Tensor, gamma: torch.Tensor,
              slot: int) -> torch.Tensor:
    """H_k g for every member by the L-BFGS two-loop recursion (empty slots have rho = 0).

    g: [K, P]; S, Yh: [K, m, P]; rho: [K, m]; gamma: [K] initial scaling s·y / y·y; slot: the next
    slot to write, so the newest pair sits at slot - 1.
    """
    m = S.shape[1]
    order = [(slot - 1 - j) % m for j in range(m)]  # newest first
    q = g.clone()
    alphas = []
    for j in order:
        a = rho[:, j] * (S[:, j] * q).sum(-1)
        q = q - a[:, None] * Yh[:, j]
        alphas.append(a)
    r = gamma[:, None] * q
    for j, a in zip(reversed(order), reversed(alphas)):
        b = rho[:, j] * (Yh[:, j] * r).sum(-1)
        r = r + (a - b)[:, None] * S[:, j]
    return r


def _project(x: torch.Tensor, center: torch.Tensor, radius: float) -> torch.Tensor:
    """Rows of x projected onto the ball ‖x - center‖ <= radius: [K, P]."""
    delta = x - center
    norm = delta.norm(dim=-1, keepdim=True)
    scale = torch.clamp(radius / torch.clamp(norm, min=torch.finfo(x.dtype).tiny), max=1.0)
    return center + delta * scale
