"""semver - parse, compare and match semantic versions (https://semver.org)."""

from .version import InvalidVersion, Version, matches, max_satisfying

__all__ = ["Version", "InvalidVersion", "matches", "max_satisfying"]
