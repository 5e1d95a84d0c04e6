"""Known minima to exercise the proofs on (tests and benchmarks).

:func:`interpolating_minimum` builds a network θ* and data on its level sets f = ±1, so that
L(θ*) = 0 up to float64 rounding of the samples: a global, generically strict minimum whose
value is known in advance (0), at any size.
"""
from __future__ import annotations

import torch

from arena.landscape.setting import Setting


def interpolating_minimum(input_dim: int, hidden: int, n: int, neuron: str = "tanh", seed: int = 0,
                          loss: str = "squared") -> tuple[Setting, dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """(setting, θ*, X [n, d], y [n]) with y_i f(x_i; θ*) = 1 to float64 accuracy.

    Each sample lies on a random ray from the origin where f crosses ±1 (found by bisection), so
    ℓ(y_i f(x_i)) ≈ 0 for the squared loss and θ* is a minimiser with Hessian (2/n)JᵀJ.
    """
    setting = Setting.from_config({"network": {"input_dim": input_dim, "hidden": [hidden], "neuron": neuron},
                                   "loss": loss})
    gen = torch.Generator().manual_seed(seed)
    theta = setting.init_params(generator=gen, scale=3.0)
    theta["layers.1.weight"] = theta["layers.1.weight"].sign() * (0.6 + 0.6 * torch.rand(1, hidden, generator=gen, dtype=torch.float64))
    theta["layers.1.bias"] = torch.zeros(1, dtype=torch.float64)
    f = lambda x: setting.output(theta, x)  # noqa: E731
    points, labels = [], []
    while len(points) < n:
        u = torch.randn(64, input_dim, generator=gen, dtype=torch.float64)
        u = u / u.norm(dim=1, keepdim=True)
        for target in (1.0, -1.0):
            far = 4.0 * u
            hit = (f(far) - target) * (f(0 * u) - target) < 0
            lo, hi = torch.zeros(int(hit.sum()), 1, dtype=torch.float64), torch.full((int(hit.sum()), 1), 4.0, dtype=torch.float64)
            dirs = u[hit]
            sign0 = (f(0 * dirs) - target).sign()
            for _ in range(80):
                mid = (lo + hi) / 2
                same = (f(mid * dirs) - target).sign() == sign0
                lo, hi = torch.where(same[:, None], mid, lo), torch.where(same[:, None], hi, mid)
            points.append((lo + hi) / 2 * dirs)
            labels.append(torch.full((int(hit.sum()),), target, dtype=torch.float64))
        points = [torch.cat(points)] if points else []
        labels = [torch.cat(labels)] if labels else []
        if points and points[0].shape[0] >= n:
            break
        points = points if points and points[0].shape[0] else []
    X, y = points[0], labels[0]
    order = torch.randperm(X.shape[0], generator=gen)[:n]
    return setting, theta, X[order], y[order]
