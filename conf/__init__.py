"""Hydra config groups of the arena, shipped inside the package as ``pkg://arena.conf``."""
