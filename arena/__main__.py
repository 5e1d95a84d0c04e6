"""``python -m arena``: the default tournament (``-m`` for a Hydra multirun, one match per job).

Other commands (``verify``, ``leaderboard``, ``list``) go through the ``arena`` console script;
``python -m arena verify ...`` works too.
"""
from __future__ import annotations

import sys
from pathlib import Path

CONF = str(Path(__file__).resolve().parent.parent / "conf")
SUBCOMMANDS = ("verify", "leaderboard", "list", "necessity")


def hydra_main() -> None:
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import DictConfig

    from arena.game.registry import register_configs

    register_configs(CONF)

    @hydra.main(version_base="1.3", config_path=CONF, config_name="config")
    def app(cfg: DictConfig) -> None:
        from arena.game import tournament

        if cfg.get("sweep"):  # experiment=safran_shamir: a hit-rate sweep, not a tournament
            from arena.game.sweep import run_sweep

            run_sweep(cfg)
            return
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            spec = tournament.spec_from_cfg(cfg)
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
