"""A claim gets one verdict, whether ``arena verify`` judges it or a match does.

Every claim in ``examples/`` that ``arena verify`` judges (the refused ones are the claim loader's
tests) is judged again inside a match: an attacker that hands over exactly that claim, against
``none`` on the claim's own setting, with the same referee settings and probe seed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from arena import cli
from arena.claims import load_claim
from arena.game.match import MatchSpec, run_match, same_setting
from arena.contract import PluginConfig

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CLAIMS = sorted(p.parent.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.glob("**/claim.json"))
DEFAULT_REFEREE = {"restarts": 16, "restart_steps": 600}


@dataclass(frozen=True)
class Replay(PluginConfig):
    """Hands over the claim stored at ``path`` (a test double for an attacker)."""

    name: ClassVar[str] = "replay"
    population_tasks: ClassVar[bool] = True
    path: str = ""

    def applies_to(self, setting, guarantee):
        return True, ""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        return [load_claim(self.path)]


def _referee(folder: Path) -> dict:
    expected = folder / "expected.json"
    extra = json.loads(expected.read_text()).get("referee") if expected.is_file() else None
    return {**DEFAULT_REFEREE, **(extra or {}), "seed": 0}


@pytest.mark.parametrize("name", CLAIMS)
def test_verify_and_a_match_give_the_same_verdict(name, tmp_path, capsys):
    folder = EXAMPLES / name
    referee = _referee(folder)
    sets = [a for k, v in referee.items() if k != "seed" for a in ("--set", f"{k}={json.dumps(v)}")]
    status = cli.main(["verify", str(folder / "claim.json"), "--json", "--device", "cpu", "--seed", "0", *sets])
    out = capsys.readouterr().out
    if status != 0:
        pytest.skip(f"arena verify refuses {name} (the loader's business)")
    by_verify = json.loads(out)["verdict"]
    claim = load_claim(folder / "claim.json")
    spec = MatchSpec(attacker={"_target_": f"{__name__}.Replay", "name": "replay", "path": str(folder / "claim.json")},
                     defender={"_target_": "arena.defenders.none.NoDefense", "name": "none"},
                     setting={**claim.setting, "name": "claimed"}, budget={"max_claims": 1}, referee=referee)
    result = run_match(spec, tmp_path / "m", device="cpu")
    assert result["outcome"] != "error", result.get("traceback")
    assert result["claims"][0]["verdict"] == by_verify, result["claims"][0]["reasons"]


def test_a_population_claim_names_its_setting():
    """The teacher-student setting is compared as data, like a built-in network."""
    from arena.landscape.setting import Setting

    trusted = Setting.from_config({"task": "teacher_student", "k": 8, "n": 8})
    assert same_setting({"task": "teacher_student", "k": 8, "n": 8, "d": 8}, trusted)
    assert same_setting({"task": "teacher_student", "k": 8, "n": 8}, trusted)  # d defaults to k
    assert not same_setting({"task": "teacher_student", "k": 8, "n": 9, "d": 8}, trusted)
    assert not same_setting({"task": "teacher_student", "k": 8, "n": 8, "_target_": "os.system"}, trusted)
