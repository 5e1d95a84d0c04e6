"""The game: matches, tournaments, leaderboards and the plugin registry.

Modules (imported on demand, since a match pulls in the referee and the engine):
``match`` (:func:`~arena.game.match.run_match`), ``tournament`` (Hydra entry and callback),
``leaderboard``, ``necessity``, ``registry`` (entry points) and ``wandb_log`` (the wandb mirror).
What an attacker may spend (:class:`~arena.contract.budget.Budget`) and the atomic file writes
belong to the plugin contract, :mod:`arena.contract`.
"""
