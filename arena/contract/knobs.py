"""Knob checks for plugin constructors: one clear line naming the knob, and a bool is never a number.

``require_number("attacker x", "scale", self.scale)`` in ``__post_init__``; ``True`` is refused
although Python counts it as the integer 1 (a YAML ``scale: true`` is a mistake, not a scale of 1).
"""
from __future__ import annotations

from typing import Any


def require_number(who: str, key: str, value: Any, *, above: float | None = 0.0, at_least: float | None = None) -> None:
    """Raise one line naming the knob unless ``value`` is a real number (not a bool) ``> above``
    (or ``>= at_least`` when given): ``"attacker x: scale must be > 0, got -1"``."""
    bound, op = (at_least, ">=") if at_least is not None else (above, ">")
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (number and (value >= bound if op == ">=" else value > bound)):
        raise ValueError(f"{who}: {key} must be {op} {bound:g}, got {value!r}")


def require_int(who: str, key: str, value: Any, *, at_least: int = 1, optional: bool = False) -> None:
    """Raise one line naming the knob unless ``value`` is an int (not a bool) ``>= at_least``, or None
    when ``optional``: ``"defender x: width must be a positive integer, got 0"``."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
        what = "a positive integer" if at_least == 1 else f"an integer >= {at_least}"
        raise ValueError(f"{who}: {key} must be {what}{' or null' if optional else ''}, got {value!r}")
