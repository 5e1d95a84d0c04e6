"""Proofs through symmetry: a bad strict local minimum of the teacher–student loss at any k.

For a claim on the population task with n = d = k (teacher V = I_k) whose point is, up to
rounding, fixed by G = Δ(S_{m₁} × … × S_{m_r}) (:mod:`arena.landscape.symmetric`):

1. **Critical point.** Krawczyk's test on the reduced gradient g(x) = ∂F(W(x))/∂x (a few
   unknowns) over a box X around the float centre x̃: with Y ≈ J(x̃)⁻¹,
   K = x̃ − Y g(x̃) + (I − Y J(X))(X − x̃) ⊂ int X proves a unique zero x* ∈ K. F is G-invariant, so
   ∇F(W(x*)) is G-fixed, i.e. ∇F = Σ_o (g_o/|o|)·1_o = 0: W(x*) is a critical point of the full F.
2. **Smoothness.** Over K every row of W has norm > 0 and every pair of rows, and every row and
   teacher unit, has sin θ > 0: F is C² (real-analytic) near W(x*).
3. **Positive Hessian.** ∇²F(W(x*)) commutes with G; on each isotypic component it acts by a
   small pair (C, G) (:mod:`arena.landscape.isotypic`), whose entries are enclosed over K. For
   each block a stated μ_b > 0 with G ≻ 0 and C − μ_b G ≻ 0 (every leading principal minor a
   positive ball: Sylvester) gives λ_min >= min_b μ_b > 0 on the whole space (the block
   dimensions add up to k², checked).
4. **Bad.** F(W(x*)) ∈ F(K) has a positive lower bound, and the teacher W = I has F = 0 (its
   enclosure is stated too): W(x*) is a strict local minimum that is not global.

Steps 1–4 cost a bounded number of ball operations whatever k is; only the distance from the
claimed point to W(x*) (k² entries) grows with k. :func:`certify` builds the certificate,
:func:`check` re-derives every number from the claim's setting and the certificate's centre,
radius, block sizes and per-block μ_b.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg as sl
from flint import arb, arb_mat

from arena.landscape.isotypic import check_dimensions, hessian_blocks, iso_types
from arena.landscape.symmetric import SymmetricPoint, arb_arith, orbit_names, orbit_of, orbit_size, point_entry
from arena.landscape.symmetric_newton import newton
from arena.referee.proofs.balls import NotCertified, exact, float_down, float_up, inside, interval, precision

KIND = "symmetric_minimum"
LABEL = "proof through symmetry (ball arithmetic: python-flint arb, 128-bit midpoints; isotypic blocks)"
RADII = (1e-12, 1e-10, 1e-8)  # the Krawczyk box's half-width, relative to max(1, max |x̃|)
FIT_TOL = 1e-7  # the claim's point must lie this close (max entry, relative) to a fixed point of G


def group_name(sizes: Sequence[int]) -> str:
    return "Δ(" + " × ".join(f"S_{m}" for m in sizes) + ")"


# -- which group fixes the point --------------------------------------------------------------------


def candidate_sizes(k: int, hint: Any = None) -> list[tuple[int, ...]]:
    """Block patterns to try: the claim's hint first (any pattern of positive sizes summing to k)."""
    out = []
    if isinstance(hint, (list, tuple)) and hint and all(isinstance(m, int) and m > 0 for m in hint) and sum(hint) == k:
        out.append(tuple(hint))
    out += [s for s in ((1, k - 1), (2, k - 2), (k,)) if min(s) > 0 and s not in out]
    return out


def orbit_average(W: np.ndarray, sizes: Sequence[int]) -> tuple[list[float], float]:
    """The unknowns x̄ (orbit means of W, blocks in index order) and max |W − W(x̄)| / max(1, max |W|)."""
    names = orbit_names(sizes)
    tags = [(b, t) for b, m in enumerate(sizes) for t in range(m)]
    label = np.array([[names.index(orbit_of(sizes, i, j)) for j in tags] for i in tags])
    x = [float(W[label == o].mean()) for o in range(len(names))]
    fit = np.abs(W - np.array(x)[label]).max() / max(1.0, float(np.abs(W).max()))
    return x, float(fit)


def _classes(S: np.ndarray, tol: float) -> list[list[int]]:
    """Indices whose signature rows agree within tol (sorted signatures, consecutive grouping)."""
    order = np.lexsort(S.T[::-1])
    groups = [[int(order[0])]]
    for a, b in zip(order, order[1:]):
        if np.abs(S[a] - S[b]).max() <= tol:
            groups[-1].append(int(b))
        else:
            groups.append([int(b)])
    return groups


def align(W: np.ndarray, tol: float = 1e-6) -> tuple[tuple[int, ...], list[int], list[int]] | None:
    """Block sizes and row/column orders with W[rows][:, cols] fixed by Δ(S_{m₁} × …) (blocks by size).

    Student units and input coordinates may be permuted independently (F is S_k × S_k invariant):
    rows with the same multiset of entries form a block, columns likewise; blocks of rows and of
    columns are paired by size (so the sizes must be distinct), and inside a block each row's own
    column is the one whose entry differs from the row's other entries of the block."""
    scale = max(1.0, float(np.abs(W).max()))
    rows = sorted(_classes(np.sort(W, axis=1), tol * scale), key=len)
    cols = sorted(_classes(np.sort(W, axis=0).T, tol * scale), key=len)
    sizes = tuple(len(r) for r in rows)
    if sizes != tuple(len(c) for c in cols) or len(set(sizes)) != len(sizes):
        return None
    row_order, col_order = [], []
    for R, C in zip(rows, cols):
        sub = W[np.ix_(R, C)]
        own = [int(np.argmax(np.abs(r - np.median(r)))) for r in sub] if len(R) >= 3 else list(range(len(R)))
        if len(R) == 2 and abs(sub[0, 0] - sub[1, 1]) > abs(sub[0, 1] - sub[1, 0]):
            own = [1, 0]
        if sorted(own) != list(range(len(R))):
            return None
        row_order += R
        col_order += [C[o] for o in own]
    return sizes, row_order, col_order


# -- step 1: Krawczyk on the reduced system ---------------------------------------------------------


def krawczyk(sizes: Sequence[int], centre: Sequence[float], radius: float) -> list[arb] | None:
    """K ⊂ int X (X = centre ± radius): the enclosure K of the unique reduced critical point, else None."""
    ar = arb_arith()
    xc = [exact(v) for v in centre]
    box = [arb(v, radius) for v in centre]
    g = SymmetricPoint(sizes, xc, ar).reduced_grad()
    J = SymmetricPoint(sizes, box, ar).reduced_hessian()
    Jf = np.array([[float(v.mid()) for v in row] for row in J])
    Y = arb_mat(np.linalg.inv(Jf).tolist())
    n = len(centre)
    M = arb_mat([[int(i == j) for j in range(n)] for i in range(n)]) - Y * arb_mat(J)
    K = arb_mat([[c] for c in xc]) - Y * arb_mat([[v] for v in g]) + M * arb_mat([[b - c] for b, c in zip(box, xc)])
    image = [K[i, 0] for i in range(n)]
    if all(v.is_finite() and b.contains_interior(v) for v, b in zip(image, box)):
        return image
    return None


# -- steps 2-4 ------------------------------------------------------------------------------------


def smooth_margin(point: SymmetricPoint) -> float:
    """A float below every row norm and every sin θ (student pairs, student–teacher pairs) over the box."""
    sizes, values = point.sizes, []
    for b in range(len(sizes)):
        i = (b, "_0")
        for c, m in enumerate(sizes):
            if c == b and m < 2:
                continue
            j = (c, "_1")
            ni, nj, _, _, s = point.geometry((i, j), i, j)
            values += [ni, nj, s, point.teacher_geometry((i, j), i, j)[3], point.teacher_geometry((i, j), i, i)[3]]
    return min(float_down(v) for v in values)


def positive_definite(M: arb_mat) -> bool:
    """Every leading principal minor of the (symmetric) ball matrix is a positive ball."""
    n = M.nrows()
    for m in range(1, n + 1):
        sub = arb_mat([[M[i, j] for j in range(m)] for i in range(m)])
        det = sub.det()
        if not (det.is_finite() and det > 0):
            return False
    return True


def block_bounds(point: SymmetricPoint, stated: Sequence[float] | None = None) -> list[dict[str, Any]]:
    """Per isotypic block: a μ with G ≻ 0 and C − μG ≻ 0 proved (``stated`` μ's are re-checked as given)."""
    out = []
    for idx, b in enumerate(hessian_blocks(point)):
        C, G = arb_mat(b.C), arb_mat(b.G)
        if stated is None:
            Cm = np.array([[float(v.mid()) for v in row] for row in b.C])
            Gm = np.array([[float(v.mid()) if isinstance(v, arb) else float(v) for v in row] for row in b.G])
            lam = float(sl.eigh(Cm, Gm, eigvals_only=True).min())
            mu = lam * (1 - 1e-6) if lam > 0 else lam
        else:
            mu = float(stated[idx])
        ok = mu > 0 and positive_definite(G) and positive_definite(C - arb(mu) * G)
        out.append({"name": b.name, "dim": b.dim, "copies": len(b.C), "mu_lower": mu, "proved": bool(ok)})
    return out


def claim_distance(W: np.ndarray, sizes: Sequence[int], K: Sequence[arb]) -> arb:
    """An upper bound of ‖W − W(x*)‖_F for every x* in K (ball arithmetic over the k² entries)."""
    entry = point_entry(sizes, K)
    tags = [(b, t) for b, m in enumerate(sizes) for t in range(m)]
    total = arb(0)
    for a, i in enumerate(tags):
        for c, j in enumerate(tags):
            diff = (exact(float(W[a, c])) - entry(i, j)).abs_upper()
            total += diff * diff
    return total.sqrt().upper()


def derive(sizes: Sequence[int], centre: Sequence[float], radius: float,
           mus: Sequence[float] | None = None) -> dict[str, Any]:
    """Steps 1–4 at (centre, radius): the enclosure, the smoothness margin, the blocks, F and F(I)."""
    sizes = tuple(sizes)
    check_dimensions(sizes, iso_types(sizes))
    K = krawczyk(sizes, centre, radius)
    if K is None:
        raise NotCertified(f"Krawczyk's test fails at radius {radius:g}: no isolated critical point proved")
    ar = arb_arith()
    at = SymmetricPoint(sizes, K, ar)
    margin = smooth_margin(at)
    if not margin > 0:
        raise NotCertified("a zero row or a parallel pair is not excluded: F is not proved C² there")
    blocks = block_bounds(at, mus)
    loss = at.loss()
    ident = [1 if o[0] == "p" else 0 for o in orbit_names(sizes)]
    witness = SymmetricPoint(sizes, ident, ar).loss()
    return {"K": K, "margin": margin, "blocks": blocks, "loss": loss, "witness": witness}


def _statement(sizes, d, mu, radius) -> str:
    return (f"a strict local minimiser W* fixed by {group_name(sizes)} (Krawczyk box radius {radius:g} on "
            f"{len(d['K'])} unknowns), λ_min(∇²F(W*)) >= {mu:.4g} on {len(d['blocks'])} isotypic blocks; "
            f"F(W*) in [{float_down(d['loss']):.10g}, {float_up(d['loss']):.10g}] > F(teacher) = 0: bad")


def certify(setting: Any, W: Any, hint: Any = None, claim_W: Any = None) -> dict[str, Any]:
    """A certificate for the judged point W ([k, k] float64), or ``{"proof": False, "reason": ...}``.

    ``hint``: block sizes to try first (e.g. the claim's ``extra.symmetric.sizes``; only a hint,
    everything is proved); ``claim_W``: the claimed point, whose distance to the minimiser is
    bounded (default W)."""
    start = time.perf_counter()
    try:
        with precision():
            cw = np.asarray(W if claim_W is None else claim_W, dtype=float)
            return _certify(setting, np.asarray(W, dtype=float), hint, start, cw)
    except NotCertified as exc:
        return {"proof": False, "reason": str(exc), "seconds": round(time.perf_counter() - start, 3)}


def _certify(setting, W, hint, start, claim_W) -> dict[str, Any]:
    k = _square_task(setting.to_config())
    if W.shape != (k, k):
        raise NotCertified(f"the point has shape {list(W.shape)}, the task needs [{k}, {k}]")
    fits = [(s, list(range(k)), list(range(k)), *orbit_average(W, s)) for s in candidate_sizes(k, hint)]
    found = align(W)
    if found is not None:
        sizes, rows, cols = found
        fits.append((sizes, rows, cols, *orbit_average(W[np.ix_(rows, cols)], sizes)))
    fits = [f for f in fits if f[4] <= FIT_TOL]
    if not fits:
        raise NotCertified("the point is not fixed by a diagonal group Δ(S_{m₁} × …) in its own index order or "
                           "after ordering rows and columns by their entries")
    sizes, rows, cols, x, _ = fits[0]
    centre = [float(v) for v in newton(sizes, x)]
    scale = max(1.0, max(abs(v) for v in centre))
    failures = []
    for rel in RADII:
        try:
            d = derive(sizes, centre, rel * scale)
        except NotCertified as exc:
            failures.append(str(exc))
            continue
        if all(b["proved"] for b in d["blocks"]) and d["loss"] > d["witness"]:
            return _certificate(sizes, centre, rel * scale, d, claim_W[np.ix_(rows, cols)], start) | (
                {} if rows == cols == list(range(k)) else {"rows": rows, "cols": cols})
        bad = [b["name"] for b in d["blocks"] if not b["proved"]]
        failures.append(f"blocks {bad} not proved positive definite" if bad else "F(W*) not above F(teacher)")
    raise NotCertified("; ".join(dict.fromkeys(failures)))


def _certificate(sizes, centre, radius, d, W, start) -> dict[str, Any]:
    mu = min(b["mu_lower"] for b in d["blocks"])
    dist = claim_distance(W, sizes, d["K"])
    seconds = round(time.perf_counter() - start, 3)
    return {"proof": True, "kind": KIND, "label": LABEL, "statement": _statement(sizes, d, mu, radius),
            "group": group_name(sizes), "sizes": list(sizes), "unknowns": orbit_names(sizes),
            "orbit_sizes": [orbit_size(sizes, o) for o in orbit_names(sizes)],
            "centre": [float(v).hex() for v in centre], "radius": repr(radius),
            "enclosure": [interval(v) for v in d["K"]], "smooth_margin_lower": repr(d["margin"]),
            "blocks": [{k: v for k, v in b.items() if k != "proved"} | {"mu_lower": repr(b["mu_lower"])}
                       for b in d["blocks"]],
            "mu_lower": repr(mu), "minimum_loss": interval(d["loss"]),
            "witness": {"source": "teacher (W = I, F = 0)", "loss": interval(d["witness"])},
            "claim_distance_upper": repr(float_up(dist)), "seconds": seconds}


def _square_task(cfg: Mapping[str, Any]) -> int:
    if cfg.get("task") != "teacher_student":
        raise NotCertified("not the teacher-student population task")
    k, n, d = cfg.get("k"), cfg.get("n"), cfg.get("d", cfg.get("k"))
    if k is None or not (k == n == d):
        raise NotCertified(f"the symmetric proof needs n = d = k, got k={k}, n={n}, d={d}")
    return int(k)


def check(claim: Any, cert: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Re-derive a symmetric certificate from the claim's setting and point: (ok, one line per finding)."""
    lines: list[str] = []
    ok = True

    def need(cond: bool, good: str, bad: str) -> None:
        nonlocal ok
        ok = ok and bool(cond)
        lines.append(("ok    " if cond else "FAIL  ") + (good if cond else bad))

    try:
        with precision():
            k = _square_task(claim.setting)
            sizes = tuple(int(m) for m in cert["sizes"])
            if not (sizes and min(sizes) > 0 and sum(sizes) == k):
                return False, [f"FAIL  block sizes {list(sizes)} do not partition k = {k}"]
            centre = [float.fromhex(v) for v in cert["centre"]]
            radius = float(cert["radius"])
            mus = [float(b["mu_lower"]) for b in cert["blocks"]]
            if len(centre) != len(orbit_names(sizes)) or len(mus) != len(iso_types(sizes)):
                return False, ["FAIL  the certificate's centre or blocks do not match its group"]
            d = derive(sizes, centre, radius, mus)
            need(True, f"group {group_name(sizes)}: isotypic dimensions add up to k² = {k * k}", "")
            need(True, f"Krawczyk: a unique reduced critical point in the box of radius {radius:g}", "")
            need(d["margin"] > 0, f"rows nonzero and no parallel pair: margin >= {d['margin']:.3g}",
                 "smoothness margin not positive")
            for b in d["blocks"]:
                need(b["proved"], f"block {b['name']} (dim {b['dim']}, {b['copies']} copies): λ >= {b['mu_lower']:.6g}",
                     f"block {b['name']}: C − μG ≻ 0 not proved for μ = {b['mu_lower']!r}")
            need(inside(d["loss"], cert["minimum_loss"]), f"F(W*) in {cert['minimum_loss']}",
                 f"stated F(W*) {cert['minimum_loss']} does not contain the re-derived {d['loss'].str(12)}")
            need(inside(d["witness"], cert["witness"]["loss"]), f"F(teacher) in {cert['witness']['loss']}",
                 "stated teacher loss does not contain the re-derived one")
            need(bool(d["witness"] < d["loss"]), "F(teacher) < F(W*): the minimum is bad",
                 "F(W*) is not certified above the teacher's")
            if "claim_distance_upper" in cert:
                W = claim.theta["W"].detach().double().cpu().numpy()
                rows, cols = cert.get("rows", list(range(k))), cert.get("cols", list(range(k)))
                if sorted(rows) != list(range(k)) or sorted(cols) != list(range(k)):
                    return False, lines + ["FAIL  the stated row or column order is not a permutation of 0..k−1"]
                W = W[np.ix_(rows, cols)]
                dist = claim_distance(W, sizes, d["K"])
                need(bool(dist <= arb(float(cert["claim_distance_upper"]))),
                     f"the minimiser lies within {float(cert['claim_distance_upper']):.3g} of the claimed W",
                     f"stated distance {cert['claim_distance_upper']!r} is below the re-derived {dist.str(8)}")
    except NotCertified as exc:
        return False, lines + [f"FAIL  re-derivation failed: {exc}"]
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        return False, lines + [f"FAIL  malformed certificate: {exc.__class__.__name__}: {exc}"]
    return ok, lines
