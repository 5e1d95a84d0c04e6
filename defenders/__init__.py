"""Defender plugins: one file per defense (the protocol is :class:`arena.contract.Defender`)."""
