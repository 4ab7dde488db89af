"""csvsniff - guess the dialect of delimited text files."""

from .sniffer import Dialect, SniffError, has_header, sniff, split_line

__all__ = ["Dialect", "SniffError", "sniff", "has_header", "split_line"]
