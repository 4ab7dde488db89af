from __future__ import annotations

import functools
import re
from typing import Iterable

_VERSION_RE = re.compile(
    r"""^v?
    (?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)
    (?:-(?P<prerelease>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    (?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    $""",
    re.VERBOSE,
)


class InvalidVersion(ValueError):
    pass


@functools.total_ordering
class Version:
    """An immutable semantic version."""

    __slots__ = ("major", "minor", "patch", "prerelease", "build")

    def __init__(self, major: int, minor: int = 0, patch: int = 0,
                 prerelease: tuple[str, ...] = (), build: tuple[str, ...] = ()):
        if min(major, minor, patch) < 0:
            raise InvalidVersion("version numbers must be non-negative")
        object.__setattr__(self, "major", major)
        object.__setattr__(self, "minor", minor)
        object.__setattr__(self, "patch", patch)
        object.__setattr__(self, "prerelease", tuple(prerelease))
        object.__setattr__(self, "build", tuple(build))

    def __setattr__(self, name, value):
        raise AttributeError("Version is immutable")

    @classmethod
    def parse(cls, text: str) -> "Version":
        m = _VERSION_RE.match(text.strip())
        if not m:
            raise InvalidVersion(f"invalid version: {text!r}")
        pre = m.group("prerelease")
        build = m.group("build")
        return cls(
            int(m.group("major")), int(m.group("minor")), int(m.group("patch")),
            tuple(pre.split(".")) if pre else (),
            tuple(build.split(".")) if build else (),
        )

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            s += "-" + ".".join(self.prerelease)
        if self.build:
            s += "+" + ".".join(self.build)
        return s

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    # Build metadata is ignored for precedence (semver 2.0.0, item 10).
    def _key(self):
        if self.prerelease:
            pre = (0, self.prerelease)
        else:
            pre = (1, ())  # a normal version has higher precedence than any pre-release
        return (self.major, self.minor, self.patch, pre)

    def __eq__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self):
        return hash(self._key())

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def bump_major(self) -> "Version":
        return Version(self.major + 1, 0, 0)

    def bump_minor(self) -> "Version":
        return Version(self.major, self.minor + 1, 0)

    def bump_patch(self) -> "Version":
        if self.prerelease:
            return Version(self.major, self.minor, self.patch)
        return Version(self.major, self.minor, self.patch + 1)


def _as_version(v) -> Version:
    return v if isinstance(v, Version) else Version.parse(v)


def _comparator(op: str, target: Version):
    if op == "^":
        if target.major > 0:
            upper = target.bump_major()
        elif target.minor > 0:
            upper = Version(0, target.minor + 1, 0)
        else:
            upper = Version(0, 0, target.patch + 1)
        return lambda v: target <= v < upper
    if op == "~":
        upper = target.bump_minor()
        return lambda v: target <= v < upper
    ops = {
        ">=": lambda v: v >= target, "<=": lambda v: v <= target,
        ">": lambda v: v > target, "<": lambda v: v < target,
        "=": lambda v: v == target, "": lambda v: v == target,
    }
    return ops[op]


_CONSTRAINT_RE = re.compile(r"^(\^|~|>=|<=|>|<|=)?\s*(\S+)$")


def matches(version, spec: str) -> bool:
    """Whether *version* satisfies *spec*, e.g. ``">=1.2.0 <2.0.0"`` or ``"^1.4"``.

    Space separated constraints must all hold; ``||`` separates alternatives.
    """
    v = _as_version(version)
    for alternative in spec.split("||"):
        constraints = alternative.split()
        ok = bool(constraints)
        for c in constraints:
            m = _CONSTRAINT_RE.match(c)
            if not m:
                raise InvalidVersion(f"invalid constraint: {c!r}")
            op, ver = m.group(1) or "", m.group(2)
            parts = ver.split("-")[0].split("+")[0].split(".")
            while len(parts) < 3:  # allow "^1.4" and "~2"
                ver = ver + ".0"
                parts.append("0")
            if not _comparator(op, Version.parse(ver))(v):
                ok = False
                break
        if ok:
            return True
    return False


def max_satisfying(versions: Iterable, spec: str) -> Version | None:
    """The highest of *versions* that satisfies *spec*, or None."""
    candidates = [_as_version(v) for v in versions if matches(v, spec)]
    return max(candidates) if candidates else None
