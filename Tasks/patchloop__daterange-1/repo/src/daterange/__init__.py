"""daterange - iterate over and reason about ranges of instants and days.

All functions accept aware or naive datetimes (naive ones are taken to be
UTC) as well as ISO-8601 strings, and work in UTC internally.
"""

from .core import DateRange, iter_days, iter_range, overlaps, to_utc

__all__ = ["DateRange", "iter_days", "iter_range", "overlaps", "to_utc"]
