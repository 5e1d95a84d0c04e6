"""Tournaments through Hydra: a grid of matches in one process, or one match per multirun job.

* ``python -m arena``: every (attacker, defender, setting, seed) of the ``tournament`` node, one
  after another in this process, with a progress bar; then the leaderboard. ``attacker=``,
  ``defender=``, ``setting=``, ``seed=`` and their argument overrides narrow that grid
  (:mod:`arena.game.selection`): ``attacker=dead_relu defender=softplus`` is one match.
* ``python -m arena -m attacker=glob(*) defender=glob(*) seed=0,1``: each Hydra job plays one match
  (the composed ``attacker``, ``defender``, ``setting``, ``seed``); :func:`finish` writes the
  leaderboard when the sweep ends (called by the entry point's Hydra callback,
  :class:`arena.hooks.LeaderboardCallback`).

Every match writes ``<out_dir>/matches/<attacker>__<defender>__<setting>__s<seed>/``; a rerun
skips matches whose ``result.json`` is final for the same config (``rerun=true`` replays them).
Pictures, the wandb mirror and the HTML report are the entry point's :class:`~arena.game.hooks.Hooks`
(``python -m arena``: :func:`arena.hooks.default_hooks`); without hooks only results and the
leaderboard are written.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from hydra import compose
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from tqdm import tqdm

from arena.data import node as data_node
from arena.game import grid_record, leaderboard, run_record
from arena.game.hooks import NO_HOOKS, Hooks, hook_config, play_match
from arena.game.match import MatchSpec, finished_result
from arena.game.pool import play_in_workers
from arena.game.selection import check_arguments, parse
from arena.game.validate import check_run, check_specs, or_exit
from arena.plain import plain


def spec_from_cfg(cfg: DictConfig) -> MatchSpec:
    """The match a composed config describes."""
    seed = cfg.seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return MatchSpec(attacker=plain(cfg.attacker), defender=plain(cfg.defender), setting=plain(cfg.setting),
                     budget=plain(cfg.budget), referee=plain(cfg.referee), seed=seed, data=data_node(cfg.get("data")))


def play(cfg: DictConfig, spec: MatchSpec, hooks: Hooks = NO_HOOKS) -> tuple[dict[str, Any], bool]:
    """Run (or skip, if finished) one match with ``hooks``; returns (result, skipped)."""
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        or_exit(check_run, cfg)
        or_exit(check_specs, [spec])
        or_exit(grid_record.check_member, cfg.out_dir, spec.match_id)
    out_dir = Path(cfg.out_dir)
    match_dir = out_dir / "matches" / spec.match_id
    if not cfg.get("rerun", False):
        done = finished_result(match_dir, spec)
        if done is not None:
            return done, True
    return play_match(spec, match_dir, device=cfg.device, hooks=hooks, cfg=hook_config(cfg)), False


def tournament_name(cfg: Mapping[str, Any]) -> str:
    """The tournament's name (``tournament.name``, else the name of ``out_dir``); ``cfg``: a config or its plain dict."""
    return str((cfg.get("tournament") or {}).get("name") or Path(str(cfg["out_dir"])).name)


def _options(group: str, wanted: Any) -> list[str]:
    available = GlobalHydra.instance().config_loader().get_group_options(group)
    if wanted in (None, "all", "*"):
        return available
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"tournament: unknown {group} {unknown}; available: {available}")
    return names


def _argument_overrides() -> dict[str, list[str]]:
    """The command line's argument overrides of attacker, defender and setting (empty outside Hydra)."""
    if not HydraConfig.initialized():
        return {}
    return parse(list(HydraConfig.get().overrides.task)).arguments


def grid_specs(cfg: DictConfig) -> list[MatchSpec]:
    """The matches of the ``tournament`` node, each with the nodes a multirun job would compose.

    Each group option is composed once (a node does not depend on the other groups' choices), not
    once per match: Hydra's compose costs a large share of a second, and the grid is a product.
    """
    t = cfg.tournament
    seeds = plain(t.seeds)
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"tournament.seeds: must be non-negative integers, got {seed!r}")
    arguments = _argument_overrides()
    if arguments:  # attacker.n=20 etc.: the axis holds the one composed node they changed
        check_arguments(plain(t), {g: cfg[g].name for g in arguments}, arguments,
                        {g: _options(g, "all") for g in arguments})
    nodes: dict[str, dict[str, Any]] = {}
    for group, wanted in (("attacker", t.attackers), ("defender", t.defenders), ("setting", t.settings)):
        nodes[group] = {name: plain(cfg[group]) if group in arguments else
                        plain(compose(config_name="config", overrides=[f"{group}={name}"])[group])
                        for name in _options(group, plain(wanted))}
    # the budget, referee and data as given on the command line (budget.seconds=..., data=..., too)
    budget, referee, data = plain(cfg.budget), plain(cfg.referee), data_node(cfg.get("data"))
    return [MatchSpec(attacker=a, defender=d, setting=s, budget=budget, referee=referee, seed=seed, data=data)
            for s in nodes["setting"].values() for d in nodes["defender"].values()
            for a in nodes["attacker"].values() for seed in seeds]


def run_grid(cfg: DictConfig, hooks: Hooks = NO_HOOKS) -> dict[str, Any]:
    """Play the whole grid (in this process, or in workers with ``isolation=process``) with
    ``hooks``, then write and print the leaderboard."""
    or_exit(check_run, cfg)
    or_exit(check_specs, [or_exit(spec_from_cfg, cfg)])  # budget, referee: before composing the grid
    specs = or_exit(grid_specs, cfg)
    or_exit(check_specs, specs)  # every match's plugins and values build before the first one plays
    or_exit(grid_record.claim, cfg.out_dir, [s.match_id for s in specs], tournament_name(cfg))
    run_record.write(cfg.out_dir, cfg)  # what was run, for the report
    counts = {"done": 0, "failed": 0, "skipped": 0}
    if cfg.get("isolation", "none") == "process":
        return _run_isolated(cfg, specs, counts, hooks)
    outcomes: Counter = Counter()
    times: list[tuple[float, str]] = []
    bar = tqdm(specs, desc="matches", unit="match", disable=not cfg.get("progress", True), dynamic_ncols=True)
    for spec in bar:
        result, skipped = play(cfg, spec, hooks)
        counts["skipped" if skipped else ("failed" if result["outcome"] == "error" else "done")] += 1
        outcomes[result["outcome"]] += 1
        if not skipped:
            times.append((float((result.get("timings") or {}).get("total", 0.0)), spec.match_id))
        bar.set_postfix(dict(outcomes.most_common()), refresh=False)
    bar.close()
    _print_slowest(times)
    return finish(cfg, counts, hooks)


def _print_slowest(times: list[tuple[float, str]]) -> None:
    slowest = sorted(times, reverse=True)[:5]
    if slowest:
        print("slowest matches: " + ", ".join(f"{m} {t:.1f} s" for t, m in slowest))


def _run_isolated(cfg: DictConfig, specs: list[MatchSpec], counts: dict[str, int], hooks: Hooks) -> dict[str, Any]:
    """The grid in worker processes (arena.game.pool): finished matches skipped, one progress bar."""
    todo = [s for s in specs if cfg.get("rerun", False)
            or finished_result(Path(cfg.out_dir) / "matches" / s.match_id, s) is None]
    counts["skipped"] = len(specs) - len(todo)
    bar = tqdm(total=len(specs), initial=counts["skipped"], desc="matches", unit="match",
               disable=not cfg.get("progress", True))

    outcomes: Counter = Counter()
    times: list[tuple[float, str]] = []

    def done(spec: MatchSpec, result: dict[str, Any]) -> None:
        counts["failed" if result.get("outcome") == "error" else "done"] += 1
        outcomes[result.get("outcome", "error")] += 1
        times.append((float((result.get("timings") or {}).get("total", 0.0)), spec.match_id))
        bar.update(1)
        bar.set_postfix(dict(outcomes.most_common()), refresh=False)

    if todo:
        play_in_workers(cfg, todo, done, hooks)
    bar.close()
    _print_slowest(times)
    return finish(cfg, counts, hooks)


def finish(cfg: DictConfig, counts: dict[str, int] | None = None, hooks: Hooks = NO_HOOKS) -> dict[str, Any]:
    """Write the leaderboard, run the ``after_tournament`` hooks, print the counts and the table."""
    out_dir = Path(cfg.out_dir)
    board = leaderboard.write(out_dir)
    hooks.finished(out_dir, board, hook_config(cfg))
    if counts:
        print(f"matches: {counts['done']} played, {counts['failed']} failed, {counts['skipped']} skipped (finished before)")
    print(leaderboard.render_terminal(board))
    print(f"leaderboard: {out_dir / 'leaderboard.md'}")
    return board
