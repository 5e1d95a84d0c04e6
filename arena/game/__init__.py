"""The game: matches, tournaments, leaderboards and the plugin registry.

Modules (imported on demand, since a match pulls in the referee and the engine):
``match`` (:func:`~arena.game.match.run_match`), ``hooks`` (:func:`~arena.game.hooks.play_match`,
the one way every path plays a match, and the :class:`~arena.game.hooks.Hooks` the entry point
passes in), ``tournament`` (the Hydra grid), ``leaderboard``, ``necessity``, ``registry`` (entry
points). What an attacker may spend (:class:`~arena.contract.budget.Budget`) and the atomic file
writes belong to the plugin contract, :mod:`arena.contract`.

The game depends on the layers below it (referee, engine, landscape, claims, data, search) and on
none above it: the report, the wandb mirror, the plugin kit (``arena.testing``), the CLI and the
plugins themselves (reached only through the registry's entry points) are never imported here.
"""
