"""ratelimit - in-process rate limiting with human-friendly rate specs.

>>> limiter = FixedWindowLimiter("100/min")
>>> limiter.allow("client-42")
True
"""

from .limiter import FixedWindowLimiter, TokenBucket
from .units import format_period, parse_period, parse_rate

__all__ = ["FixedWindowLimiter", "TokenBucket", "parse_period", "parse_rate", "format_period"]
