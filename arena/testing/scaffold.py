'''``arena new attacker NAME`` / ``arena new defender NAME``: a plugin package that passes the kit.

The package folder ``NAME/`` holds ``pyproject.toml`` (the entry point), ``NAME/plugin.py`` (the
plugin: docstring naming its paper and the command that runs it) and ``tests/test_NAME.py`` (the
conformance suite of :mod:`arena.testing`). The plugin's constructor defaults are its config: the
arena stores them in Hydra's ConfigStore at start-up and ``arena info NAME`` prints them, so the
package has no YAML of its own. The generated plugin works as is; replace its construction by yours.
A name that an installed attacker or defender already has is refused.
'''
from __future__ import annotations

import keyword
from pathlib import Path

KINDS = ("attacker", "defender")


class ScaffoldError(Exception):
    """The plugin cannot be scaffolded (bad name, folder exists)."""


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part)


PYPROJECT = '''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "arena-{dash}"
version = "0.1.0"
description = "{kind} {name} for Local-Min Arena"
requires-python = ">=3.10"
dependencies = ["localmin-arena"]

[project.entry-points."arena.{kind}s"]
{name} = "{name}.plugin:{cls}"

[tool.setuptools]
packages = ["{name}"]
'''

ATTACKER = '''"""{cls}: every ReLU unit dead on every sample, the output at the best constant.

The all-dead construction of Liang, Sun, Li, Srikant, ICML 2018, arXiv:1803.00909 (their ReLU
counterexample, simplified): with every first-layer pre-activation below zero on the data, the
network outputs its output bias c on every sample, and a small move keeps the units dead, so the
best constant c* = (n+ - n-)/n of the quadratic hinge loss is a local minimum with loss
4 n+ n- / n^2 > 0 on separable data. Replace it by your construction.

Run: ``python -m arena attacker={name} defender=none``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from arena.claims import Claim
from arena.contract import PluginConfig


@dataclass(frozen=True)
class {cls}(PluginConfig):
    """All ReLU units dead on ``n`` seeded samples, output bias at the best constant."""

    n: int = 8
    dead_bias: float = -10.0

    name: ClassVar[str] = "{name}"

    def applies_to(self, setting, guarantee):
        if not setting.builtin or setting.neuron.name != "relu" or not setting.mlp.hidden:
            return False, "needs the built-in network with ReLU hidden layers"
        if setting.mlp.skip or setting.mlp.exp_neuron or not setting.mlp.bias:
            return False, "needs a network without skip or extra neurons, with biases"
        return True, ""

    def attack(self, setting, guarantee, budget, seed, device="cpu"):
        gen = torch.Generator().manual_seed(int(seed))
        X = torch.rand(self.n, setting.input_dim, generator=gen, dtype=torch.float64) * 2 - 1
        y = torch.where(X[:, 0] >= 0, 1.0, -1.0).to(torch.float64)
        y[0], y[1] = 1.0, -1.0  # both labels
        theta = {{k: torch.zeros(s, dtype=torch.float64) for k, s in setting.param_shapes.items()}}
        depth = len(setting.mlp.hidden)
        for i in range(depth):
            theta[f"layers.{{i}}.bias"].fill_(self.dead_bias)
        n_pos, n = float((y > 0).sum()), float(len(y))
        theta[f"layers.{{depth}}.bias"].fill_((2 * n_pos - n) / n)
        claim = Claim(setting.to_config(), X, y, theta, attacker=self.name, seed=int(seed))
        return [claim][: budget.max_claims]
'''

DEFENDER = '''"""{cls}: softplus neurons (increasing, strictly convex) with the guarantee of Liang, Sun, Li,
Srikant, ICML 2018, arXiv:1803.00909: no bad local minimum for one hidden layer, a hinge-type C^1
non-increasing loss and linearly separable data. Replace it by your defense and its theorem.

Run: ``python -m arena attacker=dead_relu defender={name}``
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arena.contract import Guarantee, PluginConfig, assumptions, require_builtin

PAPER = ("Liang, Sun, Li, Srikant. Understanding the Loss Surface of Neural Networks for Binary "
         "Classification. ICML 2018, arXiv:1803.00909")


@dataclass(frozen=True)
class {cls}(PluginConfig):
    """Neuron defense: softplus with sharpness ``beta`` > 0."""

    beta: float = 1.0

    name: ClassVar[str] = "{name}"
    kind: ClassVar[str] = "neuron"

    def defend(self, setting):
        require_builtin(setting, self.name)
        return setting.replace(neuron={{"name": "softplus", "beta": float(self.beta)}})

    def guarantee(self, setting):
        self.defend(setting)  # raises for settings this defense cannot edit
        return Guarantee(
            promise="no_bad_local_min",
            assumptions=assumptions("neuron_increasing", "neuron_strictly_convex", "single_hidden_layer_or_shortcut",
                                    "loss_hinge_type", ("loss_smooth", {{"k": 1}}), "loss_non_increasing",
                                    "data_linearly_separable"),
            paper=PAPER,
        )
'''

TEST = '''"""{cls} passes the conformance suite of the arena's plugin kit: ``pytest tests``."""
from importlib.metadata import entry_points

from arena.testing import {suite}

from {name}.plugin import {cls}

INSTALLED = any(ep.name == "{name}" for ep in entry_points(group="arena.{kind}s"))


class Test{cls}({suite}):
    plugin = {cls}()
    entry_point = "{name}" if INSTALLED else None  # discovery is checked once the package is installed
'''


def taken_by(name: str) -> str | None:
    """``"the attacker dead_relu of package localmin-arena"`` when an installed plugin has ``name``."""
    from arena.game.registry import GROUPS, PluginError, discover

    for kind in GROUPS:
        try:
            entry = discover(kind).get(name)
        except PluginError:  # two plugins share a name: `arena list` reports that; not this command's business
            continue
        if entry is not None:
            return f"the {kind} {name} of package {entry.package}"
    return None


def scaffold(kind: str, name: str, where: Path) -> Path:
    """Write the package ``where/name`` and return its folder."""
    if kind not in KINDS:
        raise ScaffoldError(f"kind must be one of {KINDS}, got {kind!r}")
    if not name.isidentifier() or keyword.iskeyword(name) or not name.islower():
        raise ScaffoldError(f"name must be a lower-case Python identifier (e.g. my_trap), got {name!r}")
    owner = taken_by(name)
    if owner:
        raise ScaffoldError(f"{name!r} is taken by {owner}; choose another name (arena list shows the names in use)")
    root = Path(where) / name
    if root.exists():
        raise ScaffoldError(f"{root} exists already; nothing was written")
    cls = class_name(name)
    fields = dict(kind=kind, name=name, cls=cls, dash=name.replace("_", "-"),
                  suite="AttackerConformance" if kind == "attacker" else "DefenderConformance")
    files = {
        "pyproject.toml": PYPROJECT,
        f"{name}/__init__.py": '"""{kind} {name} for Local-Min Arena."""\n',
        f"{name}/plugin.py": ATTACKER if kind == "attacker" else DEFENDER,
        f"tests/test_{name}.py": TEST,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields))
    return root
