from __future__ import annotations

import re
from typing import Container, Iterable

# Characters that carry meaning and are spelled out instead of dropped.
_REPLACEMENTS = {
    "&": " and ",
    "@": " at ",
    "%": " percent ",
    "+": " plus ",
}

_APOSTROPHES = re.compile(r"['\u2019]")


def _tokens(text: str, lowercase: bool) -> list[str]:
    for char, word in _REPLACEMENTS.items():
        text = text.replace(char, word)
    # "don't" -> "dont", not "don-t"
    text = _APOSTROPHES.sub("", text)
    if lowercase:
        text = text.lower()
    return re.findall(r"[A-Za-z0-9]+", text)


def slugify(
    text: str,
    separator: str = "-",
    *,
    max_length: int | None = None,
    lowercase: bool = True,
    stopwords: Iterable[str] = (),
) -> str:
    """Return a URL-friendly slug for *text*.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("Fish & Chips", max_length=10)
    'fish-and'

    *max_length* truncates on a word boundary; a single word that is too
    long is cut.  Words in *stopwords* are dropped (case-insensitively)
    unless that would leave nothing.
    """
    if max_length is not None and max_length < 1:
        raise ValueError("max_length must be positive")
    words = _tokens(text, lowercase)
    stop = {w.lower() for w in stopwords}
    if stop:
        kept = [w for w in words if w.lower() not in stop]
        words = kept or words
    slug = separator.join(words)
    if max_length is not None and len(slug) > max_length:
        cut = slug[: max_length + 1]
        idx = cut.rfind(separator)
        slug = cut[:idx] if idx > 0 else slug[:max_length]
    return slug


def unique_slug(text: str, existing: Container[str], separator: str = "-", **kwargs) -> str:
    """Like :func:`slugify` but append ``-2``, ``-3``, ... until the slug is not in *existing*."""
    base = slugify(text, separator, **kwargs) or "n-a"
    if base not in existing:
        return base
    n = 2
    while f"{base}{separator}{n}" in existing:
        n += 1
    return f"{base}{separator}{n}"
