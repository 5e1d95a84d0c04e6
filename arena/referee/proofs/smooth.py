"""Strict minimum of a C² function on a box, and the derivatives of a one-hidden-layer network.

The lemma (strong convexity on a ball): if every symmetric matrix in an enclosure of ∇²F over the
box B∞(θ₀, r) ⊇ B(θ₀, r) has λ_min >= μ > 0 and ‖∇F(θ₀)‖ < μr/2, then F has exactly one
minimiser θ* in B(θ₀, r), it is interior (so a strict local minimiser), ‖θ* − θ₀‖ <= ‖∇F(θ₀)‖/μ and
F(θ₀) − ‖∇F(θ₀)‖²/(2μ) <= F(θ*) <= F(θ₀). On the sphere ‖θ − θ₀‖ = r,
F(θ) >= F(θ₀) − ‖∇F(θ₀)‖r + μr²/2 > F(θ₀), so the minimum over the closed ball is interior.

λ_min over the enclosure: with H_c the midpoint matrix, a float Cholesky factor C of H_c − μ₁I
(any C: it only preconditions) and M = H − μ₁I − CCᵀ evaluated in ball arithmetic,
H − μ₁I = CCᵀ + M ⪰ −‖M‖₂ I for every H in the enclosure, so λ_min >= μ₁ − ‖M‖_F.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
from flint import arb, arb_mat

from arena.referee.proofs.balls import NotCertified, frobenius_upper, inside, loss_derivs, norm_upper, sigma_derivs
from arena.referee.proofs.model import Model


def min_eig_lower(H: arb_mat) -> arb:
    """A rigorous lower bound of λ_min over every symmetric matrix in the ball matrix H."""
    size = H.nrows()
    if size == 0:
        return arb("inf")
    mid = np.array([[float(v.mid()) for v in row] for row in H.tolist()])
    mid = (mid + mid.T) / 2
    lam = float(np.linalg.eigvalsh(mid)[0])
    if not lam > 0:
        raise NotCertified(f"the Hessian's midpoint has λ_min ≈ {lam:.3g} <= 0: not a strict minimum in these coordinates")
    mu1 = 0.9 * lam
    try:
        chol = np.linalg.cholesky(mid - mu1 * np.eye(size))
    except np.linalg.LinAlgError as exc:
        raise NotCertified(f"float Cholesky of H_mid − μ₁I failed ({exc})") from exc
    C = arb_mat(chol.tolist())
    M = H - arb_mat(size, size, [mu1 if i == j else 0 for i in range(size) for j in range(size)]) - C * C.transpose()
    return arb(mu1) - frobenius_upper(M)


@dataclass
class StrictMinimum:
    """The numbers of the lemma, all as balls."""

    loss_at_centre: arb
    grad_norm: arb  # upper bound of ‖∇F(θ₀)‖
    mu: arb  # lower bound of λ_min over the box
    radius: arb
    coordinates: int
    shift: arb | None = None  # ‖θ* − θ₀‖ when θ* is built explicitly rather than found by the lemma

    @property
    def holds(self) -> bool:
        return bool(self.mu > 0) and bool(self.grad_norm < self.mu * self.radius / 2)

    @property
    def minimum_loss(self) -> arb:
        lo = self.loss_at_centre.lower() - (self.grad_norm * self.grad_norm / (2 * self.mu)).upper()
        return arb.union(lo, self.loss_at_centre.upper())

    @property
    def distance(self) -> arb:
        return self.shift if self.shift is not None else (self.grad_norm / self.mu).upper()

    def failure(self) -> str | None:
        if not self.mu > 0:
            return f"λ_min lower bound {self.mu.str(5)} is not > 0 on the box"
        if not self.grad_norm < self.mu * self.radius / 2:
            return (f"‖∇L(θ₀)‖ <= {self.grad_norm.str(5)} is not below μr/2 = {(self.mu * self.radius / 2).str(5)} "
                    "(θ₀ is too far from a stationary point for this radius)")
        return None


def strict_minimum(loss: arb, grad: list[arb], hess: arb_mat, radius: arb) -> StrictMinimum:
    return StrictMinimum(loss, norm_upper(grad), min_eig_lower(hess), radius, len(grad))


def one_hidden_derivatives(model: Model, theta: list[arb], X: arb_mat, y: list[arb],
                           hessian: bool = True) -> tuple[arb, list[arb], arb_mat | None]:
    """L, ∇L and ∇²L of a network with at most one hidden layer, enclosed over the balls θ.

    H = (1/n) Σ_i [ℓ''(m_i) J_i J_iᵀ + ℓ'(m_i) y_i ∇²f_i] with J_i = ∇f(x_i); ∇²f_i has the blocks
    (in_j, in_j) = v_j σ''(z_ij) x̃_i x̃_iᵀ and (in_j, v_j) = σ'(z_ij) x̃_i of each unit j (the exponential
    skip unit a·exp(w·x + b) is one more such unit, with x̃_i = (x_i, 1)); a quadratic regularizer
    R = Σ c_k θ_k² adds 2cθ and diag(2c).
    """
    if len(model.hidden) > 1:
        raise NotCertified("smooth derivatives are implemented for at most one hidden layer")
    n, d, P = len(y), model.d, model.num_params
    (nname, np_), (lname, lp) = model.neuron, model.loss
    xt = [[X[i, k] for k in range(d)] + ([arb(1)] if model.bias else []) for i in range(n)]
    J = [[arb(0)] * P for _ in range(n)]
    f = [arb(0)] * n
    blocks: list[tuple[Any, ...]] = []  # (unit, σ'(z_·j), σ''(z_·j), v_j, its column, inputs)
    top = len(model.hidden)
    if model.hidden:
        z = model.layer_pre(theta, 0, X)
        v = model.vector(theta, "layers.1.weight")
        for j in range(model.hidden[0]):
            ins = [model.index("layers.0.weight", j, k) for k in range(d)]
            ins += [model.index("layers.0.bias", j)] if model.bias else []
            s0, s1, s2 = zip(*(sigma_derivs(nname, np_, z[i, j]) for i in range(n)))
            blocks.append((ins, s1, s2, v[j], model.index("layers.1.weight", 0, j), xt))
            for i in range(n):
                f[i] += v[j] * s0[i]
                J[i][model.index("layers.1.weight", 0, j)] = s0[i]
                for col, xv in zip(ins, xt[i]):
                    J[i][col] = v[j] * s1[i] * xv
    else:
        w = model.vector(theta, "layers.0.weight")
        for i in range(n):
            f[i] += sum((w[k] * X[i, k] for k in range(d)), arb(0))
            for k in range(d):
                J[i][model.index("layers.0.weight", 0, k)] = X[i, k]
    if model.exp:  # a·exp(w·x + b): a unit like the hidden ones with σ = σ' = σ'' = exp and output weight a
        ze = [z.exp() for z in model.exp_pre(theta, X)]
        ins = [model.index("exp.w", k) for k in range(d)] + [model.index("exp.b")]
        a, acol = model.vector(theta, "exp.a")[0], model.index("exp.a")
        blocks.append((ins, ze, ze, a, acol, [[X[i, k] for k in range(d)] + [arb(1)] for i in range(n)]))
        for i in range(n):
            f[i] += a * ze[i]
            J[i][acol] = ze[i]
            for col, xv in zip(ins, blocks[-1][5][i]):
                J[i][col] = a * ze[i] * xv
    for i in range(n):
        if model.bias:
            f[i] += model.vector(theta, f"layers.{top}.bias")[0]
            J[i][model.index(f"layers.{top}.bias", 0)] = arb(1)
        if model.skip:
            s = model.vector(theta, "skip.weight")
            f[i] += sum((s[k] * X[i, k] for k in range(d)), arb(0))
            for k in range(d):
                J[i][model.index("skip.weight", 0, k)] = X[i, k]
    derivs = [loss_derivs(lname, lp, y[i] * f[i]) for i in range(n)]
    loss = sum((dv[0] for dv in derivs), arb(0)) / n + model.penalty_value(theta)
    r = [derivs[i][1] * y[i] / n for i in range(n)]
    Jm = arb_mat(J)
    grad = [g for (g,) in (Jm.transpose() * arb_mat([[ri] for ri in r])).tolist()]
    pen = model.penalty or [arb(0)] * P  # R = Σ c_k θ_k²: ∇R = 2cθ, ∇²R = diag(2c)
    grad = [g + 2 * c * t for g, c, t in zip(grad, pen, theta)]
    if not hessian:
        return loss, grad, None
    q = [derivs[i][2] / n for i in range(n)]
    H = (Jm.transpose() * arb_mat([[q[i] * e for e in J[i]] for i in range(n)])).tolist()
    for ins, s1, s2, vj, vcol, xin in blocks:
        XtT = arb_mat(xin).transpose()
        cross = XtT * arb_mat([[r[i] * s1[i]] for i in range(n)])  # Σ_i r_i σ'(z_ij) x̃_i
        inner = XtT * arb_mat([[r[i] * s2[i] * e for e in xin[i]] for i in range(n)])  # Σ_i r_i σ''(z_ij) x̃_i x̃_iᵀ
        for ia, ca in enumerate(ins):
            H[ca][vcol] += cross[ia, 0]
            H[vcol][ca] += cross[ia, 0]
            for ib, cb in enumerate(ins):
                H[ca][cb] += vj * inner[ia, ib]
    for k, c in enumerate(pen):
        H[k][k] += 2 * c
    return loss, grad, arb_mat(H)


def check_lemma(need: Callable[[bool, str, str], None], lem: StrictMinimum, stated: Mapping[str, Any],
                cert: Mapping[str, Any], radius: float, f: str = "L", at: str = "θ*") -> arb:
    """Hold a certificate's stated lemma bounds against the re-derived ``lem``, one ``need`` per
    bound (``f``, ``at``: how the loss and the minimiser are written); returns the minimum's enclosure."""
    need(arb(stated["mu_lower"]) <= lem.mu and stated["mu_lower"] > 0,
         f"λ_min(∇²{f}) >= {stated['mu_lower']:.6g} over the box of radius {radius:g}",
         f"stated λ_min lower bound {stated['mu_lower']!r} is not implied by the re-derived {lem.mu.str(8)}")
    need(lem.grad_norm <= arb(stated["grad_norm_upper"]), f"‖∇{f}(θ₀)‖ <= {stated['grad_norm_upper']:.3g}",
         f"stated gradient bound {stated['grad_norm_upper']!r} is below the re-derived {lem.grad_norm.str(8)}")
    need(lem.holds, f"‖∇{f}(θ₀)‖ < μr/2: the lemma applies", f"the lemma fails: {lem.failure()}")
    need(lem.distance <= arb(stated["distance_to_minimiser_upper"]), "distance to the minimiser bounded",
         f"stated distance {stated['distance_to_minimiser_upper']!r} is below the re-derived {lem.distance.str(8)}")
    need(inside(lem.loss_at_centre, cert["loss_at_centre"]), f"{f}(θ₀) in {cert['loss_at_centre']}",
         f"stated {f}(θ₀) enclosure {cert['loss_at_centre']} does not contain the re-derived {lem.loss_at_centre.str(12)}")
    need(inside(lem.minimum_loss, cert["minimum_loss"]), f"{f}({at}) in {cert['minimum_loss']}",
         f"stated {f}({at}) enclosure {cert['minimum_loss']} does not contain the re-derived {lem.minimum_loss.str(12)}")
    return lem.minimum_loss
