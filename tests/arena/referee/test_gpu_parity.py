"""The referee on CUDA says what it says on the CPU (float64 on both): every example claim and every
construction the catalogue's attackers build against its defenders. Runs only where CUDA exists."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from arena.claims import load_claim
from arena.contract import Budget
from arena.game.registry import discover
from arena.referee.judge import RefereeConfig, judge

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BASE = {"network": {"input_dim": 2, "hidden": [4], "neuron": "relu"}, "loss": "quadratic_hinge"}


def _both(claim, cfg):
    return judge(claim, cfg, device="cpu").verdict, judge(claim, cfg, device="cuda").verdict


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/claim.json")), ids=lambda p: p.parent.name)
def test_example_claims_get_the_same_verdict_on_cuda(path):
    cpu, cuda = _both(load_claim(path), RefereeConfig(seed=0))
    assert cuda == cpu


def test_catalogue_constructions_get_the_same_verdict_on_cuda():
    from arena.landscape.setting import Setting

    cfg, budget, compared = RefereeConfig(seed=0), Budget(restarts=8, steps=300, max_claims=1), 0
    base = Setting.from_config(BASE)
    for defender_entry in discover("defender").values():
        defender = defender_entry.load()()
        defended, guarantee = defender.defend(base), defender.guarantee(base)
        for entry in discover("attacker").values():
            attacker = entry.load()()
            if not attacker.applies_to(defended, guarantee)[0]:
                continue
            for claim in list(attacker.attack(defended, guarantee, budget, 0, "cpu"))[:1]:
                cpu, cuda = _both(claim, cfg)
                assert cuda == cpu, f"{entry.name} vs {defender_entry.name}: cpu {cpu}, cuda {cuda}"
                compared += 1
    assert compared >= 10
