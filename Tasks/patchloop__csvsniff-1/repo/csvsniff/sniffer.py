"""Delimiter detection for CSV-like text.

The approach is simple: split each line of a sample with every candidate
delimiter (honouring quoted fields) and pick the delimiter that yields the
same number of fields (more than one) on the most lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

DEFAULT_DELIMITERS = ",;\t|"


class SniffError(ValueError):
    pass


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quotechar: str = '"'
    columns: int = 0


def _scan_quoted(line: str, pos: int, quotechar: str) -> tuple[str, int]:
    """Read a quoted field whose opening quote is at ``line[pos - 1]``.

    Returns the unescaped value and the index just past the closing quote.
    A doubled quote inside the field stands for a literal quote character.
    """
    start = pos
    while True:
        end = line.find(quotechar, pos)
        if line.startswith(quotechar, end + 1):  # "" -> literal quote
            pos = end + 2
            continue
        return line[start:end].replace(quotechar * 2, quotechar), end + 1


def split_line(line: str, delimiter: str = ",", quotechar: str = '"') -> list[str]:
    """Split one line of delimited text into fields.

    >>> split_line('a,"b,c",d')
    ['a', 'b,c', 'd']
    """
    if len(delimiter) != 1:
        raise ValueError("delimiter must be a single character")
    fields: list[str] = []
    pos = 0
    n = len(line)
    while True:
        if pos < n and line[pos] == quotechar:
            value, pos = _scan_quoted(line, pos + 1, quotechar)
            # tolerate junk between the closing quote and the delimiter
            nxt = line.find(delimiter, pos)
            if nxt == -1:
                fields.append(value + line[pos:])
                return fields
            fields.append(value + line[pos:nxt])
            pos = nxt + 1
            continue
        nxt = line.find(delimiter, pos)
        if nxt == -1:
            fields.append(line[pos:])
            return fields
        fields.append(line[pos:nxt])
        pos = nxt + 1


def _lines(sample: str) -> list[str]:
    return [ln for ln in sample.splitlines() if ln.strip()]


def sniff(sample: str, delimiters: str = DEFAULT_DELIMITERS, quotechar: str = '"') -> Dialect:
    """Guess the delimiter used in *sample*.

    Raises :class:`SniffError` if no candidate splits the lines consistently.
    """
    lines = _lines(sample)
    if not lines:
        raise SniffError("empty sample")
    best: tuple[int, int, int] | None = None
    best_dialect: Dialect | None = None
    for rank, delim in enumerate(delimiters):
        widths = Counter(len(split_line(ln, delim, quotechar)) for ln in lines)
        width, agreeing = widths.most_common(1)[0]
        if width < 2:
            continue
        # prefer: most agreeing lines, then more columns, then earlier candidates
        score = (agreeing, width, -rank)
        if best is None or score > best:
            best, best_dialect = score, Dialect(delim, quotechar, width)
    if best_dialect is None:
        raise SniffError("could not determine delimiter")
    return best_dialect


def has_header(sample: str, dialect: Dialect | None = None) -> bool:
    """Heuristic: the first row is a header if some column is numeric in
    every other row but not in the first one."""
    dialect = dialect or sniff(sample)
    rows = [split_line(ln, dialect.delimiter, dialect.quotechar) for ln in _lines(sample)]
    if len(rows) < 2:
        return False

    def numeric(s: str) -> bool:
        try:
            float(s)
        except ValueError:
            return False
        return True

    header, body = rows[0], rows[1:]
    for col in range(len(header)):
        column = [r[col] for r in body if col < len(r)]
        if column and all(numeric(v) for v in column) and not numeric(header[col]):
            return True
    return False
