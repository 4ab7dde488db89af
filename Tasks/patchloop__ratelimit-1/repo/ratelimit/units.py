"""Parsing of rate specifications such as ``"100/min"`` or ``"5/10s"``."""

from __future__ import annotations

import re

# Seconds per unit, and the spellings accepted for each unit.
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_ALIASES = {
    "ms": "ms", "msec": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
}

_PERIOD_RE = re.compile(r"^\s*(\d+)?\s*([a-z]+)\s*$")


def parse_period(text: str) -> float:
    """Return the length of a period such as ``"min"``, ``"10s"`` or ``"250ms"`` in seconds."""
    m = _PERIOD_RE.match(text.lower())
    if not m or m.group(2) not in _ALIASES:
        raise ValueError(f"invalid period: {text!r}")
    amount = int(m.group(1)) if m.group(1) else 1
    seconds = amount * UNIT_SECONDS[_ALIASES[m.group(2)]]
    if seconds <= 0:
        raise ValueError(f"period must be positive: {text!r}")
    return seconds


def parse_rate(spec: str) -> tuple[int, float]:
    """Parse ``"<count>/<period>"`` into ``(count, period_in_seconds)``."""
    count, sep, period = spec.partition("/")
    if not sep:
        raise ValueError(f"invalid rate {spec!r}: expected '<count>/<period>'")
    try:
        n = int(count)
    except ValueError:
        raise ValueError(f"invalid count in rate {spec!r}") from None
    if n < 1:
        raise ValueError(f"count must be at least 1 in rate {spec!r}")
    return n, parse_period(period)


def format_period(seconds: float) -> str:
    """Inverse of :func:`parse_period` for display, e.g. ``90`` -> ``"90s"``."""
    for unit in ("d", "h", "m", "s"):
        size = UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000, 3):g}ms"
