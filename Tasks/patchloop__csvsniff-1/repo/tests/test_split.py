import pytest

from csvsniff import split_line


@pytest.mark.parametrize("line,expected", [
    ("a,b,c", ["a", "b", "c"]),
    ("", [""]),
    ("a,,c,", ["a", "", "c", ""]),
    ('a,"b,c",d', ["a", "b,c", "d"]),
    ('"x","y"', ["x", "y"]),
    ('"say ""hi""",2', ['say "hi"', "2"]),
    ('"a"junk,b', ["ajunk", "b"]),
    ('""', [""]),
], ids=["plain", "empty", "empty-fields", "quoted-delimiter", "all-quoted",
        "escaped-quotes", "junk-after-quote", "empty-quoted"])
def test_split_line(line, expected):
    assert split_line(line) == expected


def test_other_delimiter_and_quote():
    assert split_line("a;'b;c'", delimiter=";", quotechar="'") == ["a", "b;c"]


def test_invalid_delimiter():
    with pytest.raises(ValueError):
        split_line("a,b", delimiter=",,")
