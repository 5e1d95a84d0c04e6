"""Found minima matched against the constructed symmetric families."""
from __future__ import annotations

import numpy as np

from arena.landscape.symmetric import dense_point
from arena.search.family_match import match_family
from arena.search.symmetric_family import solve


def member_point(family: str, k: int) -> tuple[np.ndarray, float]:
    m = solve(family, k)
    return np.array(dense_point(m.sizes, m.x)), m.loss


def test_a_permuted_member_is_found_in_its_family():
    rng = np.random.default_rng(0)
    for family, k in (("s_k_minus_1", 9), ("s_2_x_s_k_minus_2", 11)):
        W, loss = member_point(family, k)
        shuffled = W[np.ix_(rng.permutation(k), rng.permutation(k))]
        match = match_family(shuffled, loss)
        assert match is not None and match.family == family
        assert match.loss_gap == 0.0 and match.entry_gap < 1e-15


def test_other_points_belong_to_no_family():
    W, loss = member_point("s_k_minus_1", 9)
    moved = W.copy()
    moved[0, 0] += 1e-4  # breaks the equality the family's member satisfies
    assert match_family(moved, loss) is None
    assert match_family(W, loss + 1e-6) is None  # the same point with another loss: not a minimum of this F
    assert match_family(np.random.default_rng(1).standard_normal((9, 9)), loss) is None
    assert match_family(W[:, :8], loss) is None  # not square: not a point of the n = k task


def test_every_turned_away_family_is_constructed_and_recognised():
    """Δ(S_m × S_{k−m}) at k = 25: the members the search ends at (F to 1e-12 from the sweep's run),
    continued in m; a permuted member is recognised entry by entry."""
    from arena.search.symmetric_family import family_by_name, turned_away

    found = {3: 0.027109234485906, 5: 0.043832234050363, 8: 0.067397430954557}  # k = 25 search, seed 0
    for m, loss in found.items():
        member = solve(f"s_{m}_x_s_k_minus_{m}", 25)
        assert member.sizes == (m, 25 - m) and member.grad_norm < 1e-12
        assert abs(member.loss - loss) < 1e-12
    assert turned_away(2) is family_by_name("s_2_x_s_k_minus_2")
    W, loss = member_point("s_5_x_s_k_minus_5", 25)
    rng = np.random.default_rng(3)
    match = match_family(W[np.ix_(rng.permutation(25), rng.permutation(25))], loss)
    assert match is not None and match.family == "s_5_x_s_k_minus_5" and match.isotropy == "Δ(S_5 × S_{k−5})"


def test_family_names_are_checked():
    import pytest

    from arena.search.symmetric_family import family_by_name

    for bad in ("s_1_x_s_k_minus_1", "s_3_x_s_k_minus_4", "nope"):
        with pytest.raises(ValueError, match="family"):
            family_by_name(bad)
    with pytest.raises(ValueError, match="k >= 11"):
        solve("s_5_x_s_k_minus_5", 10)
