import pytest

from slugkit import slugify, unique_slug


@pytest.mark.parametrize("text,expected", [
    ("Hello, World!", "hello-world"),
    ("  leading and trailing  ", "leading-and-trailing"),
    ("Multiple---dashes___and   spaces", "multiple-dashes-and-spaces"),
    ("Fish & Chips", "fish-and-chips"),
    ("don't stop", "dont-stop"),
    ("100% Pure", "100-percent-pure"),
    ("C++ tips", "c-plus-plus-tips"),
    ("", ""),
    ("!!!", ""),
], ids=["punctuation", "strip", "collapse", "ampersand", "apostrophe", "percent", "plus", "empty", "only-symbols"])
def test_slugify(text, expected):
    assert slugify(text) == expected


def test_custom_separator():
    assert slugify("Hello World", separator="_") == "hello_world"


def test_keep_case():
    assert slugify("Hello World", lowercase=False) == "Hello-World"


def test_max_length_word_boundary():
    assert slugify("the quick brown fox", max_length=12) == "the-quick"
    assert slugify("the quick brown fox", max_length=15) == "the-quick-brown"


def test_max_length_cuts_single_word():
    assert slugify("supercalifragilistic", max_length=5) == "super"


def test_max_length_invalid():
    with pytest.raises(ValueError):
        slugify("x", max_length=0)


def test_stopwords():
    assert slugify("The Lord of the Rings", stopwords=["the", "of"]) == "lord-rings"
    assert slugify("The", stopwords=["the"]) == "the"


def test_unique_slug():
    existing = {"my-post", "my-post-2"}
    assert unique_slug("My Post", existing) == "my-post-3"
    assert unique_slug("Other", existing) == "other"
    assert unique_slug("???", set()) == "n-a"
