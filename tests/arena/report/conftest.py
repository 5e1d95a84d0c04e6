"""One tiny tournament per test session for the report tests: 2 attackers x 2 defenders, smoke budget,
drawn while it plays (``report=true``) and logged to offline wandb."""
from __future__ import annotations

import pytest

from tests.conftest import run_arena

ATTACKERS = ("dead_relu", "path_to_infinity")
DEFENDERS = ("none", "exp_neuron")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")
    out = tmp_path_factory.mktemp("report") / "tiny"
    proc = run_arena(f"out_dir={out}", "logger=wandb", "referee=fast", "budget=smoke", "progress=false",
                     "report=true", f"tournament.attackers=[{','.join(ATTACKERS)}]",
                     f"tournament.defenders=[{','.join(DEFENDERS)}]", env_extra={"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def match(out, attacker: str, defender: str):
    return out / "matches" / f"{attacker}__{defender}__relu_1hidden__s0"


WIDE_ATTACKERS = ("all_dead", "concavity_trap", "data_search", "dead_relu", "linear_region", "logistic_dead",
                  "path_to_infinity", "random_restarts", "smooth_plateau", "squared_loss_trap", "symmetric_family",
                  "teacher_student_search", "some_installed_plugin_attacker")
WIDE_DEFENDERS = ("exp_neuron", "exp_neuron_noreg", "linear", "multiplicative_exp", "none", "overparam_plus1",
                  "poly_hinge", "relu_special_neuron", "shortcut", "smooth_neuron", "softplus", "wide_generic_l2")


def make_wide(tiny, out):
    """A folder with the shape of a full tournament (13 attackers x 12 defenders, most pairs
    incompatible, one ``out_of_scope?``), built from the tiny tournament's results without playing:
    each match is a copy of one of the four real results under another pair's names."""
    import json

    templates = {}
    for path in sorted(tiny.glob("matches/*/result.json")):
        r = json.loads(path.read_text())
        templates[r["outcome"]] = r
    for i, a in enumerate(WIDE_ATTACKERS):
        for j, d in enumerate(WIDE_DEFENDERS):
            if a == "some_installed_plugin_attacker" or d == "wide_generic_l2" or (i + 2 * j) % 5 < 3:
                outcome = "incompatible"  # a whole column, a whole row, and 60% of the rest
            else:
                outcome = ("broken", "held", "out_of_scope")[(i + j) % 3]
            r = dict(templates[outcome], attacker=a, defender=d)
            if (i, j) == (1, 1):
                r.update(outcome="out_of_scope?", failed_assumptions=["inputs_distinct"],
                         reason="verified, but an assumption could not be decided")
            if (i, j) == (3, 4):
                r["reason"] = " ".join(f"clause{k} of a long reason, which the page must show whole;" for k in range(40))
            r["match_id"] = mid = f"{a}__{d}__relu_1hidden__s0"
            folder = out / "matches" / mid
            folder.mkdir(parents=True)
            (folder / "result.json").write_text(json.dumps(r))
    return out
