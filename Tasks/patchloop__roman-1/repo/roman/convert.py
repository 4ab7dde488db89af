"""Conversion between integers and (standard, subtractive) Roman numerals."""

from __future__ import annotations

import re

MAX_VALUE = 3999

_NUMERALS = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

# Thousands, hundreds, tens and ones in canonical form.
_CANONICAL = re.compile(
    r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$"
)


class InvalidRomanNumeral(ValueError):
    pass


def to_roman(number: int) -> str:
    """Return the canonical Roman numeral for *number* (1..3999).

    >>> to_roman(1994)
    'MCMXCIV'
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"expected int, got {type(number).__name__}")
    if number > MAX_VALUE:
        raise ValueError(f"{number} is out of range (1..{MAX_VALUE})")
    parts = []
    for value, symbol in _NUMERALS:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)


def from_roman(numeral: str, *, strict: bool = True) -> int:
    """Parse a Roman numeral (case-insensitive, surrounding spaces ignored).

    With *strict* (the default) only canonical numerals are accepted, so
    ``"IIII"`` or ``"IM"`` raise :class:`InvalidRomanNumeral`.  Without it,
    any sequence of valid symbols is summed using the subtractive rule.
    """
    text = numeral.strip().upper()
    if strict and not _CANONICAL.match(text):
        raise InvalidRomanNumeral(f"not a canonical Roman numeral: {numeral!r}")
    total = 0
    prev = 0
    for ch in reversed(text):
        try:
            value = _VALUES[ch]
        except KeyError:
            raise InvalidRomanNumeral(f"invalid symbol {ch!r} in {numeral!r}") from None
        if value < prev:
            total -= value
        else:
            total += value
            prev = value
    return total


def is_roman(numeral: str) -> bool:
    """Whether *numeral* is a canonical Roman numeral."""
    try:
        from_roman(numeral)
    except InvalidRomanNumeral:
        return False
    return True
