from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator, Union

Instant = Union[datetime, str]


def to_utc(value: Instant) -> datetime:
    """Return *value* as an aware datetime in UTC.

    Strings are parsed as ISO 8601 (a trailing ``Z`` is accepted).  Naive
    datetimes are assumed to already be in UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise TypeError(f"expected datetime or ISO string, got {type(value).__name__}")
    return value.replace(tzinfo=timezone.utc)


def iter_range(start: Instant, end: Instant, step: timedelta = timedelta(hours=1)) -> Iterator[datetime]:
    """Yield UTC instants from *start* (inclusive) to *end* (exclusive) every *step*."""
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    current, stop = to_utc(start), to_utc(end)
    while current < stop:
        yield current
        current += step


def iter_days(start: Instant, end: Instant) -> Iterator[date]:
    """Yield every UTC calendar day touched by the interval [*start*, *end*]."""
    first, last = to_utc(start).date(), to_utc(end).date()
    if last < first:
        return
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def overlaps(a_start: Instant, a_end: Instant, b_start: Instant, b_end: Instant) -> bool:
    """Whether the half-open intervals [a_start, a_end) and [b_start, b_end) overlap."""
    return to_utc(a_start) < to_utc(b_end) and to_utc(b_start) < to_utc(a_end)


@dataclass(frozen=True)
class DateRange:
    """A half-open interval of instants, normalised to UTC."""

    start: datetime
    end: datetime

    def __init__(self, start: Instant, end: Instant):
        s, e = to_utc(start), to_utc(end)
        if e < s:
            raise ValueError("end must not be before start")
        object.__setattr__(self, "start", s)
        object.__setattr__(self, "end", e)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, instant: Instant) -> bool:
        t = to_utc(instant)
        return self.start <= t < self.end

    def overlaps(self, other: "DateRange") -> bool:
        return overlaps(self.start, self.end, other.start, other.end)

    def days(self) -> list[date]:
        return list(iter_days(self.start, self.end))

    def split(self, step: timedelta) -> list["DateRange"]:
        """Cut the range into consecutive pieces of length *step* (the last may be shorter)."""
        bounds = list(iter_range(self.start, self.end, step)) + [self.end]
        return [DateRange(a, b) for a, b in zip(bounds, bounds[1:])]
