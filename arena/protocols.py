"""Alias of :mod:`arena.contract.protocols`, kept so plugins written against ``arena.protocols`` keep working.

New code imports from :mod:`arena.contract` (``from arena.contract import Guarantee, PluginConfig``).
"""
from arena.contract.protocols import KINDS as KINDS
from arena.contract.protocols import PROMISES as PROMISES
from arena.contract.protocols import STRICTNESS as STRICTNESS
from arena.contract.protocols import Assumption as Assumption
from arena.contract.protocols import AssumptionResult as AssumptionResult
from arena.contract.protocols import Attacker as Attacker
from arena.contract.protocols import Budget as Budget
from arena.contract.protocols import Defender as Defender
from arena.contract.protocols import Guarantee as Guarantee
from arena.contract.protocols import PluginConfig as PluginConfig
from arena.contract.protocols import applies as applies
from arena.contract.protocols import assumptions as assumptions
from arena.contract.protocols import ensure_applies as ensure_applies
from arena.contract.protocols import make_assumption as make_assumption
from arena.contract.protocols import require_builtin as require_builtin
from arena.contract.protocols import require_int as require_int
from arena.contract.protocols import require_number as require_number
