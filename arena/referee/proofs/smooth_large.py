"""The strict-minimum lemma at thousands of parameters: L, ∇L and ∇²L in float midpoint-radius form.

The same formulas as :func:`arena.referee.proofs.smooth.one_hidden_derivatives` (a network with at
most one hidden layer, a bias, skip weights and a quadratic regularizer R = Σ c_k θ_k²), evaluated
with :mod:`.midrad` instead of dense ``arb`` matrices, so the Hessian enclosure costs a few float
matrix products (n·P² flops) and λ_min one float Cholesky (:mod:`.posdef`):

    H = Jᵀ diag(ℓ''/n) J + Σ_j [(in_j, in_j): v_j Σ_i r_i σ''(z_ij) x̃_i x̃_iᵀ,
                               (in_j, v_j):  Σ_i r_i σ'(z_ij) x̃_i] + diag(2c),   r_i = ℓ'(m_i) y_i / n.

J: [n, P] with the columns of the incoming weights v_j σ'(z_ij) x̃_i, of the output weights σ(z_ij),
of the output bias 1 and of the skip weights x_i, in the setting's parameter order.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from flint import arb
from scipy.sparse.linalg import LinearOperator, eigsh

from arena.referee.proofs.balls import NotCertified, loss_derivs, sigma_derivs
from arena.referee.proofs.midrad import Balls, add, apply, divide, gamma, matmul, mul, norm_upper, scale, sum_arb, up
from arena.referee.proofs.model import Model
from arena.referee.proofs.posdef import min_eig_lower
from arena.referee.proofs.smooth import StrictMinimum


def _check_model(model: Model) -> None:
    if len(model.hidden) > 1 or model.exp:
        raise NotCertified("the large strict-minimum lemma covers at most one hidden layer, without the exponential unit")


def _block(theta: Balls, model: Model, name: str) -> Balls:
    start, shape = model.offsets[name]
    size = int(np.prod(shape)) if shape else 1
    return Balls(theta.mid[start:start + size].reshape(shape), theta.rad[start:start + size].reshape(shape))


def _forward(model: Model, theta: Balls, X: np.ndarray) -> tuple[Balls, list[Balls], np.ndarray]:
    """f [n] and, with a hidden layer, [σ(Z), σ'(Z), σ''(Z)] [n, h]; x̃ = (x, 1) or x [n, d(+1)]."""
    n = X.shape[0]
    Xt = np.hstack([X, np.ones((n, 1))]) if model.bias else X
    f = Balls.exact(np.zeros(n))
    sig: list[Balls] = []
    if model.hidden:
        W = _block(theta, model, "layers.0.weight")
        if model.bias:
            b = _block(theta, model, "layers.0.bias")
            W = Balls(np.hstack([W.mid, b.mid[:, None]]), np.hstack([W.rad, b.rad[:, None]]))
        Z = matmul(Balls.exact(Xt), W.T)
        nname, np_ = model.neuron
        sig = apply(lambda z: sigma_derivs(nname, np_, z), Z, 3)
        f = matmul(sig[0], _block(theta, model, "layers.1.weight").T)[:, 0]
    else:
        f = matmul(Balls.exact(X), _block(theta, model, "layers.0.weight").T)[:, 0]
    top = len(model.hidden)
    if model.bias:
        c = _block(theta, model, f"layers.{top}.bias")
        f = add(f, Balls(np.broadcast_to(c.mid, (n,)), np.broadcast_to(c.rad, (n,))))
    if model.skip:
        f = add(f, matmul(Balls.exact(X), _block(theta, model, "skip.weight").T)[:, 0])
    return f, sig, Xt


def _jacobian(model: Model, theta: Balls, X: np.ndarray, sig: list[Balls], Xt: np.ndarray) -> Balls:
    """J = ∂f_i/∂θ: [n, P] in the setting's parameter order."""
    n = X.shape[0]
    J = Balls(np.zeros((n, model.num_params)), np.zeros((n, model.num_params)))

    def put(name: str, cols: Balls) -> None:
        start, shape = model.offsets[name]
        size = int(np.prod(shape)) if shape else 1
        J.mid[:, start:start + size] = cols.mid.reshape(n, size)
        J.rad[:, start:start + size] = cols.rad.reshape(n, size)

    top = len(model.hidden)
    if model.hidden:
        v = _block(theta, model, "layers.1.weight")[0]  # [h]
        gain = mul(sig[1], Balls(v.mid[None, :], v.rad[None, :]))  # v_j σ'(z_ij) [n, h]
        cols = scale(Balls(gain.mid[:, :, None], gain.rad[:, :, None]), Xt[:, None, :])  # [n, h, d(+1)]
        d = model.d
        put("layers.0.weight", cols[:, :, :d])
        if model.bias:
            put("layers.0.bias", cols[:, :, d])
        put("layers.1.weight", sig[0])
    else:
        put("layers.0.weight", Balls.exact(X))
    if model.bias:
        put(f"layers.{top}.bias", Balls.exact(np.ones((n, 1))))
    if model.skip:
        put("skip.weight", Balls.exact(X))
    return J


def _unit_blocks(model: Model, theta: Balls, H: Balls, sig: list[Balls], r: Balls, Xt: np.ndarray) -> None:
    """Add Σ_i r_i ∇²f_i (the blocks of each hidden unit) to H in place."""
    h, k = model.hidden[0], Xt.shape[1]
    v = _block(theta, model, "layers.1.weight")[0]
    rs2 = mul(sig[2], Balls(r.mid[:, None], r.rad[:, None]))  # r_i σ''(z_ij) [n, h]
    absX = np.abs(Xt)
    inner_mid = np.einsum("ij,ik,il->jkl", rs2.mid, Xt, Xt, optimize=True)  # [h, k, k]
    inner_rad = np.einsum("ij,ik,il->jkl", rs2.rad + gamma(Xt.shape[0] + 4) * np.abs(rs2.mid), absX, absX, optimize=True)
    inner = mul(Balls(inner_mid, up(inner_rad)), Balls(v.mid[:, None, None], v.rad[:, None, None]))
    cross = matmul(Balls.exact(Xt.T), mul(sig[1], Balls(r.mid[:, None], r.rad[:, None])))  # [k, h]
    w0 = model.offsets["layers.0.weight"][0]
    b0 = model.offsets["layers.0.bias"][0] if model.bias else None
    vcol = model.offsets["layers.1.weight"][0] + np.arange(h)
    ins = w0 + np.arange(h)[:, None] * model.d + np.arange(model.d)[None, :]  # [h, d]
    if b0 is not None:
        ins = np.hstack([ins, (b0 + np.arange(h))[:, None]])  # [h, k]
    rows, cols = ins[:, :, None].repeat(k, 2), ins[:, None, :].repeat(k, 1)
    _scatter_add(H, rows.ravel(), cols.ravel(), inner.mid.ravel(), inner.rad.ravel())
    c_rows, c_cols = ins.ravel(), vcol.repeat(k)
    _scatter_add(H, c_rows, c_cols, cross.mid.T.ravel(), cross.rad.T.ravel())
    _scatter_add(H, c_cols, c_rows, cross.mid.T.ravel(), cross.rad.T.ravel())


def _scatter_add(H: Balls, rows: np.ndarray, cols: np.ndarray, mid: np.ndarray, rad: np.ndarray) -> None:
    """H[rows, cols] += (mid ± rad), every (row, col) pair distinct."""
    new = H.mid[rows, cols] + mid
    H.rad[rows, cols] = up(H.rad[rows, cols] + rad + 2.0 ** -53 * np.abs(new))
    H.mid[rows, cols] = new


def _loss_terms_and_gradient(model: Model, centre: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[Balls, Balls]:
    """ℓ(m_i) [n] and ∇L(θ₀) [P] (the regularizer's gradient included), enclosed."""
    _check_model(model)
    n = X.shape[0]
    theta = Balls.exact(centre)
    f, sig, Xt = _forward(model, theta, X)
    lname, lp = model.loss
    l0, l1, _ = apply(lambda m: loss_derivs(lname, lp, m), scale(f, y), 3)
    grad = matmul(_jacobian(model, theta, X, sig, Xt).T, divide(scale(l1, y), n)[:, None])[:, 0]
    c = _penalty(model)
    return l0, grad if c is None else add(grad, scale(Balls.exact(2 * c), centre))


def gradient_mid(model: Model, centre: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇L(θ₀) in floats ([P]; only to choose a centre, nothing rests on it)."""
    return _loss_terms_and_gradient(model, centre, X, y)[1].mid


def newton_centre(model: Model, centre: np.ndarray, X: np.ndarray, y: np.ndarray,
                  steps: int = 8) -> tuple[np.ndarray, float]:
    """θ₀ after up to ``steps`` float Newton steps, and an estimate of λ_min(∇²L) there.

    A polished point of L-BFGS has ‖∇L‖ ~ 1e-9 at 10⁴ parameters, far above what the lemma needs;
    the refined point is a float choice that the certificate states and the re-check takes as given.
    λ_min comes from Lanczos on H⁻¹ through the same Cholesky factor (its small eigenvalues are
    clustered, which makes Lanczos on H itself take thousands of products).
    """
    _check_model(model)
    theta = np.asarray(centre, dtype=np.float64).copy()
    lam, last = 0.0, np.inf
    for step in range(steps):
        H = hessian_enclosure(model, theta, 0.0, X, y, mid_only=True).mid
        H += H.T
        H *= 0.5
        try:
            factor = scipy.linalg.cho_factor(H, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            lam = 0.0
            break
        lam = _smallest_by_inverse(factor, len(theta))
        g = gradient_mid(model, theta, X, y)
        size = float(np.linalg.norm(g))
        if size <= 1e-15 * max(1.0, float(np.abs(theta).max())) or (step >= 3 and size > 0.5 * last):
            break  # at float resolution, or no longer converging quadratically
        last = size
        theta = theta - scipy.linalg.cho_solve(factor, g, check_finite=False)
    return theta, lam


def _smallest_by_inverse(factor: tuple[np.ndarray, bool], size: int) -> float:
    """λ_min of H from the largest eigenvalue of H⁻¹ (Lanczos; H's Cholesky factor applies H⁻¹)."""
    if size <= 2:
        return float(1 / np.linalg.eigvalsh(scipy.linalg.cho_solve(factor, np.eye(size)))[-1])
    inverse = LinearOperator((size, size), matvec=lambda v: scipy.linalg.cho_solve(factor, v, check_finite=False),
                             dtype=np.float64)
    start = np.random.default_rng(0).standard_normal(size)
    return float(1 / eigsh(inverse, k=1, which="LA", tol=1e-3, v0=start, return_eigenvectors=False)[0])


def value_and_gradient(model: Model, centre: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[arb, arb]:
    """L(θ₀) enclosed and an upper bound of ‖∇L(θ₀)‖: centre [P], X [n, d] float64, y [n] ±1."""
    l0, grad = _loss_terms_and_gradient(model, centre, X, y)
    loss = sum_arb(l0) / X.shape[0]
    c = _penalty(model)
    if c is not None:
        loss += sum((arb(ck) * arb(t) ** 2 for ck, t in zip(c.tolist(), centre.tolist()) if ck), arb(0))
    return loss, norm_upper(grad)


def hessian_enclosure(model: Model, centre: np.ndarray, radius: float, X: np.ndarray, y: np.ndarray,
                      mid_only: bool = False) -> Balls:
    """∇²L over the box θ₀ ± radius: [P, P] (every Hessian of a point of the box lies in it).

    ``mid_only``: the float Hessian alone (its dominant product without a radius), for the
    centre's Newton steps; the result is then not an enclosure."""
    _check_model(model)
    n = X.shape[0]
    theta = Balls.around(centre, radius)
    f, sig, Xt = _forward(model, theta, X)
    lname, lp = model.loss
    _, l1, l2 = apply(lambda m: loss_derivs(lname, lp, m), scale(f, y), 3)
    J = _jacobian(model, theta, X, sig, Xt)
    q = divide(l2, n)
    H = matmul(J.T, mul(J, Balls(q.mid[:, None], q.rad[:, None])), mid_only)
    del J
    if model.hidden:
        _unit_blocks(model, theta, H, sig, divide(scale(l1, y), n), Xt)
    c = _penalty(model)
    if c is not None:
        diag = np.diag_indices(model.num_params)
        H.mid[diag] += 2 * c
        H.rad[diag] = up(H.rad[diag] + 2.0 ** -53 * np.abs(H.mid[diag]))
    return H


def _penalty(model: Model) -> np.ndarray | None:
    """The c_k of R = Σ c_k θ_k² as floats (each is an exact float: weight/2 or a float λ_k)."""
    if not model.penalty:
        return None
    out = np.array([float(ck.mid()) for ck in model.penalty])
    if any(ck.rad() != 0 or arb(float(ck.mid())) != ck for ck in model.penalty):
        raise NotCertified("a regularizer coefficient is not an exact float")
    return out


def strict_minimum_large(model: Model, centre: list[float], radius: float, X: np.ndarray, y: np.ndarray,
                         shift: float | None = None, estimate: float | None = None) -> tuple[StrictMinimum, dict]:
    """The lemma's numbers (as in :func:`.smooth.strict_minimum`) and the λ_min bound's inputs
    (``shift``, ``estimate``: see :func:`.posdef.min_eig_lower`)."""
    c = np.asarray(centre, dtype=np.float64)
    loss, gnorm = value_and_gradient(model, c, X, y)
    mu, info = min_eig_lower(hessian_enclosure(model, c, radius, X, y), shift, estimate)
    return StrictMinimum(loss, gnorm, mu, arb(radius), model.num_params), info
