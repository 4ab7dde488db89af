import pytest

from iniparse import DuplicateSectionError, ParseError, loads

SAMPLE = """
; global settings
name = demo
debug: off

[server]
host = example.org
port = 8080
banner = "  welcome  "

[server.http]
enabled = yes

[server.admin]
enabled = no
users = alice, bob

[server.http.limits]
rps = 100

[database]
URL = postgres://db/app
"""


@pytest.fixture
def ini():
    return loads(SAMPLE)


def test_sections_in_order(ini):
    assert ini.sections() == ["server", "server.http", "server.admin", "server.http.limits", "database"]


def test_root_keys(ini):
    assert ini.items() == {"name": "demo", "debug": "off"}


def test_get_and_default(ini):
    assert ini.get("server", "host") == "example.org"
    assert ini.get("server", "missing") is None
    assert ini.get("server", "missing", "x") == "x"
    assert ini.get("nope", "host", "y") == "y"


def test_keys_are_case_insensitive(ini):
    assert ini.get("database", "url") == "postgres://db/app"
    assert ini.get("database", "URL") == "postgres://db/app"


def test_getint(ini):
    assert ini.getint("server", "port") == 8080
    assert ini.getint("server", "workers", 4) == 4


@pytest.mark.parametrize("section,key,expected", [
    ("", "debug", False),
    ("server.http", "enabled", True),
    ("server.admin", "enabled", False),
])
def test_getboolean(ini, section, key, expected):
    assert ini.getboolean(section, key) is expected


def test_getboolean_invalid(ini):
    with pytest.raises(ValueError):
        ini.getboolean("server", "host")


def test_quoted_value_keeps_spaces(ini):
    assert ini.get("server", "banner") == "  welcome  "


def test_subsections(ini):
    assert ini.subsections("server") == ["http", "admin"]
    assert ini.subsections("server.http") == ["limits"]
    assert ini.subsections("database") == []


def test_section_tree(ini):
    assert ini.section_tree("server.http") == {"limits": {"rps": "100"}}


def test_duplicate_section():
    with pytest.raises(DuplicateSectionError) as exc:
        loads("[a]\nx=1\n[a]\n")
    assert exc.value.lineno == 3


def test_garbage_line():
    with pytest.raises(ParseError, match="line 2"):
        loads("[a]\nthis is not valid\n")
