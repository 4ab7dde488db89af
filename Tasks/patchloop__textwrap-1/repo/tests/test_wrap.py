import pytest

from wraptext import fill, shorten, wrap


def test_short_text_is_single_line():
    assert wrap("hello world", width=40) == ["hello world"]


def test_empty_text():
    assert wrap("", width=10) == []
    assert wrap("   \n  ", width=10) == []


def test_whitespace_is_collapsed():
    assert wrap("a  b\n\tc", width=20) == ["a b c"]


def test_basic_wrapping():
    text = "The quick brown fox jumps over the lazy dog"
    assert wrap(text, width=13) == ["The quick", "brown fox", "jumps over", "the lazy dog"]


def test_no_line_exceeds_width():
    text = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod"
    for width in (7, 11, 13, 23):
        for line in wrap(text, width=width):
            assert len(line) <= width


def test_long_word_is_broken():
    assert wrap("abcdefghij", width=4) == ["abcd", "efgh", "ij"]


def test_long_word_not_broken():
    assert wrap("a abcdefghij b", width=4, break_long_words=False) == ["a", "abcdefghij", "b"]


def test_indents():
    lines = wrap("one two three four five", width=10, initial_indent="* ", subsequent_indent="  ")
    assert lines == ["* one two", "  three", "  four", "  five"]


def test_invalid_width():
    with pytest.raises(ValueError):
        wrap("text", width=0)


def test_indent_too_wide():
    with pytest.raises(ValueError):
        wrap("text", width=4, initial_indent="    ")


def test_fill_joins_lines():
    assert fill("aa bb cc dd", width=6) == "aa bb\ncc dd"


class TestShorten:
    def test_fits(self):
        assert shorten("Hello  world!", width=12) == "Hello world!"

    def test_truncates_on_word_boundary(self):
        assert shorten("Hello world, how are you?", width=16) == "Hello [...]"

    def test_custom_placeholder(self):
        assert shorten("one two three four", width=12, placeholder="...") == "one two..."

    def test_nothing_fits(self):
        assert shorten("extraordinary", width=8) == "[...]"
