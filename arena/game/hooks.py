"""Steps above the game, passed in: :class:`Hooks`, and :func:`play_match`, the one way a match is played.

The game (:mod:`arena.game`) plays matches and writes the leaderboard; what belongs to the layers
above it (a match's pictures, the wandb mirror, the HTML report) it never imports. The entry point
(``python -m arena``: :func:`arena.hooks.default_hooks`) hands those steps in as hooks:

* ``before_match()``: before each match, in the process that plays it;
* ``after_match(result, match_dir, cfg)``: after each match, in the process that played it
  (``result``: the match's ``result.json`` as a dict; ``match_dir``: its folder), and in the
  tournament's process for a match whose worker died or was stopped (``result["error_kind"]`` is
  ``"crash"`` or ``"timeout"``);
* ``after_tournament(result_dir, records, cfg)``: once the leaderboard is written
  (``result_dir``: the tournament's ``out_dir``; ``records``: the leaderboard as a dict).

``cfg`` is the run's config as plain data (a dict). With ``isolation=process`` the hooks travel to
the worker processes by pickle, so they must be module-level functions (no lambdas or closures).
A hook that raises costs nothing already written: the result is on disk before ``after_match`` runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from omegaconf import DictConfig, OmegaConf

from arena.game.match import MatchSpec, run_match
from arena.plain import plain

BeforeMatch = Callable[[], None]
AfterMatch = Callable[[dict[str, Any], Path, Mapping[str, Any]], None]
AfterTournament = Callable[[Path, dict[str, Any], Mapping[str, Any]], None]


@dataclass(frozen=True)
class Hooks:
    """The steps the entry point adds around matches and tournaments (each a tuple of callables, run in order)."""

    before_match: tuple[BeforeMatch, ...] = ()
    after_match: tuple[AfterMatch, ...] = ()
    after_tournament: tuple[AfterTournament, ...] = ()

    def matched(self, result: dict[str, Any], match_dir: Path, cfg: Mapping[str, Any]) -> None:
        for hook in self.after_match:
            hook(result, Path(match_dir), cfg)

    def finished(self, result_dir: Path, records: dict[str, Any], cfg: Mapping[str, Any]) -> None:
        for hook in self.after_tournament:
            hook(Path(result_dir), records, cfg)


NO_HOOKS = Hooks()


def hook_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The run's config as the hooks get it: plain data, each top-level key resolved where it can be
    (``budget_name: ${hydra:...}`` resolves only inside Hydra's app; elsewhere it stays as written)."""
    if not isinstance(cfg, DictConfig):
        return plain(cfg)
    raw = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(raw, dict)  # a DictConfig's container is a dict
    out: dict[str, Any] = {}
    for key in map(str, raw):
        try:
            out[key] = plain(cfg[key])
        except Exception:  # noqa: BLE001 - an interpolation only Hydra's app can resolve
            out[key] = raw[key]
    return out


def play_match(spec: MatchSpec, match_dir: str | Path, *, device: str = "auto", hooks: Hooks = NO_HOOKS,
               cfg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Play one match as every path does (in this process or in a worker): the ``before_match``
    hooks, :func:`~arena.game.match.run_match` (attack under the budget, claims collected, judged,
    folder written), then the ``after_match`` hooks. Returns the result."""
    for hook in hooks.before_match:
        hook()
    result = run_match(spec, match_dir, device=device)
    hooks.matched(result, Path(match_dir), cfg or {})
    return result
