"""Defender plugins: one file per defense (see base.py)."""
