"""The isotypic decomposition of ℝ^{k×k} under G = Δ(S_{m₁} × … × S_{m_r}), and the Hessian's blocks.

G acts on W by W ↦ PWPᵀ, so ℝ^{k×k} = ℝᵏ ⊗ ℝᵏ with ℝᵏ = ⊕_b ℝ^{m_b} and ℝ^m = 1 ⊕ S_m (S_m the
standard representation of S_m, dimension m − 1). Expanding the tensor product, the irreducible
types that occur and their copies (each given by an equivariant embedding of one test vector) are:

* trivial: the fixed-point space, one copy per unknown (the orbit indicators 1_o);
* S_b (m_b >= 2), x = e₁ − e₂ in block b: U = x·1ᵀ on the columns of each block c (r copies),
  U = 1·xᵀ on the rows of each block c (r copies), and diag(x) (for m_b >= 3; for m_b = 2 it is
  the mean of the two within-block copies): 2r + 1 copies (2r for m_b = 2), dimension m_b − 1;
* S_b ⊠ S_c (b < c, both >= 2): x ⊗ y on the (b, c) entries and y ⊗ x on the (c, b) entries, two
  copies, dimension (m_b − 1)(m_c − 1);
* inside S_b ⊗ S_b, once each: the antisymmetric [m−2, 1, 1] (m_b >= 3, dimension
  (m_b − 1)(m_b − 2)/2; test vector the 3-cycle E₁₂ + E₂₃ + E₃₁ − transposes) and the symmetric,
  zero-diagonal, zero-row-sum [m−2, 2] (m_b >= 4, dimension m_b(m_b − 3)/2; test vector
  E₁₂ + E₃₄ − E₁₃ − E₂₄ + transposes).

The dimensions add up to k² (:func:`check_dimensions`). On the copies φ_s(x) of one type, the
Hessian H (which commutes with G) acts by a small matrix: with C_st = ⟨φ_s(x), H φ_t(x)⟩ and
Gram matrix G_st = ⟨φ_s(x), φ_t(x)⟩, the eigenvalues of H on that isotypic component are the
generalised eigenvalues of (C, G), each repeated (dimension of the irreducible) times (Schur's
lemma: φ_s* H φ_t is a multiple of the identity on an absolutely irreducible representation).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from arena.landscape.symmetric import Entry, SymmetricPoint, index_sum, indicator_entry, orbit_names, Rows, Tag


@dataclass(frozen=True)
class IsoType:
    """One irreducible type: its name, the dimension of the irreducible, its copies and their tags."""

    name: str
    dim: int
    copies: tuple
    named: tuple


def _vec(tags: Sequence[Tag], values: Sequence[int]) -> Callable[[Tag], int]:
    table = dict(zip(tags, values))
    return lambda t: table.get(t, 0)


def _standard_copies(sizes: Sequence[int], b: int) -> IsoType:
    t1, t2 = (b, "x1"), (b, "x2")
    x = _vec((t1, t2), (1, -1))
    r, m = len(sizes), sizes[b]
    copies = [(lambda c: lambda i, j: x(i) if j[0] == c else 0)(c) for c in range(r)]
    copies += [(lambda c: lambda i, j: x(j) if i[0] == c else 0)(c) for c in range(r)]
    if m >= 3:
        copies.append(lambda i, j: x(i) if i == j else 0)
    return IsoType(f"S[{b}]", m - 1, tuple(copies), (t1, t2))


def _cross_copies(sizes: Sequence[int], b: int, c: int) -> IsoType:
    x = _vec(((b, "x1"), (b, "x2")), (1, -1))
    y = _vec(((c, "y1"), (c, "y2")), (1, -1))
    copies = (lambda i, j: x(i) * y(j), lambda i, j: y(i) * x(j))
    return IsoType(f"S[{b}]xS[{c}]", (sizes[b] - 1) * (sizes[c] - 1), copies,
                   ((b, "x1"), (b, "x2"), (c, "y1"), (c, "y2")))


def _pattern(b: int, plus: Sequence[tuple[int, int]], minus: Sequence[tuple[int, int]]) -> Entry:
    table = {((b, f"x{p}"), (b, f"x{q}")): 1 for p, q in plus}
    table.update({((b, f"x{p}"), (b, f"x{q}")): -1 for p, q in minus})
    return lambda i, j: table.get((i, j), 0)


def iso_types(sizes: Sequence[int]) -> list[IsoType]:
    """Every irreducible type occurring in ℝ^{k×k}, with its copies (see the module docstring)."""
    types = [IsoType("trivial", 1, tuple(indicator_entry(sizes, o) for o in orbit_names(sizes)), ())]
    for b, m in enumerate(sizes):
        if m >= 2:
            types.append(_standard_copies(sizes, b))
    for b in range(len(sizes)):
        for c in range(b + 1, len(sizes)):
            if sizes[b] >= 2 and sizes[c] >= 2:
                types.append(_cross_copies(sizes, b, c))
    for b, m in enumerate(sizes):
        tags3 = tuple((b, f"x{p}") for p in (1, 2, 3))
        if m >= 3:
            cyc = _pattern(b, [(1, 2), (2, 3), (3, 1)], [(2, 1), (3, 2), (1, 3)])
            types.append(IsoType(f"A[{b}]", (m - 1) * (m - 2) // 2, (cyc,), tags3))
        if m >= 4:
            sym = _pattern(b, [(1, 2), (2, 1), (3, 4), (4, 3)], [(1, 3), (3, 1), (2, 4), (4, 2)])
            types.append(IsoType(f"T[{b}]", m * (m - 3) // 2, (sym,), tags3 + ((b, "x4"),)))
    return types


def check_dimensions(sizes: Sequence[int], types: Sequence[IsoType]) -> int:
    """Σ (copies × dimension) over the types; raises unless it is k² (the decomposition is complete)."""
    total = sum(len(t.copies) * t.dim for t in types)
    k = sum(sizes)
    if total != k * k:
        raise ValueError(f"isotypic dimensions add up to {total}, not k² = {k * k}, for sizes {list(sizes)}")
    return total


def frobenius(sizes: Sequence[int], U: Entry, V: Entry, named: tuple) -> Any:
    """⟨U, V⟩ = Σᵢⱼ Uᵢⱼ Vᵢⱼ for structured matrices (exact integers for integer entries)."""
    def over_i(i, N):
        R = Rows(sizes, N)
        return R.dot(R.row(U, i), R.row(V, i))

    return index_sum(sizes, named, over_i)


@dataclass
class Block:
    """The Hessian on one isotypic component: C (Hessian form) and G (Gram) on the copies."""

    name: str
    dim: int
    C: list
    G: list


def hessian_blocks(point: SymmetricPoint) -> list[Block]:
    """Every isotypic block of ∇²F at ``point`` (float or arb, as the point's arithmetic)."""
    types = iso_types(point.sizes)
    check_dimensions(point.sizes, types)
    blocks = []
    for t in types:
        n = len(t.copies)
        C = [[None] * n for _ in range(n)]
        G = [[None] * n for _ in range(n)]
        for s in range(n):
            for u in range(s, n):
                C[s][u] = C[u][s] = point.hess_form(t.copies[s], t.copies[u], t.named)
                G[s][u] = G[u][s] = frobenius(point.sizes, t.copies[s], t.copies[u], t.named)
        blocks.append(Block(t.name, t.dim, C, G))
    return blocks
