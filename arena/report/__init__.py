"""Pictures of verdicts, a static HTML report of a tournament (``arena report DIR``) and the wandb
mirror of a tournament's results (``wandb_log``: one run per match, one leaderboard run)."""
