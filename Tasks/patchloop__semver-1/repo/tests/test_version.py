import pytest

from semver import InvalidVersion, Version, matches, max_satisfying


def V(s):
    return Version.parse(s)


class TestParse:
    def test_simple(self):
        v = V("1.2.3")
        assert (v.major, v.minor, v.patch) == (1, 2, 3)
        assert v.prerelease == () and v.build == ()

    def test_prerelease_and_build(self):
        v = V("1.0.0-rc.1+build.5")
        assert v.prerelease == ("rc", "1")
        assert v.build == ("build", "5")
        assert str(v) == "1.0.0-rc.1+build.5"

    def test_leading_v(self):
        assert V("v2.0.1") == V("2.0.1")

    @pytest.mark.parametrize("bad", ["1.2", "01.2.3", "1.2.3-", "1.2.3+", "a.b.c", ""])
    def test_invalid(self, bad):
        with pytest.raises(InvalidVersion):
            V(bad)


class TestOrdering:
    def test_numeric_fields(self):
        assert V("1.2.3") < V("1.2.10") < V("1.10.0") < V("2.0.0")

    def test_prerelease_before_release(self):
        assert V("1.0.0-alpha") < V("1.0.0")
        assert V("2.0.0-rc.1") < V("2.0.0")
        assert V("1.9.9") < V("2.0.0-alpha")

    def test_longer_prerelease_is_greater(self):
        assert V("1.0.0-alpha") < V("1.0.0-alpha.1")

    def test_alphabetical_identifiers(self):
        assert V("1.0.0-alpha") < V("1.0.0-beta") < V("1.0.0-rc")

    def test_build_is_ignored(self):
        assert V("1.0.0+a") == V("1.0.0+b")
        assert hash(V("1.0.0+a")) == hash(V("1.0.0"))

    def test_sorting(self):
        versions = [V(s) for s in ["1.0.0", "0.9.0", "1.0.0-beta", "0.10.0"]]
        assert [str(v) for v in sorted(versions)] == ["0.9.0", "0.10.0", "1.0.0-beta", "1.0.0"]


class TestBump:
    def test_bumps(self):
        assert str(V("1.2.3").bump_patch()) == "1.2.4"
        assert str(V("1.2.3").bump_minor()) == "1.3.0"
        assert str(V("1.2.3").bump_major()) == "2.0.0"

    def test_bump_patch_of_prerelease(self):
        assert str(V("1.2.3-rc.1").bump_patch()) == "1.2.3"


@pytest.mark.parametrize("version,spec,expected", [
    ("1.4.2", "^1.2.0", True),
    ("2.0.0", "^1.2.0", False),
    ("0.2.5", "^0.2.1", True),
    ("0.3.0", "^0.2.1", False),
    ("1.2.9", "~1.2.3", True),
    ("1.3.0", "~1.2.3", False),
    ("1.5.0", ">=1.2.0 <2.0.0", True),
    ("3.1.0", "<2.0.0 || >=3.0.0", True),
    ("1.4.0", "^1.4", True),
], ids=["caret-minor", "caret-major-bump", "caret-zero-major", "caret-zero-minor-bump",
        "tilde", "tilde-minor-bump", "range", "or", "caret-partial"])
def test_matches(version, spec, expected):
    assert matches(version, spec) is expected


def test_max_satisfying():
    assert max_satisfying(["1.2.0", "1.9.3", "2.0.0", "1.10.1"], "^1.0.0") == V("1.10.1")
    assert max_satisfying(["3.0.0"], "^1.0.0") is None
