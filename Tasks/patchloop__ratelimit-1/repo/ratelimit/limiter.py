"""Rate limiters keyed by client identifier."""

from __future__ import annotations

import threading
import time
from typing import Callable, Dict, Hashable, Tuple

from .units import format_period, parse_rate

Clock = Callable[[], float]


class FixedWindowLimiter:
    """Allow at most *count* requests per key in each window of *period* seconds.

    Windows are aligned to multiples of the period on the clock, so with
    ``"10/min"`` a client may make 10 calls in each clock minute.
    """

    def __init__(self, rate: str, clock: Clock = time.monotonic):
        self.limit, self.period = parse_rate(rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: Dict[Hashable, Tuple[int, int]] = {}

    def _window(self) -> int:
        return int(self._clock()) // self.period

    def allow(self, key: Hashable = None) -> bool:
        """Record a request for *key*; return whether it is within the limit."""
        with self._lock:
            window = self._window()
            current, used = self._windows.get(key, (window, 0))
            if current != window:
                used = 0
            if used >= self.limit:
                self._windows[key] = (window, used)
                return False
            self._windows[key] = (window, used + 1)
            return True

    def remaining(self, key: Hashable = None) -> int:
        with self._lock:
            window, used = self._windows.get(key, (None, 0))
            if window != self._window():
                return self.limit
            return self.limit - used

    def reset(self, key: Hashable = None) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def __repr__(self) -> str:
        return f"FixedWindowLimiter('{self.limit}/{format_period(self.period)}')"


class TokenBucket:
    """A token bucket holding at most *count* tokens, refilled evenly over *period*."""

    def __init__(self, rate: str, clock: Clock = time.monotonic):
        self.capacity, self.period = parse_rate(rate)
        self.refill_rate = self.capacity / self.period  # tokens per second
        self._clock = clock
        self._tokens = float(self.capacity)
        self._updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_rate)
        self._updated = now

    def consume(self, tokens: int = 1) -> bool:
        if tokens > self.capacity:
            raise ValueError("cannot consume more tokens than the bucket holds")
        with self._lock:
            self._refill()
            if self._tokens >= tokens:
                self._tokens -= tokens
                return True
            return False

    def wait_time(self, tokens: int = 1) -> float:
        """Seconds until *tokens* can be consumed."""
        with self._lock:
            self._refill()
            missing = tokens - self._tokens
            return max(0.0, missing / self.refill_rate)

    def __repr__(self) -> str:
        return f"TokenBucket('{self.capacity}/{format_period(self.period)}')"
