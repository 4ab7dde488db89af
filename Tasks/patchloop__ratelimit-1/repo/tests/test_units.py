import pytest

from ratelimit import format_period, parse_period, parse_rate


@pytest.mark.parametrize("text,seconds", [
    ("s", 1), ("sec", 1), ("10s", 10), ("min", 60), ("5m", 300),
    ("hour", 3600), ("2h", 7200), ("day", 86400), ("250ms", 0.25), ("  15 Minutes ", 900),
], ids=["s", "sec", "10s", "min", "5m", "hour", "2h", "day", "250ms", "spaces-and-case"])
def test_parse_period(text, seconds):
    assert parse_period(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "fortnight", "-5s", "0s", "10"])
def test_parse_period_invalid(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_parse_rate():
    assert parse_rate("100/min") == (100, 60)
    assert parse_rate("5/10s") == (5, 10)


@pytest.mark.parametrize("spec", ["100", "x/min", "0/min", "10/"])
def test_parse_rate_invalid(spec):
    with pytest.raises(ValueError):
        parse_rate(spec)


def test_format_period():
    assert format_period(60) == "1m"
    assert format_period(90) == "90s"
    assert format_period(7200) == "2h"
    assert format_period(0.25) == "250ms"
