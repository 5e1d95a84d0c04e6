"""The plugin contract: everything an attacker or defender may rely on, below the game.

Modules: ``protocols`` (:class:`Attacker`, :class:`Defender`, :class:`Guarantee`,
:class:`PluginConfig` and helpers), ``budget`` (:class:`Budget`, what an attacker may spend),
``knobs`` (:func:`require_number`, :func:`require_int`: constructor checks), ``outcomes`` (every
match outcome, with order, colours and meaning), ``atomic`` (atomic file writes), ``datasets``
(the small data sets several attackers share) and ``guarantees`` (paper guarantees several
defenders state). Plugins import from here, the landscape, the claims, the search helpers and the
assumptions, never from another plugin or from the game. ``arena.protocols`` is an alias of
``arena.contract.protocols``.
"""
from arena.contract.budget import Budget
from arena.contract.knobs import require_int, require_number
from arena.contract.protocols import (KINDS, PROMISES, Assumption, AssumptionResult, Attacker, Defender, Guarantee,
                                      PluginConfig, applies, assumptions, ensure_applies, make_assumption,
                                      require_builtin)

__all__ = ["KINDS", "PROMISES", "Assumption", "AssumptionResult", "Attacker", "Budget", "Defender", "Guarantee",
           "PluginConfig", "applies", "assumptions", "ensure_applies", "make_assumption", "require_builtin",
           "require_int", "require_number"]
