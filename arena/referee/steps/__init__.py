"""The referee's protocol as named steps, each a plain function on a :class:`~arena.referee.steps.case.Case`.

``validate`` -> ``start`` (float64, canonical form) -> ``polish_step`` -> ``first_order`` ->
``second_order`` -> ``probe_step`` -> ``local_verdict`` -> ``badness_verdict``. A step that decides
the claim returns a :class:`~arena.referee.config.Verdict`; otherwise it adds its evidence to the
case and returns None.
"""
