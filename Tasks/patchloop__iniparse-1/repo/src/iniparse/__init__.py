"""iniparse - a small, strict INI file reader."""

from .parser import DuplicateSectionError, IniFile, ParseError, loads

__all__ = ["IniFile", "ParseError", "DuplicateSectionError", "loads"]
