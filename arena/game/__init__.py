"""The game: matches, tournaments, leaderboards and the plugin registry.

Modules (imported on demand, since a match pulls in the referee and the engine):
``match`` (:func:`~arena.game.match.run_match`), ``tournament`` (Hydra entry and callback),
``leaderboard``, ``necessity``, ``registry`` (entry points) and ``budget`` (:class:`Budget`, what an
attacker may spend).
"""
from arena.game.budget import Budget

__all__ = ["Budget"]
