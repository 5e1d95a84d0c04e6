"""Fits of a network's output layer: the best affine (or last-layer) fit of a convex margin loss
(:func:`convex_fit`, damped Newton in float64) and a witness's last layer (:func:`fit_output_layer`).

The attacks that pin a network to one affine piece or one constant use these to set the output
layer, and to build witnesses: points of the same network with lower loss.
"""
from __future__ import annotations

import torch

from arena.assumptions import scale_to_margin
from arena.landscape.losses import Loss
from arena.landscape.setting import Params, Setting


def convex_fit(loss: Loss, F: torch.Tensor, y: torch.Tensor, *, theta0: torch.Tensor | None = None,
               max_iter: int = 200, tol: float = 1e-14) -> tuple[torch.Tensor, float, float]:
    """argmin_θ (1/n) Σ ℓ(y_i F_i·θ) for a convex C¹ margin loss, by damped Newton in float64.

    F: [n, k] features (include a ones column for a bias), y: [n] in {-1, +1}. Steps are the
    minimum-norm solutions of H s = −g (features may be collinear); Armijo backtracking, gradient
    steps when Newton stalls. Returns (θ [k], loss, gradient norm); the squared loss is solved by
    least squares directly. Diverges (and stops at ``max_iter``) when the infimum is not attained.
    """
    F = F.to(torch.float64)
    y = y.to(torch.float64)
    if loss.name == "squared":
        theta = torch.linalg.lstsq(F, y.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
        return theta, *_value_and_grad_norm(loss, F, y, theta)
    theta = torch.zeros(F.shape[1], dtype=torch.float64) if theta0 is None else theta0.clone().to(torch.float64)

    def objective(t: torch.Tensor) -> torch.Tensor:
        return loss(y * (F @ t)).mean()

    for _ in range(max_iter):
        g = torch.autograd.functional.jacobian(objective, theta)
        if float(g.norm()) <= tol:
            break
        H = torch.autograd.functional.hessian(objective, theta)
        step = -torch.linalg.pinv(H, hermitian=True, rtol=1e-12) @ g
        if not float(step @ g) < 0:  # Newton direction useless (flat curvature): plain gradient
            step = -g
        value = float(objective(theta))
        t = 1.0
        while t > 1e-20:
            cand = theta + t * step
            if float(objective(cand)) <= value + 1e-4 * t * float(step @ g):
                break
            t *= 0.5
        else:
            break
        theta = cand
    return theta, *_value_and_grad_norm(loss, F, y, theta)



def _value_and_grad_norm(loss: Loss, F: torch.Tensor, y: torch.Tensor, theta: torch.Tensor) -> tuple[float, float]:
    t = theta.detach().clone().requires_grad_(True)
    value = loss(y * (F @ t)).mean()
    (g,) = torch.autograd.grad(value, t)
    return float(value.detach()), float(g.norm())



def witness_margin(loss: Loss) -> float:
    """Margin a separating witness is scaled to: past the hinge, far out for logistic-like losses."""
    if loss.hinge_type:
        return 2.0
    return 20.0 if loss.monotone else 1.0



def fit_output_layer(setting: Setting, params: Params, X: torch.Tensor, y: torch.Tensor) -> Params:
    """Refit the last layer of a built-in MLP on its own last hidden features (unbatched params).

    Least squares on [h, 1] first; a zero-error fit is then rescaled to :func:`witness_margin`
    (unless the loss is squared, for which least squares is already optimal); otherwise the convex
    fit of the loss is used when it is lower. X: [n, d], y: [n].
    """
    m = setting.mlp
    last = len(m.hidden)
    if last == 0:
        raise ValueError("network has no hidden layer")
    h = setting.neuron(setting.preactivations(params, X)[f"layers.{last - 1}"])
    F = torch.cat([h, torch.ones(len(y), 1, dtype=torch.float64)], dim=1)
    sol = torch.linalg.lstsq(F, y.unsqueeze(-1).to(torch.float64), driver="gelsd").solution.squeeze(-1)
    out = _with_last_layer(setting, params, sol)
    loss = setting.loss_fn
    if loss.name == "squared":
        return out
    if float(setting.train_error(out, X, y)) == 0:
        scaled = scale_to_margin(setting, out, X, y, witness_margin(loss))
        if scaled is not None:
            return scaled
    theta, _, _ = convex_fit(loss, F, y, theta0=sol, max_iter=100)
    fitted = _with_last_layer(setting, params, theta)
    if float(setting.empirical_loss(fitted, X, y)) < float(setting.empirical_loss(out, X, y)):
        return fitted
    return out



def _with_last_layer(setting: Setting, params: Params, theta: torch.Tensor) -> Params:
    last = len(setting.mlp.hidden)
    out = {k: v.clone() for k, v in params.items()}
    out[f"layers.{last}.weight"] = theta[:-1].reshape(1, -1).clone()
    out[f"layers.{last}.bias"] = theta[-1:].clone()
    return out
