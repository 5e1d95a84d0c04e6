"""``python -m arena``: the default tournament (``-m`` for a Hydra multirun, one match per job).

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

    from arena.game.registry import register_configs

    register_configs(CONF)
    from arena.game.validate import check_overrides, or_exit

    or_exit(check_overrides, sys.argv[1:], CONF)

    @hydra.main(version_base="1.3", config_path=CONF, config_name="config")
    def app(cfg: DictConfig) -> None:
        from arena.game import tournament

        if cfg.get("basins"):  # experiment=real_data: bad-basin rates on real data, not a tournament
            from arena.data.sweep import run_basins
            from arena.game.validate import or_exit as exit_on_bad_sweep

            exit_on_bad_sweep(run_basins, cfg)
            return
        if cfg.get("sweep"):  # experiment=safran_shamir: a hit-rate sweep, not a tournament
            from arena.game.sweep import run_sweep

            run_sweep(cfg)
            return
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            from arena.game.validate import or_exit as exit_on_bad_config

            spec = exit_on_bad_config(tournament.spec_from_cfg, cfg)
            result, skipped = tournament.play(cfg, spec)
            status = "skipped (finished before)" if skipped else result["outcome"]
            print(f"[job {HydraConfig.get().job.num}] {spec.match_id}: {status}")
        else:
            tournament.run_grid(cfg)

    app()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        from arena.cli import main as cli_main

        sys.exit(cli_main(sys.argv[1:]))
    hydra_main()


if __name__ == "__main__":
    main()
