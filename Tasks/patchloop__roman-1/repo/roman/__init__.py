"""roman - convert between integers and Roman numerals."""

from .convert import MAX_VALUE, InvalidRomanNumeral, from_roman, is_roman, to_roman

__all__ = ["to_roman", "from_roman", "is_roman", "InvalidRomanNumeral", "MAX_VALUE"]
