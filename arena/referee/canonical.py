"""The canonical form of a claim: one representative of its orbit under the network's exact symmetries.

The loss L(θ; X, y) of the built-in network family is unchanged by

* **permuting the samples** (the loss is a mean);
* **permuting the units of a hidden layer** (rows of its weight and bias, columns of the next weight);
* **positive rescaling** of a unit whose neuron is positively homogeneous, σ(c·z) = c·σ(z) for c > 0
  (relu, leaky_relu, linear): incoming weights and bias × c, outgoing weights ÷ c.

The referee judges in a canonical form so that none of these can change a verdict: samples sorted
lexicographically by (x, y); every rescalable unit *balanced*, ‖incoming‖ = ‖outgoing‖, unless that common norm
would fall below 1: then ‖incoming‖ = 1 (so a unit with a zero or tiny output weight neither
collapses onto its kink nor keeps an arbitrary size; a unit with zero incoming weights gets
‖outgoing‖ = 1, one with both zero is left alone); then the units of each layer sorted lexicographically by
(incoming weights, bias, outgoing weights). A transformation is applied only when the setting
really has that symmetry: a regularizer that is not invariant (e.g. l2 on the layers) switches
rescaling or permutation off, and custom networks are judged as given.

The map is linear on the flat parameter vector: ``θ_canonical = θ_claim[index] · mult``, so points
and directions map back exactly with :meth:`Canonical.to_claim`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from arena.landscape.setting import Setting
from arena.referee.params import offsets


@dataclass
class Canonical:
    """The map claim -> canonical form. Flat maps: ``index`` [P] (long), ``mult`` [P] float64."""

    sample_order: torch.Tensor  # [n] claim sample index of each canonical sample
    index: torch.Tensor
    mult: torch.Tensor
    unit_order: dict[str, list[int]]  # "layers.i" -> claim unit index of each canonical unit
    unit_scales: dict[str, list[float]]  # "layers.i" -> c per canonical unit (incoming × c, outgoing ÷ c)
    applied: list[str]

    def to_canonical(self, flat: torch.Tensor) -> torch.Tensor:
        """Claim coordinates [*B, P] -> canonical."""
        return flat[..., self.index.to(flat.device)] * self.mult.to(flat)

    def to_claim(self, flat: torch.Tensor) -> torch.Tensor:
        """Canonical coordinates [*B, P] -> the claim's (points and directions alike)."""
        out = torch.empty_like(flat)
        out[..., self.index.to(flat.device)] = flat / self.mult.to(flat)
        return out

    def evidence(self, setting: Setting, canonical_flat: torch.Tensor, max_listed: int = 2000) -> dict[str, Any]:
        """The canonical point (when small) and the map back, for the verdict."""
        ev: dict[str, Any] = {"applied": self.applied, "unit_order": self.unit_order,
                              "unit_scales": self.unit_scales,
                              "map_back": "claim unit unit_order[j] = canonical unit j with incoming ÷ c_j, outgoing × c_j"}
        n = int(self.sample_order.numel())
        ev["sample_order"] = self.sample_order.tolist() if n <= max_listed else f"{n} samples (not listed)"
        if canonical_flat.numel() <= max_listed:
            ev["point"] = {k: v.tolist() for k, v in setting.unflatten(canonical_flat).items()}
        return ev


def positively_homogeneous(setting: Setting) -> bool:
    """σ(c·z) = c·σ(z) for c > 0, checked on a grid (relu, leaky_relu, linear, relu_power(1))."""
    if not setting.builtin:
        return False
    z = torch.linspace(-3, 3, 25, dtype=torch.float64)
    neuron = setting.neuron
    return all(torch.allclose(neuron(c * z), c * neuron(z), rtol=1e-12, atol=1e-14) for c in (0.37, 2.9))


def hidden_units(setting: Setting) -> list[tuple[str, list[list[int]], list[list[int]]]]:
    """Per hidden layer: (name, incoming flat indices per unit, outgoing flat indices per unit)."""
    m, off = setting.mlp, offsets(setting)
    widths = (m.input_dim, *m.hidden, 1)
    layers = []
    for i, h in enumerate(m.hidden):
        fan_in, fan_out = widths[i], widths[i + 2]
        w, nxt = off[f"layers.{i}.weight"], off[f"layers.{i + 1}.weight"]
        incoming = [list(range(w + j * fan_in, w + (j + 1) * fan_in))
                    + ([off[f"layers.{i}.bias"] + j] if m.bias else []) for j in range(h)]
        outgoing = [[nxt + r * h + j for r in range(fan_out)] for j in range(h)]
        layers.append((f"layers.{i}", incoming, outgoing))
    return layers


def _balance(flat: torch.Tensor, layers: list, floor: float = 1.0, sweeps: int = 200) -> list[torch.Tensor]:
    """Scale factors c per unit: ‖incoming‖ = max(√(‖incoming‖·‖outgoing‖), floor) (coordinate sweeps).

    Balanced units keep equal norms; a unit whose balanced norm would fall below ``floor`` (an
    output weight at or near zero) keeps incoming norm ``floor`` instead of collapsing onto the
    kink at the origin, where the basin of a real minimum would shrink to nothing.
    """
    scales = [torch.ones(len(inc), dtype=flat.dtype) for _, inc, _ in layers]
    v = flat.clone()
    index = [(torch.as_tensor(inc, dtype=torch.long).reshape(len(inc), -1),
              torch.as_tensor(out, dtype=torch.long).reshape(len(out), -1)) for _, inc, out in layers]
    for _ in range(sweeps):
        worst = 0.0
        for li, (a, b) in enumerate(index):  # a layer's units own disjoint entries: one step for all
            n_in, n_out = v[a].norm(dim=1), v[b].norm(dim=1)
            c = torch.where(n_in == 0, n_out, (n_in * n_out).sqrt().clamp(min=floor) / n_in)
            c = torch.where((n_in == 0) & (n_out == 0), torch.ones_like(c), c)
            v[a] = v[a] * c.unsqueeze(1)
            v[b] = v[b] / c.unsqueeze(1)
            scales[li] *= c
            worst = max(worst, float(c.log().abs().max()))
        if worst < 1e-13:
            break
    return scales


def _permute(vec: torch.Tensor, inc: list[list[int]], out: list[list[int]], order: list[int]) -> torch.Tensor:
    """Move unit order[j] of one layer to slot j (its incoming and outgoing entries together).

    ``inc`` and ``out`` are rectangular (every unit of a layer has as many entries as the others).
    """
    new = vec.clone()
    src = torch.as_tensor(order, dtype=torch.long)
    for rows in (inc, out):
        idx = torch.as_tensor(rows, dtype=torch.long).reshape(len(rows), -1)  # [units, entries]
        new[idx.reshape(-1)] = vec[idx[src].reshape(-1)]
    return new


def _sort_units(v: torch.Tensor, layers: list) -> list[list[int]]:
    """Lexicographic order of each layer's units by (incoming, bias, outgoing), layer by layer."""
    orders = []
    for _, inc, out in layers:
        keys = [tuple(v[a].tolist()) + tuple(v[b].tolist()) for a, b in zip(inc, out)]
        order = sorted(range(len(keys)), key=lambda j: keys[j])
        orders.append(order)
        v = _permute(v, inc, out, order)  # the next layer's keys see this layer's order
    return orders


def _flat_map(P: int, layers: list, scales: list[torch.Tensor], orders: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """index [P] and mult [P] with canonical = claim[index] · mult (scale first, then permute)."""
    index = torch.arange(P, dtype=torch.float64)
    mult = torch.ones(P, dtype=torch.float64)
    for (_, inc, out), c in zip(layers, scales):  # a layer's units own disjoint entries
        c = c.to(torch.float64).unsqueeze(1)
        inc_idx = torch.as_tensor(inc, dtype=torch.long).reshape(len(inc), -1)
        out_idx = torch.as_tensor(out, dtype=torch.long).reshape(len(out), -1)
        mult[inc_idx] = mult[inc_idx] * c
        mult[out_idx] = mult[out_idx] / c
    for (_, inc, out), order in zip(layers, orders):
        index, mult = _permute(index, inc, out, order), _permute(mult, inc, out, order)
    return index.long(), mult


def _invariant(setting: Setting, flat: torch.Tensor, moved: torch.Tensor) -> bool:
    """Whether the regularizer (the only part of L that may see raw weights) is unchanged."""
    if not setting.regularizers:
        return True
    a = setting.penalty(setting.unflatten(flat))
    b = setting.penalty(setting.unflatten(moved))
    return bool(torch.isclose(a, b, rtol=1e-12, atol=1e-300).all())


def _random_moves(flat: torch.Tensor, layers: list, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """θ with random unit scales, θ with a random unit permutation (to test the symmetries)."""
    scales = [torch.exp(torch.rand(len(inc), generator=gen, dtype=flat.dtype) - 0.5) for _, inc, _ in layers]
    orders = [torch.randperm(len(inc), generator=gen).tolist() for _, inc, _ in layers]
    P = flat.numel()
    index, mult = _flat_map(P, layers, scales, [list(range(len(o))) for o in orders])
    scaled = flat[index] * mult
    ones = [torch.ones(len(o), dtype=flat.dtype) for o in orders]
    index, mult = _flat_map(P, layers, ones, orders)
    return scaled, flat[index] * mult


def sample_order(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Lexicographic order of the rows of [X | y] ([n] long)."""
    import numpy as np

    keys = torch.cat([X, y.unsqueeze(1)], dim=1).detach().cpu().numpy()
    return torch.as_tensor(np.lexsort(keys.T[::-1]), dtype=torch.long)


def canonical_form(setting: Setting, flat: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                   enabled: bool = True) -> Canonical:
    """The canonical map for the claim point ``flat`` [P] (float64) on data X [n, d], y [n]."""
    P, n = flat.numel(), X.shape[0]
    identity = Canonical(torch.arange(n), torch.arange(P), torch.ones(P, dtype=torch.float64), {}, {}, [])
    if not enabled or not setting.builtin:
        return identity
    identity.sample_order = sample_order(X, y)
    identity.applied.append("sample_order")
    layers = hidden_units(setting)
    if not layers:
        return identity
    flat = flat.detach().cpu()
    scaled, permuted = _random_moves(flat, layers, torch.Generator().manual_seed(7))
    rescale = positively_homogeneous(setting) and _invariant(setting, flat, scaled)
    permute = _invariant(setting, flat, permuted)
    scales = (_balance(flat, layers) if rescale else [torch.ones(len(inc), dtype=flat.dtype) for _, inc, _ in layers])
    ones_index, ones_mult = _flat_map(P, layers, scales, [list(range(len(inc))) for _, inc, _ in layers])
    balanced = flat[ones_index] * ones_mult
    orders = _sort_units(balanced, layers) if permute else [list(range(len(inc))) for _, inc, _ in layers]
    index, mult = _flat_map(P, layers, scales, orders)
    applied = identity.applied + (["unit_rescaling"] if rescale else []) + (["unit_permutation"] if permute else [])
    return Canonical(identity.sample_order, index, mult,
                     {name: order for (name, _, _), order in zip(layers, orders)},
                     {name: [float(c[j]) for j in order] for (name, _, _), c, order in zip(layers, scales, orders)},
                     applied)


def symmetry_directions(setting: Setting, flat: torch.Tensor, canon: Canonical) -> tuple[torch.Tensor, list[str]]:
    """Tangents of the rescaling orbits at ``flat`` [P]: rows [k, P] and the units' names.

    For unit j the orbit is c -> (c·incoming, outgoing/c); its tangent at c = 1 is
    (incoming, −outgoing). Only exact symmetries count: a dead unit's other flat directions (its
    outgoing weight, its incoming weights while every pre-activation stays negative) are flat
    because of the data, not because of the network, and stay out of this list.
    """
    rows, names = [], []
    if "unit_rescaling" in canon.applied:
        for name, inc, out in hidden_units(setting):
            for j, (a, b) in enumerate(zip(inc, out)):
                t = torch.zeros_like(flat)
                t[a], t[b] = flat[a], -flat[b]
                if float(t.norm()) > 0:
                    rows.append(t)
                    names.append(f"{name}[{j}]")
    if not rows:
        return torch.zeros(0, flat.numel(), dtype=flat.dtype, device=flat.device), names
    return torch.stack(rows), names
