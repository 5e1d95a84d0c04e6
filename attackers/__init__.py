"""Attacker plugins: one file per attack (see base.py)."""
