"""Exact symmetries of the built-in network, applied to a claim (for the invariance tests)."""
from __future__ import annotations

import torch

from arena.claims import Claim
from arena.landscape.setting import Setting


def transform(claim: Claim, *, unit_scales: list[torch.Tensor] | None = None,
              unit_orders: list[torch.Tensor] | None = None, sample_order: torch.Tensor | None = None,
              float32: bool = False) -> Claim:
    """The same network function on the same data: hidden layer i's units rescaled by
    unit_scales[i] (incoming × c, outgoing ÷ c) and reordered by unit_orders[i]; samples reordered."""
    setting = Setting.from_config(claim.setting)
    depth = len(setting.mlp.hidden)
    theta = {k: v.detach().clone().to(torch.float64) for k, v in claim.theta.items()}
    witness = None if claim.witness is None else {k: v.detach().clone() for k, v in claim.witness.items()}
    for i in range(depth):
        w, b, nxt = f"layers.{i}.weight", f"layers.{i}.bias", f"layers.{i + 1}.weight"
        if unit_scales is not None:
            c = unit_scales[i].to(torch.float64)
            theta[w] = theta[w] * c[:, None]
            if b in theta:
                theta[b] = theta[b] * c
            theta[nxt] = theta[nxt] / c[None, :]
        if unit_orders is not None:
            o = unit_orders[i]
            theta[w] = theta[w][o]
            if b in theta:
                theta[b] = theta[b][o]
            theta[nxt] = theta[nxt][:, o]
    X, y = claim.X, claim.y
    if sample_order is not None:
        X, y = X[sample_order], y[sample_order]
    if float32:
        theta = {k: v.float() for k, v in theta.items()}
        X, y = X.float(), y.float()
    return Claim(claim.setting, X.clone(), y.clone(), theta, witness=witness)
