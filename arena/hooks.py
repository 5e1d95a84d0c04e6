"""What ``python -m arena`` plugs into the game (:mod:`arena.game.hooks`): pictures, wandb, the report.

The game never imports the report or the wandb mirror; the entry point passes these steps in:

* before each match: :func:`forget_wandb` (wandb's process state, between matches);
* after each match: :func:`draw_pictures` (``report=true``) then :func:`log_match` (``logger=wandb``);
* after the tournament: :func:`write_site` (``report=true``) then :func:`log_leaderboard`.

:class:`LeaderboardCallback` is the Hydra callback of a multirun sweep (conf/config.yaml): it
writes ``run.json`` when the sweep starts and the leaderboard, with the same hooks, when it ends.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig

from arena.game import run_record, tournament
from arena.game.hooks import Hooks
from arena.report import wandb_log


def forget_wandb() -> None:
    """wandb's state from the previous match (a worker plays many) is dropped before the next."""
    wandb_log.teardown()


def draw_pictures(result: dict[str, Any], match_dir: Path, cfg: Mapping[str, Any]) -> None:
    """``report=true``: the match's pictures now, so its wandb run carries them (off by default).

    A match whose worker died or was stopped (``error_kind``) left nothing to draw."""
    if not cfg.get("report", False) or result.get("error_kind") in ("crash", "timeout"):
        return
    try:
        from arena.report.build import draw_match  # matplotlib: the optional ``report`` extra

        draw_match(match_dir)
    except Exception as exc:  # noqa: BLE001 - pictures never cost a result
        warnings.warn(f"report: pictures of {match_dir.name} failed: {exc.__class__.__name__}: {exc}")


def log_match(result: dict[str, Any], match_dir: Path, cfg: Mapping[str, Any]) -> None:
    """The match's wandb run (nothing unless ``logger=wandb``)."""
    wandb_log.log_match(result, cfg.get("logger"), tournament.tournament_name(cfg), Path(cfg["out_dir"]))


def write_site(result_dir: Path, records: dict[str, Any], cfg: Mapping[str, Any]) -> None:
    """``report=true``: the HTML report of the tournament (a failure is printed, never fatal)."""
    if not cfg.get("report", False):
        return
    try:
        from arena.report.site import write_site as write  # matplotlib: the optional ``report`` extra

        print(f"report: {write(result_dir)}")
    except Exception as exc:  # noqa: BLE001 - the leaderboard is written already
        print(f"report: not written ({exc.__class__.__name__}: {exc})")


def log_leaderboard(result_dir: Path, records: dict[str, Any], cfg: Mapping[str, Any]) -> None:
    """The tournament's leaderboard run in wandb (nothing unless ``logger=wandb``)."""
    wandb_log.log_leaderboard(records, cfg.get("logger"), tournament.tournament_name(cfg), result_dir)


def default_hooks() -> Hooks:
    """The hooks of ``python -m arena``."""
    return Hooks(before_match=(forget_wandb,), after_match=(draw_pictures, log_match),
                 after_tournament=(write_site, log_leaderboard))


try:
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover
    Callback = object  # type: ignore[misc,assignment]


class LeaderboardCallback(Callback):
    """Writes ``run.json`` when a multirun sweep starts and the leaderboard of ``out_dir`` when it ends
    (with :func:`default_hooks`)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        run_record.write(config.out_dir, config, mode="multirun")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        tournament.finish(config, hooks=default_hooks())
