"""The fused forward and backward of the built-in MLP for a whole population (docs/design.md).

:class:`FusedMLP` is a hand-written forward and backward laid out as ``[K, width, n]`` (batch first,
samples last), so the first layer is one GEMM over all K networks, the ReLU derivative is applied
in place and no bool masks touch the big tensors (bool kernels are slow on CPU). The backward
writes every parameter's gradient straight into one [K, P] tensor. :class:`PopulationLoss` in
:mod:`arena.engine.objective` decides when it applies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from arena.landscape.neurons import make_neuron
from arena.landscape.setting import Setting


@dataclass(frozen=True)
class MLPPlan:
    """Static layout of the built-in MLP inside a flat [K, P] vector (offsets in param_shapes order).

    ``special`` is the skip unit's neuron when it is not the exponential (None: exp, or no unit);
    ``unused`` names the parameters that do not enter f (``mult.*``: their gradient comes from the
    loss's outer factor only, so the kernel's share of it is zero).
    """

    widths: tuple[int, ...]  # (d, h_1, ..., h_L, 1)
    bias: bool
    relu: bool
    neuron: Callable[[torch.Tensor], torch.Tensor]
    slices: dict[str, tuple[int, int]]  # name -> (start, stop) in the flat vector
    skip: bool
    exp_neuron: bool
    special: Callable[[torch.Tensor], torch.Tensor] | None = None
    unused: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, setting: Setting) -> "MLPPlan":
        cfg = setting.mlp
        slices, i = {}, 0
        for name, shape in setting.param_shapes.items():
            size = math.prod(shape)
            slices[name] = (i, i + size)
            i += size
        special = make_neuron(cfg.special_neuron) if cfg.exp_neuron and not cfg.special_is_exponential else None
        unused = tuple(name for name in slices if not name.startswith(("layers.", "skip.", "exp.")))
        return cls((cfg.input_dim, *cfg.hidden, 1), cfg.bias, setting.neuron.name == "relu", setting.neuron,
                   slices, cfg.skip, cfg.exp_neuron, special, unused)

    def take(self, flat: torch.Tensor, name: str, *shape: int) -> torch.Tensor:
        a, b = self.slices[name]
        return flat[:, a:b].reshape(flat.shape[0], *shape)


class Workspace:
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


class FusedMLP(torch.autograd.Function):
    """f(X; θ_k) for every member: (plan, workspace, flat [K, P], X [n, d], Xt [d, n]) -> [K, n].

    Hidden activations live as [K, h, n]. The backward writes the gradient of every parameter
    straight into one [K, P] tensor, so autograd never scatters per-parameter slices.
    """

    @staticmethod
    def forward(ctx: Any, plan: MLPPlan, ws: Workspace, flat: torch.Tensor, X: torch.Tensor,
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
            else:
                assert h is not None  # the previous layer's activation
                if b is not None:
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
        if plan.skip:
            out = out + plan.take(flat, "skip.weight", d) @ Xt
        unit: list[torch.Tensor] = []  # the skip unit's σ_s(u) and σ_s'(u), u = exp.w·x + exp.b: [K, n]
        if plan.exp_neuron:
            pre = torch.addmm(plan.take(flat, "exp.b", 1), plan.take(flat, "exp.w", d), Xt)
            unit = [torch.exp(pre)] if plan.special is None else list(_neuron_and_derivative(plan.special, pre))
            out = out + plan.take(flat, "exp.a", 1) * unit[0]
        ctx.plan, ctx.ws, ctx.n_unit = plan, ws, len(unit)
        ctx.save_for_backward(flat, Xt, *unit, *saved)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[None, None, torch.Tensor, None, None]:
        plan: MLPPlan = ctx.plan
        flat, Xt, *rest = ctx.saved_tensors
        unit, rest = rest[:ctx.n_unit], rest[ctx.n_unit:]
        K = flat.shape[0]
        grad = flat.new_empty(flat.shape)

        def put(name: str, value: torch.Tensor) -> None:
            a, b = plan.slices[name]
            grad[:, a:b] = value.reshape(K, b - a)

        def slot(name: str, *shape: int) -> torch.Tensor:
            """The rows of ``name`` in ``grad`` as [K, *shape], for products written there directly."""
            a, b = plan.slices[name]
            return grad[:, a:b].view(K, *shape)

        for name in plan.unused:
            a, b = plan.slices[name]
            grad[:, a:b] = 0
        if unit:
            _skip_unit_backward(plan, flat, Xt, unit, grad_out, put)
        if plan.skip:
            put("skip.weight", grad_out @ Xt.t())
        if len(plan.widths) == 3:
            _one_hidden_layer_backward(plan, flat, Xt, rest, grad_out, put)
        else:
            _deep_backward(plan, ctx.ws, flat, Xt, rest, grad_out, put, slot)
        return None, None, grad, None, None


Put = Callable[[str, torch.Tensor], None]


def _skip_unit_backward(plan: MLPPlan, flat: torch.Tensor, Xt: torch.Tensor, unit: list[torch.Tensor],
                        grad_out: torch.Tensor, put: Put) -> None:
    """Gradients of the skip unit a·σ_s(w·x + b); ``unit`` is [σ_s(u)] for exp (σ_s' = σ_s), else [σ_s(u), σ_s'(u)]."""
    value, slope = unit[0], unit[-1]
    put("exp.a", (grad_out * value).sum(-1))
    g_pre = grad_out * slope * plan.take(flat, "exp.a", 1)  # ∂f/∂u
    put("exp.w", g_pre @ Xt.t())
    put("exp.b", g_pre.sum(-1))


def _deep_backward(plan: MLPPlan, ws: Workspace, flat: torch.Tensor, Xt: torch.Tensor, rest: list[torch.Tensor],
                   grad_out: torch.Tensor, put: Put, slot: Callable[..., torch.Tensor]) -> None:
    """Layer-by-layer backpropagation for any depth: batched products over the population axis.

    ``rest`` holds, per hidden layer, σ(z) and (unless ReLU, whose derivative is read off σ(z)) σ'(z),
    each [K, h, n]. The gradient with respect to each layer's inputs lives in a reused buffer; weight
    gradients are written by the batched product straight into their rows of the [K, P] gradient
    (a fresh [K, h, h] result plus a copy cost page faults and a pass over it per step).
    """
    K, n = flat.shape[0], Xt.shape[1]
    per_layer = 1 if plan.relu else 2
    g = grad_out.reshape(K, 1, n)  # gradient with respect to the current layer's pre-activation
    for i in range(len(plan.widths) - 2, -1, -1):
        fan_in, fan_out = plan.widths[i], plan.widths[i + 1]
        if plan.bias:
            put(f"layers.{i}.bias", g.sum(-1))
        if i == 0:
            # [d, n] @ [n, K*h], transposed after: MKL is ~2x faster than [K*h, n] @ [n, d] here.
            put("layers.0.weight", (Xt @ g.reshape(K * fan_out, n).t()).t())
            return
        h_prev = rest[(i - 1) * per_layer]
        torch.bmm(g, h_prev.transpose(1, 2), out=slot(f"layers.{i}.weight", fan_out, fan_in))
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


def _one_hidden_layer_backward(plan: MLPPlan, flat: torch.Tensor, Xt: torch.Tensor, rest: list[torch.Tensor],
                               grad_out: torch.Tensor, put: Put) -> None:
    """Gradients of f = w·σ(W x + b) + c (the commonest case), reading each [K, h, n] tensor once.

    With one hidden layer the pre-activation gradient is rank one per network,
    g_z[k,j,i] = w[k,j] σ'(z)[k,j,i] go[k,i], so ∂W = w ⊙ ((go x) @ σ'ᵀ) and ∂b = w ⊙ (go @ σ'ᵀ):
    one batched product M = [go x; go] @ σ'ᵀ instead of materialising g_z (memory traffic dominates
    on CPU). ReLU is positively homogeneous, σ(z) = z σ'(z), so there ∂w_j = Σ_i go_i σ(z_ji) =
    Σ_c W_jc M_cj + b_j M_dj comes from M too, and σ' = sign(σ(z)) overwrites σ(z) in place: one
    pass over [K, h, n] fewer. Products are shaped [K, r, n] @ [K, n, h] with r small: MKL is
    several times slower on the transposed shapes [K, h, n] @ [K, n, r].
    """
    K, d, n = flat.shape[0], Xt.shape[0], Xt.shape[1]
    h = plan.widths[1]
    act = rest[0]  # σ(z): [K, h, n]
    go = grad_out.reshape(K, 1, n)
    if plan.bias:
        put("layers.1.bias", grad_out.sum(-1))
    rows = go * Xt  # [K, d, n]: go[k,i] x_i
    if plan.bias:
        rows = torch.cat([rows, go], dim=1)
    if plan.relu:
        # act is the forward's buffer, not needed after this; the next forward overwrites it anyway
        M = torch.bmm(rows, act.sign_().transpose(1, 2))  # [K, d (+1), h]
        W = plan.take(flat, "layers.0.weight", h, d)
        dw = (M[:, :d] * W.transpose(1, 2)).sum(1)
        if plan.bias:
            dw += M[:, d] * plan.take(flat, "layers.0.bias", h)
        put("layers.1.weight", dw)
    else:
        put("layers.1.weight", torch.bmm(go, act.transpose(1, 2)))
        M = torch.bmm(rows, rest[1].transpose(1, 2))
    first = M.mul_(plan.take(flat, "layers.1.weight", 1, h))
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
