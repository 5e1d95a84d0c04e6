"""Attacker plugins: one file per attack (the protocol is :class:`arena.protocols.Attacker`)."""
