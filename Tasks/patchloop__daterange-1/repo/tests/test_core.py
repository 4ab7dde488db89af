from datetime import date, datetime, timedelta, timezone

import pytest

from daterange import DateRange, iter_days, iter_range, overlaps, to_utc

UTC = timezone.utc


class TestToUtc:
    def test_naive_is_utc(self):
        assert to_utc(datetime(2024, 1, 2, 3, 4)) == datetime(2024, 1, 2, 3, 4, tzinfo=UTC)

    def test_z_suffix(self):
        assert to_utc("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    def test_result_is_aware(self):
        assert to_utc("2024-06-01T00:00:00").tzinfo is UTC

    def test_rejects_dates(self):
        with pytest.raises(TypeError):
            to_utc(date(2024, 1, 1))


def test_iter_range_hours():
    got = list(iter_range("2024-01-01T00:00Z", "2024-01-01T03:00Z"))
    assert [d.hour for d in got] == [0, 1, 2]


def test_iter_range_custom_step():
    got = list(iter_range("2024-01-01T00:00Z", "2024-01-01T01:00Z", timedelta(minutes=20)))
    assert [d.minute for d in got] == [0, 20, 40]


def test_iter_range_rejects_non_positive_step():
    with pytest.raises(ValueError):
        list(iter_range("2024-01-01T00:00Z", "2024-01-02T00:00Z", timedelta(0)))


def test_iter_days_spans_month_end():
    assert list(iter_days("2024-02-28T22:00Z", "2024-03-01T01:00Z")) == [
        date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]


def test_iter_days_empty_when_reversed():
    assert list(iter_days("2024-03-02T00:00Z", "2024-03-01T00:00Z")) == []


def test_overlaps():
    assert overlaps("2024-01-01T00:00Z", "2024-01-01T02:00Z", "2024-01-01T01:00Z", "2024-01-01T03:00Z")
    assert not overlaps("2024-01-01T00:00Z", "2024-01-01T01:00Z", "2024-01-01T01:00Z", "2024-01-01T02:00Z")


class TestDateRange:
    def test_duration_and_contains(self):
        r = DateRange("2024-05-01T10:00Z", "2024-05-01T12:30Z")
        assert r.duration == timedelta(hours=2, minutes=30)
        assert "2024-05-01T12:00Z" in r
        assert "2024-05-01T12:30Z" not in r

    def test_reversed_rejected(self):
        with pytest.raises(ValueError):
            DateRange("2024-05-02T00:00Z", "2024-05-01T00:00Z")

    def test_split(self):
        parts = DateRange("2024-05-01T00:00Z", "2024-05-01T05:00Z").split(timedelta(hours=2))
        assert [p.duration for p in parts] == [timedelta(hours=2), timedelta(hours=2), timedelta(hours=1)]

    def test_days(self):
        assert DateRange("2024-12-31T23:00Z", "2025-01-01T01:00Z").days() == [date(2024, 12, 31), date(2025, 1, 1)]
