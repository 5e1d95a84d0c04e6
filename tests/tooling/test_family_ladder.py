"""benchmarks/family_ladder.py: names the member of each minimum of a sweep cell and proves it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "family_ladder.py"


@pytest.fixture(scope="module")
def ladder_module():
    spec = importlib.util.spec_from_file_location("family_ladder", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cell_is_named_by_stored_match_then_by_loss_and_eigenvalue(ladder_module):
    members = {m: (loss, eig) for m, loss, eig in ladder_module.ladder(12, max_m=5)}
    assert sorted(members) == [1, 2, 3, 4, 5]
    assert members[1][0] == pytest.approx(0.0165243, abs=1e-6)  # ΔS_{k−1} at k = 12: the README's lowest F
    cell = {"row": {"k": 12}, "census": {"minima": [
        {"loss": 0.5, "min_eig": 0.1, "restarts": 7, "family": {"family": "s_3_x_s_k_minus_3"}},
        {"loss": members[1][0], "min_eig": members[1][1], "restarts": 5, "family": None},
        {"loss": members[2][0] + 1e-8, "min_eig": members[2][1], "restarts": 2},  # F off by 1e-8: not m = 2
    ]}}
    found, other, distinct = ladder_module.identify(cell, max_m=5, loss_tol=1e-10, eig_tol=1e-6)
    assert found == {3: 7, 1: 5} and (other, distinct) == (2, 1)


def test_members_found_are_proved_through_symmetry(ladder_module):
    proved, seconds = ladder_module.prove_members(12, [1, 3])
    assert proved == 2 and seconds >= 0
