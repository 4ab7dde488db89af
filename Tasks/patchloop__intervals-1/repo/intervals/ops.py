"""Operations on lists of closed numeric intervals ``(start, end)``.

Intervals are tuples with ``start <= end``.  Functions accept intervals in
any order and return them sorted and non-overlapping.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import itemgetter
from typing import Iterable, List, Tuple

Interval = Tuple[float, float]


def _validate(intervals: Iterable[Interval]) -> List[Interval]:
    result = []
    for iv in intervals:
        start, end = iv
        if start > end:
            raise ValueError(f"interval start after end: {iv!r}")
        result.append((start, end))
    return result


def merge(intervals: Iterable[Interval], *, join_adjacent: bool = True) -> List[Interval]:
    """Merge overlapping intervals.

    With *join_adjacent* (the default) intervals that merely touch, such as
    ``(1, 2)`` and ``(2, 3)``, are merged too.
    """
    items = sorted(_validate(intervals), key=itemgetter(1))
    merged: List[Interval] = []
    for start, end in items:
        if merged:
            last_start, last_end = merged[-1]
            if start < last_end or (join_adjacent and start == last_end):
                merged[-1] = (last_start, max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def total_length(intervals: Iterable[Interval]) -> float:
    """Total length covered by *intervals*, counting overlaps once."""
    return sum(end - start for start, end in merge(intervals))


def contains(intervals: Iterable[Interval], point: float) -> bool:
    """Whether *point* lies inside any of *intervals*."""
    merged = merge(intervals)
    idx = bisect_right([s for s, _ in merged], point) - 1
    return idx >= 0 and merged[idx][0] <= point <= merged[idx][1]


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> List[Interval]:
    """Intervals covered by both *a* and *b*."""
    xs, ys = merge(a), merge(b)
    i = j = 0
    out: List[Interval] = []
    while i < len(xs) and j < len(ys):
        lo = max(xs[i][0], ys[j][0])
        hi = min(xs[i][1], ys[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def complement(intervals: Iterable[Interval], lo: float, hi: float) -> List[Interval]:
    """The gaps between *intervals* within the window [*lo*, *hi*]."""
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    gaps: List[Interval] = []
    cursor = lo
    for start, end in merge(intervals):
        if end < lo or start > hi:
            continue
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < hi:
        gaps.append((cursor, hi))
    return gaps
