"""A strict INI reader.

Supported syntax::

    ; comment
    # comment
    top_level = value          ; keys before any section go to "" (the root)

    [server]
    host = example.org
    port: 8080

    [server.http]              ; dotted names are nested sections
    enabled = yes

Keys are case-insensitive (they are lower-cased), section names are not.
Values are stripped of surrounding whitespace; a value may be wrapped in
double quotes to keep leading/trailing spaces.
"""

from __future__ import annotations

import re

_SECTION_RE = re.compile(r"^\[\s*(?P<name>[^\]]+?)\s*\]$")
_KEY_RE = re.compile(r"^(?P<key>[^=:]+?)\s*[=:]\s*(?P<value>.*)$")

_BOOLEANS = {
    "1": True, "yes": True, "true": True, "on": True,
    "0": False, "no": False, "false": False, "off": False,
}


class ParseError(ValueError):
    def __init__(self, message: str, lineno: int):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


class DuplicateSectionError(ParseError):
    pass


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class IniFile:
    """Parsed contents of an INI document."""

    ROOT = ""

    def __init__(self) -> None:
        self._sections: dict[str, dict[str, str]] = {self.ROOT: {}}

    # -- parsing ---------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> "IniFile":
        ini = cls()
        current = ini._sections[cls.ROOT]
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line[0] in ";#":
                continue
            m = _SECTION_RE.match(line)
            if m:
                name = m.group("name")
                if name in ini._sections:
                    raise DuplicateSectionError(f"duplicate section [{name}]", lineno)
                current = ini._sections[name] = {}
                continue
            m = _KEY_RE.match(line)
            if not m:
                raise ParseError(f"expected 'key = value', got {raw!r}", lineno)
            current[m.group("key").lower()] = _unquote(m.group("value"))
        return ini

    # -- queries ---------------------------------------------------------
    def sections(self) -> list[str]:
        """Names of all sections, in file order (the root is not included)."""
        return [name for name in self._sections if name != self.ROOT]

    def has_section(self, name: str) -> bool:
        return name in self._sections

    def items(self, section: str = ROOT) -> dict[str, str]:
        try:
            return dict(self._sections[section])
        except KeyError:
            raise KeyError(f"no section [{section}]") from None

    def get(self, section: str, key: str, default: str | None = None) -> str | None:
        return self._sections.get(section, {}).get(key.lower(), default)

    def getint(self, section: str, key: str, default: int | None = None) -> int | None:
        value = self.get(section, key)
        return default if value is None else int(value)

    def getboolean(self, section: str, key: str, default: bool | None = None) -> bool | None:
        value = self.get(section, key)
        if value is None:
            return default
        try:
            return _BOOLEANS[value.lower()]
        except KeyError:
            raise ValueError(f"not a boolean: {value!r}") from None

    def subsections(self, parent: str) -> list[str]:
        """Names of the direct children of *parent*, relative to it.

        For ``[server]``, ``[server.http]`` and ``[server.http.tls]``,
        ``subsections("server")`` is ``["http"]``.
        """
        children = []
        for name in self.sections():
            if not name.startswith(parent + "."):
                continue
            child = name.lstrip(parent + ".")
            if "." not in child:
                children.append(child)
        return children

    def section_tree(self, parent: str) -> dict[str, dict[str, str]]:
        """Map each direct child of *parent* to its key/value pairs."""
        return {child: self.items(f"{parent}.{child}") for child in self.subsections(parent)}


def loads(text: str) -> IniFile:
    """Parse INI *text* into an :class:`IniFile`."""
    return IniFile.parse(text)
