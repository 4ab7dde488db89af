import pytest

from intervals import complement, contains, intersect, merge, total_length


def test_merge_empty():
    assert merge([]) == []


def test_merge_disjoint_is_sorted():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_merge_overlapping_chain():
    assert merge([(1, 3), (2, 5), (4, 8)]) == [(1, 8)]


def test_merge_unsorted_input():
    assert merge([(10, 12), (1, 4), (3, 6)]) == [(1, 6), (10, 12)]


def test_merge_adjacent():
    assert merge([(1, 2), (2, 3)]) == [(1, 3)]
    assert merge([(1, 2), (2, 3)], join_adjacent=False) == [(1, 2), (2, 3)]


def test_merge_rejects_reversed():
    with pytest.raises(ValueError):
        merge([(3, 1)])


def test_merge_floats():
    assert merge([(0.5, 1.5), (1.25, 2.0)]) == [(0.5, 2.0)]


def test_total_length():
    assert total_length([(0, 2), (1, 3), (10, 11)]) == 4


def test_contains():
    ivs = [(1, 3), (7, 9)]
    assert contains(ivs, 1)
    assert contains(ivs, 8.5)
    assert not contains(ivs, 5)
    assert not contains(ivs, 0)


def test_intersect():
    assert intersect([(0, 5), (8, 12)], [(3, 9), (11, 20)]) == [(3, 5), (8, 9), (11, 12)]


def test_complement():
    assert complement([(2, 3), (5, 7)], 0, 10) == [(0, 2), (3, 5), (7, 10)]
    assert complement([], 0, 1) == [(0, 1)]
