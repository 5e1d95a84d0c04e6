"""``python -m arena``: the default tournament (``-m`` for a Hydra multirun, one match per job).

``attacker=``, ``defender=``, ``setting=`` and ``seed=`` narrow the tournament's grid (one match, or
the sub-grid they name; :mod:`arena.game.selection`); what cannot be honoured is refused in one line.

Other commands (``verify``, ``leaderboard``, ``necessity``, ``list``, ``info``, ``new``, ``report``) go through
the ``arena`` console script; ``python -m arena verify ...`` works too.
"""
from __future__ import annotations

import sys

# The configs are the package ``arena.conf`` (the repository's conf/ folder, mapped in pyproject.toml),
# so a checkout and an installed wheel find them the same way.
CONF = "pkg://arena.conf"
SUBCOMMANDS = ("verify", "leaderboard", "list", "necessity", "info", "new", "report")


def hydra_main() -> None:
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import DictConfig

    from arena.game.compose_check import check_composes, check_launchers
    from arena.game.registry import register_configs
    from arena.game.validate import check_overrides, or_exit

    from arena.game.run_record import remember_command_line

    remember_command_line(sys.argv[1:])  # as typed, for run.json: _select rewrites the grid choices
    or_exit(register_configs, CONF)  # two plugins with one name: one line naming both
    or_exit(check_overrides, sys.argv[1:], CONF)
    or_exit(check_launchers, sys.argv[1:])
    sys.argv[1:] = _select(sys.argv[1:])
    or_exit(check_composes, sys.argv[1:], CONF[len("pkg://"):])  # a key typo: one line, not Hydra's hint

    @hydra.main(version_base="1.3", config_path=CONF, config_name="config")
    def app(cfg: DictConfig) -> None:
        from arena.game import tournament
        from arena.hooks import default_hooks  # pictures, wandb and the report: steps above the game

        if cfg.get("basins"):  # experiment=real_data: bad-basin rates on real data, not a tournament
            from arena.data.sweep import run_basins
            from arena.game.validate import or_exit as exit_on_bad_sweep

            exit_on_bad_sweep(run_basins, cfg)
            return
        if cfg.get("sweep"):  # experiment=safran_shamir: a hit-rate sweep, not a tournament
            from arena.game.sweep import run_sweep
            from arena.game.validate import or_exit as exit_on_bad_sweep

            exit_on_bad_sweep(run_sweep, cfg)
            return
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            from arena.game.validate import or_exit as exit_on_bad_config

            spec = exit_on_bad_config(tournament.spec_from_cfg, cfg)
            result, skipped = tournament.play(cfg, spec, default_hooks())
            status = "skipped (finished before)" if skipped else result["outcome"]
            print(f"[job {HydraConfig.get().job.num}] {spec.match_id}: {status}")
        else:
            tournament.run_grid(cfg, default_hooks())

    app()


def _select(args: list[str]) -> list[str]:
    """The command line's grid choices as ``tournament.*`` overrides, and the narrowed grid's own
    out_dir (``<default out_dir>__<choices>``) unless one is given (:mod:`arena.game.selection`)."""
    from arena.game import selection
    from arena.game.validate import or_exit

    rewritten = or_exit(selection.rewrite, args)
    if selection.needs_own_out_dir(args):
        base = selection.base_out_dir(rewritten, CONF[len("pkg://"):])
        if base is not None:
            folder = f"{base}__{selection.slug(selection.parse(args))}".replace("\\", "\\\\").replace("'", "\\'")
            # quoted: the override grammar reserves = and ,; first: flags (--cfg job) may end the line
            rewritten.insert(0, f"out_dir='{folder}'")
    return rewritten


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        from arena.cli import main as cli_main

        sys.exit(cli_main(sys.argv[1:]))
    hydra_main()


if __name__ == "__main__":
    main()
