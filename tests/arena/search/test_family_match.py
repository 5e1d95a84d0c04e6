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
