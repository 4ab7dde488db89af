import pytest

from ratelimit import FixedWindowLimiter, TokenBucket


class TestFixedWindow:
    def test_allows_up_to_limit(self, clock):
        lim = FixedWindowLimiter("3/10s", clock=clock)
        assert [lim.allow("a") for _ in range(4)] == [True, True, True, False]
        assert lim.remaining("a") == 0

    def test_keys_are_independent(self, clock):
        lim = FixedWindowLimiter("1/min", clock=clock)
        assert lim.allow("a")
        assert lim.allow("b")
        assert not lim.allow("a")

    def test_new_window_resets(self, clock):
        lim = FixedWindowLimiter("2/10s", clock=clock)
        assert lim.allow() and lim.allow() and not lim.allow()
        clock.advance(10)
        assert lim.allow()
        assert lim.remaining() == 1

    def test_reset(self, clock):
        lim = FixedWindowLimiter("1/h", clock=clock)
        lim.allow("x")
        lim.reset("x")
        assert lim.allow("x")

    def test_repr(self, clock):
        assert repr(FixedWindowLimiter("100/min", clock=clock)) == "FixedWindowLimiter('100/1m')"


class TestTokenBucket:
    def test_burst_then_empty(self, clock):
        b = TokenBucket("5/10s", clock=clock)
        assert all(b.consume() for _ in range(5))
        assert not b.consume()

    def test_refills_over_time(self, clock):
        b = TokenBucket("5/10s", clock=clock)
        for _ in range(5):
            b.consume()
        clock.advance(2)
        assert b.consume()
        assert not b.consume()

    def test_wait_time(self, clock):
        b = TokenBucket("60/min", clock=clock)
        for _ in range(60):
            b.consume()
        assert b.wait_time() == pytest.approx(1.0)
        assert b.wait_time(3) == pytest.approx(3.0)

    def test_sub_second_rate(self, clock):
        b = TokenBucket("1/250ms", clock=clock)
        assert b.consume()
        assert not b.consume()
        clock.advance(0.25)
        assert b.consume()

    def test_too_many_tokens(self, clock):
        with pytest.raises(ValueError):
            TokenBucket("2/s", clock=clock).consume(3)
