"""wraptext - small, predictable text wrapping helpers."""

from .core import fill, shorten, wrap

__all__ = ["wrap", "fill", "shorten"]
__version__ = "0.4.1"
