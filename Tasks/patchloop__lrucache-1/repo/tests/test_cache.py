import pytest

from lrucache import LRUCache, memoize


def test_put_and_get():
    c = LRUCache(2)
    c.put("a", 1)
    assert c.get("a") == 1
    assert "a" in c and len(c) == 1


def test_missing_key_returns_default():
    c = LRUCache(2)
    assert c.get("nope") is None
    assert c.get("nope", 42) == 42
    assert c.info().misses == 2


def test_evicts_least_recently_used():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.get("a")
    c.put("c", 3)
    assert c.keys() == ["a", "c"]
    assert "b" not in c


def test_put_existing_refreshes():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("a", 10)
    c.put("c", 3)
    assert c.keys() == ["a", "c"]
    assert c.get("a") == 10


def test_on_evict_callback():
    evicted = []
    c = LRUCache(1, on_evict=lambda k, v: evicted.append((k, v)))
    c.put("a", 1)
    c.put("b", 2)
    assert evicted == [("a", 1)]


def test_info_counts():
    c = LRUCache(3)
    c.put("x", "value")
    c.get("x")
    c.get("x")
    c.get("y")
    assert tuple(c.info()) == (2, 1, 3, 1)


def test_pop_and_clear():
    c = LRUCache(3)
    c.put("x", 1)
    assert c.pop("x") == 1
    assert c.pop("x", "gone") == "gone"
    c.put("y", 2)
    c.clear()
    assert len(c) == 0 and c.info().hits == 0


def test_invalid_maxsize():
    with pytest.raises(ValueError):
        LRUCache(0)


def test_memoize_caches_results():
    calls = []

    @memoize(maxsize=4)
    def square(n):
        calls.append(n)
        return n * n

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]
    assert square.cache_info().hits == 1


def test_memoize_kwargs_are_part_of_key():
    @memoize()
    def greet(name, punct="!"):
        return f"hi {name}{punct}"

    assert greet("bob") == "hi bob!"
    assert greet("bob", punct="?") == "hi bob?"
    assert len(greet.cache) == 2
