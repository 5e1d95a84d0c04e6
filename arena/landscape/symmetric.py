"""The teacher–student loss on the fixed-point space of a diagonal permutation group, at any k.

Setting: n = d = k, teacher V = I_k (:mod:`arena.landscape.teacher_student`). The group
G = Δ(S_{m₁} × … × S_{m_r}) (Σ m_b = k) permutes the indices {0..k−1} block by block (block b holds
m_b consecutive indices) and acts on W by W ↦ PWPᵀ: student units and input coordinates together.
F is G-invariant, so its gradient is G-equivariant and its Hessian commutes with G.

The fixed-point space of G: W constant on the G-orbits of entries. An entry (i, j), i in block b,
j in block c, lies in the orbit ``p_b`` (i = j), ``q_b`` (b = c, i ≠ j; only for m_b >= 2) or
``u_bc`` (b ≠ c); the unknowns x are these orbit values, so a handful whatever k is. E.g.
ΔS_{k−1} = blocks (1, k − 1): W = [[p₀, u₀₁·1ᵀ], [u₁₀·1, (p₁ − q₁)I + q₁·11ᵀ]], five unknowns.

Everything is evaluated *without* forming k × k matrices. A structured matrix U ∈ ℝ^{k×k} is an
``entry(i, j)`` function of symbolic indices ("tags") (block, name); a column tag with name None is
a *generic* column: any index of that block outside the named set N. U must be invariant under
the pointwise stabiliser of its named tags (true for W and for the test vectors of
:mod:`arena.landscape.isotypic`). Then a sum over all indices j of a function invariant under the
stabiliser of N is Σ_{t∈N} f(t) + Σ_c (m_c − |N ∩ c|)·f(t_c) with one fresh representative t_c per
block (:func:`index_sum`): the cost is polynomial in r and |N|, independent of k. Inner products of
rows work the same way (:class:`Rows`). The arithmetic is pluggable (:data:`FLOAT` or
:data:`ARB`), so the same code gives float64 values for Newton and rigorous enclosures for proofs.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

Tag = tuple  # (block, name); name None = a generic column outside the named set
Entry = Callable[[Tag, Tag], Any]


@dataclass(frozen=True)
class Arith:
    """The arithmetic: float64 (math) or arb balls (python-flint)."""

    name: str
    sqrt: Callable[[Any], Any]
    acos: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    pi: Callable[[], Any]
    num: Callable[[Any], Any]


FLOAT = Arith("float", math.sqrt, math.acos, math.sin, lambda: math.pi, float)


def _arb_arith() -> Arith:
    from flint import arb

    return Arith("arb", lambda x: x.sqrt(), lambda x: x.acos(), lambda x: x.sin(), arb.pi,
                 lambda v: v if isinstance(v, arb) else arb(v))


@functools.cache
def arb_arith() -> Arith:
    """The arb arithmetic (python-flint imported on first use)."""
    return _arb_arith()


# -- orbits of entries: the unknowns -------------------------------------------------------------


def orbit_names(sizes: Sequence[int]) -> list[str]:
    """The unknowns' names in order: p_b, q_b (m_b >= 2), u_bc (b ≠ c), blocks in order."""
    names = []
    for b, mb in enumerate(sizes):
        for c in range(len(sizes)):
            if b == c:
                names += [f"p{b}"] + ([f"q{b}"] if mb >= 2 else [])
            else:
                names.append(f"u{b}{c}" if len(sizes) <= 10 else f"u{b}_{c}")
    return names


def orbit_of(sizes: Sequence[int], i: Tag, j: Tag) -> str:
    b, c = i[0], j[0]
    if b != c:
        return f"u{b}{c}" if len(sizes) <= 10 else f"u{b}_{c}"
    return f"p{b}" if j == i else f"q{b}"


def orbit_size(sizes: Sequence[int], name: str) -> int:
    if name[0] == "p":
        return sizes[int(name[1:])]
    if name[0] == "q":
        m = sizes[int(name[1:])]
        return m * (m - 1)
    b, c = (name[1:].split("_") if "_" in name else (name[1], name[2]))
    return sizes[int(b)] * sizes[int(c)]


def point_entry(sizes: Sequence[int], x: Sequence[Any]) -> Entry:
    """W's entry function from the unknowns x (ordered as :func:`orbit_names`)."""
    value = dict(zip(orbit_names(sizes), x))
    return lambda i, j: value[orbit_of(sizes, i, j)]


def indicator_entry(sizes: Sequence[int], name: str) -> Entry:
    """The orbit's indicator matrix 1_o (the fixed-point space's basis vector for unknown ``name``)."""
    return lambda i, j: 1 if orbit_of(sizes, i, j) == name else 0


def dense_point(sizes: Sequence[int], x: Sequence[float]) -> list[list[float]]:
    """W as a k × k list of floats (for small k: checks and claims)."""
    entry = point_entry(sizes, x)
    tags = [(b, t) for b, mb in enumerate(sizes) for t in range(mb)]
    return [[float(entry(i, j)) for j in tags] for i in tags]


# -- structured sums and rows ----------------------------------------------------------------------


class Rows:
    """Rows of structured matrices over a named set N (a tuple of tags), with inner products."""

    def __init__(self, sizes: Sequence[int], named: tuple):
        self.sizes, self.named = sizes, named
        counts = [0] * len(sizes)
        for t in named:
            counts[t[0]] += 1
        self.generic = [m - n for m, n in zip(sizes, counts)]
        if min(self.generic) < 0:
            raise ValueError(f"more named indices than a block holds: {named} for sizes {list(sizes)}")

    def row(self, entry: Entry, i: Tag) -> tuple[list, list]:
        """Row i of U: (values at the generic columns of each block, values at the named columns)."""
        return ([entry(i, (c, None)) if g else 0 for c, g in enumerate(self.generic)],
                [entry(i, t) for t in self.named])

    def dot(self, a: tuple[list, list], b: tuple[list, list]) -> Any:
        total = 0
        for g, x, y in zip(self.generic, a[0], b[0]):
            if g and not _zero(x) and not _zero(y):
                total = total + g * x * y
        for x, y in zip(a[1], b[1]):
            if not _zero(x) and not _zero(y):
                total = total + x * y
        return total

    def unit(self, j: Tag) -> tuple[list, list]:
        """The teacher unit e_j (j a named tag)."""
        return [0] * len(self.sizes), [1 if t == j else 0 for t in self.named]


def _zero(x: Any) -> bool:
    return isinstance(x, int) and x == 0


def index_sum(sizes: Sequence[int], named: tuple, f: Callable[[Tag, tuple], Any]) -> Any:
    """Σ over all k indices j of f(j, N'), where N' = N if j is named, else N ∪ {j}.

    Valid when f(j) is the same for every unnamed j of a block (f invariant under the pointwise
    stabiliser of N): one fresh representative per block, weighted by the number of unnamed indices."""
    total = 0
    for t in named:
        total = total + f(t, named)
    counts = [0] * len(sizes)
    for t in named:
        counts[t[0]] += 1
    for c, m in enumerate(sizes):
        if m - counts[c] > 0:
            fresh = (c, f"_{len(named)}")
            total = total + (m - counts[c]) * f(fresh, named + (fresh,))
    return total


# -- the loss and its derivatives on structured matrices --------------------------------------------


class SymmetricPoint:
    """F and its derivatives at the fixed point W(x) of Δ(S_{m₁} × … × S_{m_r}) (n = d = k = Σ m_b).

    ``x``: the unknowns (:func:`orbit_names`), floats or arb balls; ``arith``: :data:`FLOAT` or
    :func:`arb_arith`. Forms take structured matrices U (entry functions) and the tuple of tags U
    names (its invariance set)."""

    def __init__(self, sizes: Sequence[int], x: Sequence[Any], arith: Arith = FLOAT):
        self.sizes = tuple(int(m) for m in sizes)
        self.k = sum(self.sizes)
        self.ar = arith
        self.x = [arith.num(v) for v in x]
        self.W = point_entry(self.sizes, self.x)
        self.pi = arith.pi()
        self.two_pi = 2 * self.pi
        self._geo: dict = {}

    # geometry of a pair of student rows over N, cached: ‖wᵢ‖, ‖wⱼ‖, cos, θ, sin θ
    def geometry(self, named: tuple, i: Tag, j: Tag) -> tuple:
        key = (named, i, j)
        if key not in self._geo:
            R = Rows(self.sizes, named)
            wi, wj = R.row(self.W, i), R.row(self.W, j)
            ni, nj = self.ar.sqrt(R.dot(wi, wi)), self.ar.sqrt(R.dot(wj, wj))
            c = R.dot(wi, wj) / (ni * nj)
            th = self.ar.acos(c)
            self._geo[key] = (ni, nj, c, th, self.ar.sin(th))
        return self._geo[key]

    def teacher_geometry(self, named: tuple, i: Tag, j: Tag) -> tuple:
        """‖wᵢ‖, cos, θ, sin θ between student row i and teacher unit e_j."""
        key = (named, i, ("e", j))
        if key not in self._geo:
            ni = self.norm(named, i)
            c = self.W(i, j) / ni
            th = self.ar.acos(c)
            self._geo[key] = (ni, c, th, self.ar.sin(th))
        return self._geo[key]

    def norm(self, named: tuple, i: Tag) -> Any:
        R = Rows(self.sizes, named)
        w = R.row(self.W, i)
        return self.ar.sqrt(R.dot(w, w))

    def loss(self) -> Any:
        """F(W(x))."""
        sizes, k = self.sizes, self.k

        def over_i(i, N):
            ni = self.norm(N, i)

            def pair(j, N2):
                if j == i:
                    return ni * ni / 2
                a, b, c, th, s = self.geometry(N2, i, j)
                return a * b * (s + (self.pi - th) * c) / self.two_pi

            def teach(j, N2):
                a, c, th, s = self.teacher_geometry(N2, i, j)
                return a * (s + (self.pi - th) * c) / self.two_pi

            return index_sum(sizes, N, pair) / 2 - index_sum(sizes, N, teach)

        const = self.ar.num(k) / 4 + self.ar.num(k * (k - 1)) / (2 * self.two_pi)
        return index_sum(sizes, (), over_i) + const

    def grad_form(self, U: Entry, named: tuple = ()) -> Any:
        """⟨U, ∇F(W)⟩ = Σᵢ ⟨Uᵢ, ∇_{wᵢ}F⟩ (Frobenius)."""
        sizes, pi2 = self.sizes, self.two_pi

        def over_i(i, N):
            R = Rows(sizes, N)
            a = R.row(U, i)
            if all(_zero(v) for v in a[0] + a[1]):
                return 0
            wi = R.row(self.W, i)
            ni = self.ar.sqrt(R.dot(wi, wi))
            aw = R.dot(a, wi)

            def pair(j, N2):
                if j == i:
                    return 0
                R2 = Rows(sizes, N2)
                _, nj, c, th, s = self.geometry(N2, i, j)
                return (nj * s * aw / ni + (self.pi - th) * R2.dot(R2.row(U, i), R2.row(self.W, j))) / pi2

            def teach(j, N2):
                R2 = Rows(sizes, N2)
                _, c, th, s = self.teacher_geometry(N2, i, j)
                return (s * aw / ni + (self.pi - th) * R2.dot(R2.row(U, i), R2.unit(j))) / pi2

            return aw / 2 + index_sum(sizes, N, pair) - index_sum(sizes, N, teach)

        return index_sum(sizes, named, over_i)

    def hess_form(self, U: Entry, V: Entry, named: tuple = ()) -> Any:
        """⟨U, ∇²F(W) V⟩ = Σᵢᵢ' Uᵢᵀ H_{ii'} V_{i'} (U, V share the named tags ``named``)."""
        sizes, pi2 = self.sizes, self.two_pi

        def over_i(i, N):
            R = Rows(sizes, N)
            a = R.row(U, i)
            if all(_zero(v) for v in a[0] + a[1]):
                return 0

            def over_j(j, N2):
                R2 = Rows(sizes, N2)
                b = R2.row(V, j)
                if all(_zero(v) for v in b[0] + b[1]):
                    return 0
                if j == i:
                    return self._diagonal(N, i, R.row(U, i), b)
                a2, wi, wj = R2.row(U, i), R2.row(self.W, i), R2.row(self.W, j)
                ni, nj, c, th, s = self.geometry(N2, i, j)
                ab, awi, awj = R2.dot(a2, b), R2.dot(a2, wi) / ni, R2.dot(a2, wj) / nj
                bwi, bwj = R2.dot(b, wi) / ni, R2.dot(b, wj) / nj
                return ((self.pi - th) * ab + awi * (bwj - c * bwi) / s + awj * (bwi - c * bwj) / s) / pi2

            return index_sum(sizes, N, over_j)

        return index_sum(sizes, named, over_i)

    def _diagonal(self, N: tuple, i: Tag, a: tuple, b: tuple) -> Any:
        """aᵀ H_ii b: ½⟨a,b⟩ + Σ_{i'≠i} ρ(⟨a,b⟩ − ⟨a,w̄⟩⟨w̄,b⟩ + ⟨a,n⟩⟨n,b⟩) − Σⱼ (the same with eⱼ)."""
        sizes, pi2 = self.sizes, self.two_pi
        R = Rows(sizes, N)
        wi = R.row(self.W, i)
        ni = self.ar.sqrt(R.dot(wi, wi))
        ab, aw, bw = R.dot(a, b), R.dot(a, wi) / ni, R.dot(b, wi) / ni
        flat = ab - aw * bw

        def student(j, N2):
            if j == i:
                return 0
            R2 = Rows(sizes, N2)
            _, nj, c, th, s = self.geometry(N2, i, j)
            wj = R2.row(self.W, j)
            a2, b2 = _lift(R, R2, a), _lift(R, R2, b)
            an = (R2.dot(a2, wj) / nj - c * aw) / s
            bn = (R2.dot(b2, wj) / nj - c * bw) / s
            return nj * s / (pi2 * ni) * (flat + an * bn)

        def teach(j, N2):
            R2 = Rows(sizes, N2)
            _, c, th, s = self.teacher_geometry(N2, i, j)
            a2, b2 = _lift(R, R2, a), _lift(R, R2, b)
            e = R2.unit(j)
            an = (R2.dot(a2, e) - c * aw) / s
            bn = (R2.dot(b2, e) - c * bw) / s
            return s / (pi2 * ni) * (flat + an * bn)

        return ab / 2 + index_sum(sizes, N, student) - index_sum(sizes, N, teach)

    # -- the reduced system on the fixed-point space ------------------------------------------
    def reduced_grad(self) -> list:
        """∂F(W(x))/∂x_o = ⟨1_o, ∇F⟩ for every unknown o."""
        return [self.grad_form(indicator_entry(self.sizes, o)) for o in orbit_names(self.sizes)]

    def reduced_hessian(self) -> list[list]:
        """∂²F(W(x))/∂x_o∂x_o' = ⟨1_o, ∇²F 1_o'⟩ (symmetric; upper triangle computed)."""
        names = orbit_names(self.sizes)
        ind = [indicator_entry(self.sizes, o) for o in names]
        H = [[None] * len(names) for _ in names]
        for s in range(len(names)):
            for t in range(s, len(names)):
                H[s][t] = H[t][s] = self.hess_form(ind[s], ind[t])
        return H


def _lift(R: Rows, R2: Rows, a: tuple) -> tuple:
    """A row over N re-expressed over N2 ⊇ N: a new named tag takes its block's generic value."""
    pos = {t: v for t, v in zip(R.named, a[1])}
    return list(a[0]), [pos[t] if t in pos else a[0][t[0]] for t in R2.named]
