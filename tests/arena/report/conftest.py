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
