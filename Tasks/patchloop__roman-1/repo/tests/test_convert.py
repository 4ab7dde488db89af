import pytest

from roman import MAX_VALUE, InvalidRomanNumeral, from_roman, is_roman, to_roman

KNOWN = [
    (1, "I"), (3, "III"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"),
    (90, "XC"), (400, "CD"), (1994, "MCMXCIV"), (2024, "MMXXIV"), (3999, "MMMCMXCIX"),
]


@pytest.mark.parametrize("number,numeral", KNOWN)
def test_to_roman(number, numeral):
    assert to_roman(number) == numeral


@pytest.mark.parametrize("number,numeral", KNOWN)
def test_from_roman(number, numeral):
    assert from_roman(numeral) == number


def test_round_trip():
    for n in range(1, MAX_VALUE + 1):
        assert from_roman(to_roman(n)) == n


def test_lowercase_and_spaces():
    assert from_roman("  mcmxciv ") == 1994


def test_too_large():
    with pytest.raises(ValueError):
        to_roman(4000)


def test_type_errors():
    with pytest.raises(TypeError):
        to_roman(3.0)
    with pytest.raises(TypeError):
        to_roman(True)


@pytest.mark.parametrize("bad", ["IIII", "VV", "IM", "MMMM", "XIIV", "ABC"])
def test_non_canonical_rejected(bad):
    with pytest.raises(InvalidRomanNumeral):
        from_roman(bad)


def test_lenient_mode():
    assert from_roman("IIII", strict=False) == 4
    assert from_roman("MDCCCCX", strict=False) == 1910


def test_is_roman():
    assert is_roman("XLII")
    assert not is_roman("XLLII")
