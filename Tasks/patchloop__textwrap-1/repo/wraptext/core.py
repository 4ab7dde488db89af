"""Greedy word wrapping.

Unlike :mod:`textwrap` from the standard library this module never
hyphenates and treats every run of whitespace (including newlines) as a
single word separator, which makes its output easy to predict.
"""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


def _words(text: str) -> list[str]:
    return [w for w in _WHITESPACE.split(text.strip()) if w]


def _check(width: int, initial_indent: str, subsequent_indent: str) -> None:
    if width <= 0:
        raise ValueError(f"invalid width {width!r} (must be > 0)")
    for indent in (initial_indent, subsequent_indent):
        if len(indent) >= width:
            raise ValueError(f"indent {indent!r} leaves no room for text at width {width}")


def wrap(
    text: str,
    width: int = 70,
    *,
    initial_indent: str = "",
    subsequent_indent: str = "",
    break_long_words: bool = True,
) -> list[str]:
    """Wrap *text* into a list of lines of at most *width* characters.

    The indents count towards the width.  Words longer than the available
    room are split into chunks when *break_long_words* is true; otherwise
    they are put on a line of their own, which then exceeds *width*.
    """
    _check(width, initial_indent, subsequent_indent)
    lines: list[str] = []
    line: list[str] = []
    line_len = 0  # length of the words on the current line, spaces included

    def room() -> int:
        indent = subsequent_indent if lines else initial_indent
        return width - len(indent)

    def flush() -> None:
        nonlocal line, line_len
        indent = subsequent_indent if lines else initial_indent
        lines.append(indent + " ".join(line))
        line, line_len = [], 0

    for word in _words(text):
        needed = len(word) + (1 if line else 0)
        if line_len + needed < room():
            line.append(word)
            line_len += needed
            continue
        if line:
            flush()
        if break_long_words:
            while len(word) > room():
                line = [word[: room()]]
                word = word[room() :]
                flush()
        line, line_len = [word], len(word)

    if line:
        flush()
    return lines


def fill(text: str, width: int = 70, **kwargs) -> str:
    """Like :func:`wrap` but return a single string joined with newlines."""
    return "\n".join(wrap(text, width, **kwargs))


def shorten(text: str, width: int, placeholder: str = " [...]") -> str:
    """Collapse whitespace and truncate *text* to fit in *width* characters.

    Whole words are dropped from the end and *placeholder* is appended
    when the text does not fit.
    """
    words = _words(text)
    collapsed = " ".join(words)
    if len(collapsed) <= width:
        return collapsed
    if len(placeholder.lstrip()) > width:
        raise ValueError("placeholder too large for max width")
    kept: list[str] = []
    length = 0
    for word in words:
        extra = len(word) + (1 if kept else 0)
        if length + extra + len(placeholder) > width:
            break
        kept.append(word)
        length += extra
    if not kept:
        return placeholder.lstrip()
    return " ".join(kept) + placeholder
