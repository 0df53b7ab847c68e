"""Key paths and their lines (`config_lines.py`), and junk that must raise only ConfigError."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from hall.contract.config import ConfigError, format_key
from hall.contract.config_lines import KeyPath, LineMap

from .hallfile import BASE, BASE_LINES, check


def test_format_key_counts_from_one() -> None:
    assert format_key(("windows", 1, "services")) == "windows[2].services"
    assert format_key(("hall", "odd key")) == 'hall."odd key"'
    assert format_key(()) == ""


def test_line_map_headers_keys_and_strings() -> None:
    text = """\
[hall]  # [not] a header
id = "x"
"quoted.key" = '''
[fake]
x = 1'''
[[a]]
[a.b]
k = { c = 1, d.e = [1, { f = 2 }] }
[[a]]
[[a.n]]
t = 1979-05-27 07:32:00
"""
    lines = LineMap(text)
    assert lines.exact(("hall",)) == 1
    assert lines.exact(("hall", "quoted.key")) == 3
    assert lines.exact(("fake",)) is None
    assert lines.exact(("a", 0, "b")) == 7
    assert lines.exact(("a", 0, "b", "k", "d", "e", 1, "f")) == 8
    assert lines.exact(("a", 1)) == 9
    assert lines.exact(("a", 1, "n", 0, "t")) == 11
    assert lines.line_of(("a", 1, "missing")) == 9
    assert lines.line_of(("nothing",)) is None


# -- junk never raises anything but ConfigError -------------------------------------------

TOML_BITS = st.sampled_from(
    [
        "[hall]",
        "[broker]",
        "[store]",
        "[http]",
        "[portal]",
        "[queue]",
        "[[services]]",
        "[[windows]]",
        "[[devices]]",
        "[hall.x]",
        'id = "demo"',
        'id = "1"',
        'id = "kiosk-1"',
        'name = "X"',
        'timezone = "Asia/Shanghai"',
        'timezone = "../../etc/passwd"',
        'code = "A"',
        'code = "B"',
        "daily_cap = 0",
        'services = ["A", "B"]',
        "services = [",
        "]",
        'kind = "kiosk"',
        'kind = "window_pad"',
        'window = "1"',
        'printer = "kiosk-1"',
        'url = "mqtt://u:p@h:0"',
        'url = "redis://h/0"',
        'url = "unix://"',
        'url = "http://[::1"',
        'secret = "whsec_AAAA"',
        'listen = "[::]:1"',
        "recall_cap = 1e3",
        "x = {a = [1, {b = 2}]}",
        '"q.k" = """',
        "'''",
        "t = 1979-05-27 07:32:00",
        "hall = []",
        "windows = [{}]",
        "# comment",
        "",
    ]
)


def assert_only_config_errors(text: str) -> None:
    try:
        check(text)
    except ConfigError as exc:
        assert str(exc).startswith("hall.toml")
        if exc.line is not None:
            assert 1 <= exc.line <= text.count("\n") + 1


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_raises_only_config_error(text: str) -> None:
    assert_only_config_errors(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOML_BITS, max_size=30))
def test_random_toml_pieces_raise_only_config_error(pieces: list[str]) -> None:
    assert_only_config_errors("\n".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=BASE_LINES - 1), st.text(max_size=20))
def test_damaged_base_raises_only_config_error(line: int, junk: str) -> None:
    lines = BASE.split("\n")
    lines[line] = lines[line][: len(junk) % 7] + junk
    assert_only_config_errors("\n".join(lines))


def key_paths(value: object, path: KeyPath = ()) -> Iterator[KeyPath]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from key_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*path, i)
            yield from key_paths(item, (*path, i))


MORE_BITS = st.sampled_from(
    [
        'a."b c".d = 1',
        "[x.'y']",
        "[[x.z]]",
        'q = """a\n[[fake]]\nb = 1"""',
        "arr = [\n[1, 2], # c\n{a = 1},\n]",
        'e = "\\u0041\\"x"',
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOML_BITS | MORE_BITS, max_size=25))
def test_line_map_finds_every_key_tomllib_finds(pieces: list[str]) -> None:
    text = "\n".join(pieces)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    lines = LineMap(text)
    for path in key_paths(document):
        assert lines.exact(path) is not None, path
