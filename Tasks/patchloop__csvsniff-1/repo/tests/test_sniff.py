import pytest

from csvsniff import SniffError, has_header, sniff

COMMA = "name,age,city\nalice,30,Paris\nbob,25,\"Rome, IT\"\n"
SEMI = "id;price;label\n1;2,50;foo\n2;3,10;bar\n"
TABS = "a\tb\n1\t2\n3\t4\n"
PIPES = "x|y|z\n1|2|3\n"


@pytest.mark.parametrize("sample,delimiter,columns", [
    (COMMA, ",", 3),
    (SEMI, ";", 3),
    (TABS, "\t", 2),
    (PIPES, "|", 3),
], ids=["comma", "semicolon", "tab", "pipe"])
def test_sniff(sample, delimiter, columns):
    d = sniff(sample)
    assert (d.delimiter, d.columns) == (delimiter, columns)


def test_sniff_restricted_candidates():
    assert sniff("a;b,c\n1;2,3\n", delimiters=";").delimiter == ";"


def test_sniff_empty():
    with pytest.raises(SniffError):
        sniff("\n\n")


def test_sniff_single_column():
    with pytest.raises(SniffError):
        sniff("hello\nworld\n")


def test_has_header():
    assert has_header(COMMA)
    assert not has_header("1,2\n3,4\n")
    assert not has_header(PIPES.splitlines()[0])
