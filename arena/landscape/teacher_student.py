"""The Safran–Shamir teacher–student task: a population loss in closed form (no dataset).

Student f(x) = Σᵢ relu(wᵢᵀx) (n units, output weights fixed to 1), teacher g(x) = Σⱼ relu(vⱼᵀx)
(k units, V = the first k rows of I_d by default), inputs x ~ N(0, I_d), and

    F(W) = ½ E[(f(x) − g(x))²] = ½ Σᵢᵢ' κ(wᵢ, wᵢ') − Σᵢⱼ κ(wᵢ, vⱼ) + ½ Σⱼⱼ' κ(vⱼ, vⱼ')

with the arc-cosine kernel κ(u, v) = E[relu(uᵀx) relu(vᵀx)] = ‖u‖‖v‖/(2π)·(sin θ + (π − θ) cos θ),
θ = ∠(u, v), and κ(u, u) = ‖u‖²/2. Safran & Shamir, "Spurious Local Minima are Common in Two-Layer
ReLU Neural Networks", ICML 2018 (arXiv 1712.08968).

Every function takes W: [K, n, d] float64 (K points at once) and V: [k, d]. The gradient and the
Hessian are closed forms (derived in docs/search.md), with θ = ∠(w, u), w̄ = w/‖w‖ and the unit
vectors n_wu = (ū − cos θ w̄)/sin θ, n_uw = (w̄ − cos θ ū)/sin θ:

    ∇_w κ(w, u)      = (‖u‖ sin θ · w̄ + (π − θ) u) / 2π
    ∇²_ww κ(w, u)    = ‖u‖ sin θ / (2π‖w‖) · (I − w̄w̄ᵀ + n_wu n_wuᵀ)
    ∇²_wu κ(w, u)    = ((π − θ) I + w̄ n_wuᵀ + ū n_uwᵀ) / 2π   (rows: w, columns: u)

F is smooth away from wᵢ = 0 and from pairs of parallel vectors (θ = 0 or π), where the terms with
1/sin θ blow up; the formulas hold on that open set. Parameters flatten row-major: index i·d + c.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import torch

TWO_PI = 2 * math.pi


def widen(width: int, extra: str) -> int:
    """A student widened by ``extra``: n -> n + 1 ("+1"), n + 2 ("+2") or 2n ("x2")."""
    return 2 * width if extra == "x2" else width + int(extra[1:])


def teacher(k: int, d: int, *, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> torch.Tensor:
    """The default teacher: V = the first k rows of I_d, [k, d] (orthonormal units)."""
    if not 1 <= k <= d:
        raise ValueError(f"teacher needs 1 <= k <= d, got k={k}, d={d}")
    return torch.eye(k, d, dtype=dtype, device=device)


def _geometry(U: torch.Tensor, Z: torch.Tensor, same: bool) -> tuple[torch.Tensor, ...]:
    """Norms, cos θ and θ between the rows of U [K, m, d] and Z [K or 1, p, d]: [K, m, 1], [K, 1, p], [K, m, p] ×2.

    With ``same`` (Z is U) the diagonal's cos is set to 0 before arccos, so autograd never sees
    arccos' infinite slope at cos = 1; the diagonal is replaced by κ(u, u) = ‖u‖²/2 by the callers.
    """
    tiny = torch.finfo(U.dtype).tiny
    nu = U.norm(dim=-1, keepdim=True)
    nz = Z.norm(dim=-1).unsqueeze(-2)
    cos = (U @ Z.transpose(-1, -2)) / (nu * nz).clamp_min(tiny)
    if same:
        eye = torch.eye(U.shape[-2], dtype=torch.bool, device=U.device)
        cos = torch.where(eye, torch.zeros_like(cos), cos)
    cos = cos.clamp(-1.0, 1.0)
    return nu, nz, cos, torch.arccos(cos)


def kernel(U: torch.Tensor, Z: torch.Tensor, same: bool = False) -> torch.Tensor:
    """κ(uᵢ, zⱼ) for every pair: U [K, m, d], Z [K or 1, p, d] -> [K, m, p]."""
    nu, nz, cos, th = _geometry(U, Z, same)
    G = nu * nz / TWO_PI * (torch.sin(th) + (math.pi - th) * cos)
    if same:
        eye = torch.eye(U.shape[-2], dtype=torch.bool, device=U.device)
        G = torch.where(eye, (nu * nu).expand_as(G) / 2, G)
    return G


def population_loss(W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """F(W): W [K, n, d], V [k, d] -> [K] (differentiable by autograd)."""
    Vb = V.unsqueeze(0)
    ww = kernel(W, W, same=True).sum((-1, -2))
    wv = kernel(W, Vb).sum((-1, -2))
    vv = kernel(Vb, Vb, same=True).sum((-1, -2))
    return 0.5 * ww - wv + 0.5 * vv


def population_grad(W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """∇F(W): [K, n, d] (closed form).

    ∇_{wᵢ}F = wᵢ/2 + Σ_{i'≠i} ∇κ(wᵢ, wᵢ') − Σⱼ ∇κ(wᵢ, vⱼ), evaluated as one pass over the rows of
    Z = [W; V] with signs +1 (students) and −1 (teacher).
    """
    K, n, d = W.shape
    tiny = torch.finfo(W.dtype).tiny
    Z = torch.cat([W, V.unsqueeze(0).expand(K, -1, -1)], dim=1)  # [K, n + k, d]
    nz = Z.norm(dim=-1)  # [K, n + k]
    inv = 1.0 / nz.clamp_min(tiny)
    cos = (W @ Z.transpose(-1, -2)).mul_(inv[:, :n].unsqueeze(-1)).mul_(inv.unsqueeze(-2)).clamp_(-1.0, 1.0)
    # the i' = i terms are dropped by ``sign`` below; their cos (= 1) is set to 0 so that forward-mode
    # derivatives (Hessian-vector products) never meet √ and arccos' infinite slopes at cos = 1
    cos[:, :, :n].diagonal(dim1=-2, dim2=-1).zero_()
    sign = torch.ones(n, n + V.shape[0], dtype=W.dtype, device=W.device)
    sign[:, n:] = -1
    sign[:, :n].fill_diagonal_(0.0)  # the i' = i term is κ(wᵢ, wᵢ) = ‖wᵢ‖²/2, whose gradient is wᵢ/2
    # sin θ as √((1 − cos)(1 + cos)): as accurate as sin(arccos(cos)) and cheaper; in-place ops
    # keep the [K, n, n + k] temporaries few (the loop is memory-bound)
    sin_signed = ((1 - cos) * (1 + cos)).sqrt_().mul_(sign)
    S = sin_signed @ nz.unsqueeze(-1)  # Σ_z ±‖z‖ sin θ: [K, n, 1]
    P = torch.arccos(cos).neg_().add_(math.pi).mul_(sign)  # ±(π − θ)
    return W / 2 + (S * W * inv[:, :n].unsqueeze(-1) + P @ Z) / TWO_PI


def _pair_terms(U: torch.Tensor, Z: torch.Tensor, same: bool) -> tuple[torch.Tensor, ...]:
    """ū [K,m,1,d], z̄ [K,1,p,d], n_uz, n_zu [K,m,p,d], cos, θ, ‖z‖/‖u‖ and sin θ [K,m,p,1] for the Hessian."""
    nu, nz, cos, th = _geometry(U, Z, same)
    tiny = torch.finfo(U.dtype).tiny
    ub = (U / nu.clamp_min(tiny)).unsqueeze(-2)
    zb = (Z / nz.transpose(-1, -2).clamp_min(tiny)).unsqueeze(-3)
    sin = torch.sin(th).unsqueeze(-1)
    c = cos.unsqueeze(-1)
    safe = sin.clamp_min(tiny)
    n_uz = (zb - c * ub) / safe
    n_zu = (ub - c * zb) / safe
    return ub, zb, n_uz, n_zu, c, th.unsqueeze(-1), (nz / nu.clamp_min(tiny)).unsqueeze(-1), sin


def _self_block(terms: tuple[torch.Tensor, ...], same: bool) -> torch.Tensor:
    """Σⱼ ∇²_uu κ(uᵢ, zⱼ) for each i (j ≠ i when ``same``), from :func:`_pair_terms`: [K, m, d, d]."""
    ub, _, n_uz, _, _, _, ratio, sin = terms
    m, d = ub.shape[1], ub.shape[-1]
    weight = (ratio * sin).squeeze(-1) / TWO_PI  # [K, m, p]
    if same:
        weight = weight.masked_fill(torch.eye(m, dtype=torch.bool, device=ub.device), 0.0)
    u = ub.squeeze(-2)
    proj = torch.eye(d, dtype=u.dtype, device=u.device) - u.unsqueeze(-1) * u.unsqueeze(-2)  # [K, m, d, d]
    nn_sum = torch.einsum("kmp,kmpa,kmpb->kmab", weight, n_uz, n_uz)
    return weight.sum(-1)[..., None, None] * proj + nn_sum


def population_hessian(W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """∇²F(W): [K, n·d, n·d] (closed form, rows and columns in row-major order of W)."""
    K, n, d = W.shape
    ww = _pair_terms(W, W, True)
    diag = (0.5 * torch.eye(d, dtype=W.dtype, device=W.device) + _self_block(ww, True)
            - _self_block(_pair_terms(W, V.unsqueeze(0), False), False))  # [K, n, d, d]
    ub, zb, n_uz, n_zu, _, th, _, _ = ww
    # built in place in the final layout H[k, i, a, j, b] (one full-size temporary, no permute copy):
    # ((π − θᵢⱼ) δ_ab + w̄ᵢ[a] n_ij[b] + w̄ⱼ[a] n_ji[b]) / 2π off the block diagonal
    H = torch.empty(K, n, d, n, d, dtype=W.dtype, device=W.device)
    torch.mul(ub.squeeze(-2)[:, :, :, None, None], n_uz[:, :, None, :, :], out=H)
    H.add_(zb.squeeze(-3).transpose(1, 2)[:, None, :, :, None] * n_zu[:, :, None, :, :])
    H.diagonal(dim1=2, dim2=4).add_((math.pi - th.squeeze(-1))[..., None])
    H.div_(TWO_PI)
    idx = torch.arange(n, device=W.device)
    H[:, idx, :, idx, :] = diag.transpose(0, 1)
    return H.reshape(K, n * d, n * d)


def exact_global_minimiser(n: int, V: torch.Tensor) -> torch.Tensor:
    """A point with F = 0 for n >= k students: W [n, d].

    The first k − 1 rows are v₁..v_{k−1}; the last teacher unit is split into n − k + 1 parallel
    copies v_k/(n − k + 1). By positive homogeneity Σ relu(v_kᵀx/m) over m copies is relu(v_kᵀx),
    so the student equals the teacher everywhere (exactly, not only up to rounding).
    """
    k = V.shape[0]
    if n < k:
        raise ValueError(f"a student with n={n} < k={k} units cannot realise the teacher")
    copies = n - k + 1
    return torch.cat([V[: k - 1], V[k - 1 :].expand(copies, -1) / copies], dim=0).clone()


# ---------------------------------------------------------------------------------------------
# the setting: what the referee, the match and the attackers see


class _PopulationLoss:
    """Stands in for a margin loss where the referee reads loss properties (no samples, no margins)."""

    name = "population_squared"
    hinge_type = False
    convex = True


@dataclass(frozen=True)
class TeacherStudentSetting:
    """The teacher–student population task as a setting: one parameter ``W`` [n, d], no data.

    It offers the interface the referee and the engine use from :class:`arena.landscape.setting.Setting`
    (``param_shapes``, ``flatten``/``unflatten``, ``empirical_loss(params, X, y)`` with X [0, d] and
    y [0] ignored, ...). ``population`` marks it as a task whose claims carry no samples.
    """

    k: int
    n: int
    d: int

    population: ClassVar[bool] = True
    builtin: ClassVar[bool] = False
    neuron: ClassVar[None] = None
    regularizers: ClassVar[tuple] = ()
    loss_fn: ClassVar[_PopulationLoss] = _PopulationLoss()

    def __post_init__(self) -> None:
        for key in ("k", "n", "d"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting teacher_student: {key} must be a positive integer, got {value!r}")
        if self.k > self.d:
            raise ValueError(f"setting teacher_student: k={self.k} orthonormal teacher units need d >= k, got d={self.d}")
        if self.n * self.d > 100_000:
            raise ValueError(f"setting teacher_student: n·d = {self.n * self.d} parameters is too large")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "TeacherStudentSetting":
        unknown = set(cfg) - {"task", "k", "n", "d", "name"}
        if unknown:
            raise ValueError(f"setting teacher_student: unknown keys {sorted(unknown)}; known: task, k, n, d")
        if cfg.get("task") != TASK:
            raise ValueError(f"setting: task must be {TASK!r}, got {cfg.get('task')!r}")
        missing = [key for key in ("k", "n") if key not in cfg]
        if missing:
            raise ValueError(f"setting teacher_student: missing {missing}")
        return cls(cfg["k"], cfg["n"], cfg.get("d", cfg["k"]))

    def to_config(self) -> dict[str, Any]:
        return {"task": TASK, "k": self.k, "n": self.n, "d": self.d}

    def replace(self, **changes: Any) -> "TeacherStudentSetting":
        return TeacherStudentSetting.from_config({**self.to_config(), **changes})

    def describe(self) -> str:
        return f"teacher-student relu k={self.k} n={self.n} d={self.d} | population squared loss"

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.n, self.d)}

    @property
    def num_params(self) -> int:
        return self.n * self.d

    @property
    def input_dim(self) -> int:
        return self.d

    def teacher(self, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> torch.Tensor:
        return teacher(self.k, self.d, dtype=dtype, device=device)

    # -- evaluation (X, y are ignored: the loss is an expectation over x ~ N(0, I_d)) ----------
    def batch_shape(self, params: Mapping[str, torch.Tensor]) -> tuple[int, ...]:
        return tuple(params["W"].shape[:-2])

    def empirical_loss(self, params: Mapping[str, torch.Tensor], X: Any = None, y: Any = None) -> torch.Tensor:
        """F(W): [*B]."""
        W = params["W"]
        batch = W.shape[:-2]
        flat = W.reshape(-1, self.n, self.d)
        return population_loss(flat, self.teacher(W.dtype, W.device)).reshape(batch)

    loss = empirical_loss
    data_loss = empirical_loss

    def penalty(self, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        W = params["W"]
        return torch.zeros(W.shape[:-2], dtype=W.dtype, device=W.device)

    def output(self, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """The student f(X) = Σᵢ relu(X wᵢ): X [m, d] -> [*B, m]."""
        return torch.relu(X @ params["W"].transpose(-1, -2)).sum(-1)

    def margins(self, params: Mapping[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y * self.output(params, X)

    def train_error(self, params: Mapping[str, torch.Tensor], X: Any = None, y: Any = None) -> torch.Tensor:
        """0: a regression task has no classification error (recorded as 0 in verdicts)."""
        return self.penalty(params)

    def preactivations(self, params: Mapping[str, torch.Tensor], X: torch.Tensor) -> dict[str, torch.Tensor]:
        return {}

    # -- parameters ---------------------------------------------------------------------------
    def init_params(self, k: int | None = None, *, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                    scale: float = 1.0) -> dict[str, torch.Tensor]:
        """The paper's initialisation, wᵢ ~ N(0, I/k) (times ``scale``); ``[k, n, d]`` if k."""
        batch = () if k is None else (k,)
        W = torch.randn(batch + (self.n, self.d), generator=generator, dtype=dtype) * (scale / math.sqrt(self.k))
        return {"W": W.to(device)}

    def flatten(self, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
        W = params["W"]
        return W.reshape(*W.shape[:-2], self.n * self.d)

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        if flat.shape[-1] != self.n * self.d:
            raise ValueError(f"flat parameter vector has {flat.shape[-1]} entries, setting needs {self.n * self.d}")
        return {"W": flat.reshape(*flat.shape[:-1], self.n, self.d)}

    def global_witness(self) -> dict[str, torch.Tensor] | None:
        """An exact global minimiser (F = 0) when the student can realise the teacher (n >= k), else None."""
        if self.n < self.k:
            return None
        return {"W": exact_global_minimiser(self.n, self.teacher())}


TASK = "teacher_student"
