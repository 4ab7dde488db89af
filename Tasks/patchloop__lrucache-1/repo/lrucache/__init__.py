"""lrucache - a bounded least-recently-used cache and memoizing decorator."""

from .cache import CacheInfo, LRUCache, memoize

__all__ = ["LRUCache", "CacheInfo", "memoize"]
