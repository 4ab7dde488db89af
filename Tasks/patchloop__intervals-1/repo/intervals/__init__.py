"""intervals - merge, intersect and measure sets of numeric intervals."""

from .ops import complement, contains, intersect, merge, total_length

__all__ = ["merge", "intersect", "complement", "contains", "total_length"]
