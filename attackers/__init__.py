"""Attacker plugins: one file per attack (the protocol is :class:`arena.contract.Attacker`)."""
