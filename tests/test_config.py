"""The hall configuration loader: the demo file, every kind of error with its exact line, junk."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.config import (
    BrokerConfig,
    ConfigError,
    HallConfig,
    HttpConfig,
    QueueRules,
    check_config_text,
    format_key,
    load_config,
)
from hall.config_lines import KeyPath, LineMap

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_HALL = REPO_ROOT / "config" / "demo-hall.toml"

# A small valid hall. The line numbers in the cases below refer to this text.
BASE = """\
[hall]
id = "test"
name = "Test hall"

[[services]]
code = "A"
name = "Service A"

[[services]]
code = "B"
name = "Service B"

[[windows]]
id = "1"
services = ["A"]

[[windows]]
id = "2"
services = ["A", "B"]

[[devices]]
id = "kiosk-1"
kind = "kiosk"

[[devices]]
id = "pad-1"
kind = "window_pad"
window = "1"
"""
BASE_LINES = BASE.count("\n")  # 28

PORTAL = '[portal]\nurl = "https://portal.example.gov.cn/hall-api"\n'
GOOD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def variant(old: str, new: str) -> str:
    """BASE with `old` (which must occur exactly once) replaced by `new`."""
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def check(text: str) -> HallConfig:
    return check_config_text(text, "hall.toml")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        check(text)
    return str(info.value)


# -- valid files ------------------------------------------------------------------------------


def test_demo_hall_loads() -> None:
    config = load_config(DEMO_HALL)
    assert config.source == DEMO_HALL
    assert config.hall.id == "demo"
    assert config.hall.timezone == "Asia/Shanghai"
    assert [s.code for s in config.services] == ["A", "B", "C"]
    service_a, window_4 = config.service("A"), config.window("4")
    assert service_a is not None and service_a.daily_cap == 300
    assert window_4 is not None and window_4.services == ("C", "A", "B")
    assert window_4.name == "综合窗口"
    kiosk = config.device("kiosk-1")
    assert kiosk is not None and kiosk.printer == "printer-1"
    assert config.broker == BrokerConfig(listen="127.0.0.1:1883", host="127.0.0.1", port=1883)
    assert config.http == HttpConfig()
    assert config.queue == QueueRules(recall_cap=3, default_service_s=240)
    assert config.portal is None
    assert config.store.url is None
    # "../var/demo" is taken from the config file's folder, not the current directory.
    assert config.store.path == (DEMO_HALL.parent / "../var/demo").resolve()


def test_minimal_file_gets_the_defaults() -> None:
    config = check(BASE)
    assert config.hall.timezone == "Asia/Shanghai"
    assert config.broker == BrokerConfig()
    assert config.http == HttpConfig()
    assert config.queue == QueueRules()
    assert config.store.url is None
    assert config.store.path == Path.cwd().absolute() / "var"
    assert config.portal is None
    assert config.source is None
    assert config.devices[1].window == "1"
    window_1 = config.window("1")
    assert window_1 is not None and window_1.name is None


def test_full_file_with_every_table() -> None:
    text = (
        BASE
        + '[broker]\nurl = "mqtts://hub%40hall:p%3Ass@mq.example.gov.cn"\n'
        + '[store]\nurl = "rediss://:pw@redis.example.gov.cn:6380/2"\npath = "data"\n'
        + '[http]\nlisten = "[::1]:9090"\n'
        + PORTAL
        + f'secret = "{GOOD_SECRET}"\n'
        + "[queue]\nrecall_cap = 20\ndefault_service_s = 86400\n"
    )
    config = check(text)
    broker = config.broker
    assert (broker.host, broker.port, broker.tls) == ("mq.example.gov.cn", 8883, True)
    assert (broker.username, broker.password) == ("hub@hall", "p:ss")
    assert "p:ss" not in repr(broker)
    assert config.store.url == "rediss://:pw@redis.example.gov.cn:6380/2"
    assert (config.http.host, config.http.port) == ("::1", 9090)
    assert config.portal is not None
    assert config.portal.url == "https://portal.example.gov.cn/hall-api"
    assert config.portal.secret == GOOD_SECRET
    assert GOOD_SECRET not in repr(config)
    assert config.queue == QueueRules(recall_cap=20, default_service_s=86400)


def test_broker_url_ports_and_listen() -> None:
    plain = check(BASE + '[broker]\nurl = "mqtt://10.0.0.5"\n').broker
    assert (plain.host, plain.port, plain.tls, plain.username) == ("10.0.0.5", 1883, False, None)
    explicit = check(BASE + '[broker]\nurl = "mqtt://u:@h:11883/"\n').broker
    assert (explicit.port, explicit.username, explicit.password) == (11883, "u", "")
    embedded = check(BASE + '[broker]\nlisten = "0.0.0.0:2883"\n').broker
    assert (embedded.url, embedded.host, embedded.port) == (None, "0.0.0.0", 2883)


def test_store_path_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "halls" / "east.toml"
    path.parent.mkdir()
    path.write_text(BASE + '[store]\npath = "redis-data"\n', encoding="utf-8")
    assert load_config(path).store.path == path.parent.resolve() / "redis-data"
    path.write_text(BASE, encoding="utf-8")
    assert load_config(path).store.path == path.parent.resolve() / "var"
    assert load_config(str(path)).source == path


def test_inline_tables_and_arrays_of_inline_tables() -> None:
    text = """\
hall = { id = "inline", name = "Inline hall" }
services = [
  { code = "A", name = "Service A" },
  { code = "B", name = "Service B", daily_cap = "ten" },
]
windows = [{ id = "1", services = ["A"] }]
"""
    assert error_of(text) == (
        'hall.toml:4: services[2].daily_cap: expected an integer from 1 to 999, got "ten"'
    )
    config = check(text.replace(', daily_cap = "ten"', ""))
    assert config.hall.id == "inline"
    assert [s.code for s in config.services] == ["A", "B"]


def test_printer_of_a_kiosk() -> None:
    text = variant('kind = "kiosk"', 'kind = "kiosk"\nprinter = "printer-1"')
    text += '\n[[devices]]\nid = "printer-1"\nkind = "printer"\n'
    kiosk = check(text).device("kiosk-1")
    assert kiosk is not None and kiosk.printer == "printer-1"


def test_byte_order_mark_is_ignored() -> None:
    assert check("\ufeff" + BASE).hall.id == "test"


# -- errors, each with its exact message --------------------------------------------------

HALL_KEYS = "accepted here: id, name, timezone"
TOP_KEYS = (
    "accepted here: hall, broker, store, http, portal, queue, appointments, ratings, "
    "supervision, screen, users, api_clients, "
    "services, windows, devices"
)

CASES: list[tuple[str, str, str]] = [
    (
        "unknown key at top level",
        'colour = "red"\n' + BASE,
        f"hall.toml:1: colour: unknown key ({TOP_KEYS})",
    ),
    (
        "unknown table",
        BASE + "\n[extra]\nx = 1\n",
        f"hall.toml:30: extra: unknown key ({TOP_KEYS})",
    ),
    (
        "unknown key in [hall]",
        variant('name = "Test hall"', 'nmae = "Test hall"'),
        f"hall.toml:3: hall.nmae: unknown key ({HALL_KEYS})",
    ),
    (
        "unknown key in a [[windows]] entry",
        variant('id = "2"', 'ident = "2"'),
        "hall.toml:18: windows[2].ident: unknown key (accepted here: id, services, name)",
    ),
    (
        "unknown key in a [[devices]] entry",
        variant('window = "1"', 'windwo = "1"'),
        "hall.toml:28: devices[2].windwo: unknown key "
        "(accepted here: id, kind, window, printer, token)",
    ),
    (
        "bad hall id",
        variant('id = "test"', 'id = "Test_Hall"'),
        'hall.toml:2: hall.id: expected 1 to 32 characters a-z, 0-9 or -, got "Test_Hall"',
    ),
    (
        "hall id too long",
        variant('id = "test"', f'id = "{"x" * 33}"'),
        f'hall.toml:2: hall.id: expected 1 to 32 characters a-z, 0-9 or -, got "{"x" * 33}"',
    ),
    (
        "unknown service in a window",
        variant('services = ["A", "B"]', 'services = ["A", "Q"]'),
        'hall.toml:19: windows[2].services: unknown service "Q"',
    ),
    (
        "unknown service in a multi-line list: the line of the entry",
        variant('services = ["A", "B"]', 'services = [\n  "A",\n  "Q",\n]'),
        'hall.toml:21: windows[2].services: unknown service "Q"',
    ),
    (
        "service listed twice in a window",
        variant('services = ["A", "B"]', 'services = ["A", "B", "A"]'),
        'hall.toml:19: windows[2].services: service "A" is listed twice',
    ),
    (
        "window without services",
        variant('services = ["A"]', "services = []"),
        "hall.toml:15: windows[1].services: expected a non-empty array of service codes,"
        " got an empty array",
    ),
    (
        "service code that is not a string",
        variant('services = ["A", "B"]', 'services = ["A", 2]'),
        "hall.toml:19: windows[2].services[2]: expected a service code, got 2",
    ),
    (
        "duplicate service code",
        variant('code = "B"', 'code = "A"'),
        'hall.toml:10: services[2].code: duplicate service "A" (also services[1])',
    ),
    (
        "service code not one capital letter",
        variant('code = "B"', 'code = "b"'),
        'hall.toml:10: services[2].code: expected one capital letter A-Z, got "b"',
    ),
    (
        "duplicate window id",
        variant('id = "2"', 'id = "1"'),
        'hall.toml:18: windows[2].id: duplicate window "1" (also windows[1])',
    ),
    (
        "duplicate device id",
        variant('id = "pad-1"', 'id = "kiosk-1"'),
        'hall.toml:26: devices[2].id: duplicate device "kiosk-1" (also devices[1])',
    ),
    (
        "unknown device kind",
        variant('kind = "kiosk"', 'kind = "robot"'),
        "hall.toml:23: devices[1].kind: expected one of kiosk, window_pad, caller, evaluator,"
        ' led_window, led_board, screen, printer, speaker, got "robot"',
    ),
    (
        "window-bound device without window: at its [[devices]] header",
        variant('window = "1"\n', ""),
        "hall.toml:25: devices[2].window: missing required key (a window_pad serves one window)",
    ),
    (
        "window-bound device on an unknown window",
        variant('window = "1"', 'window = "9"'),
        'hall.toml:28: devices[2].window: unknown window "9"',
    ),
    (
        "window on a kind that has none",
        variant('kind = "kiosk"', 'kind = "kiosk"\nwindow = "1"'),
        "hall.toml:24: devices[1].window: not allowed for a kiosk"
        " (only window_pad, caller, evaluator, led_window have a window)",
    ),
    (
        "printer naming a device that is not a printer",
        variant('kind = "kiosk"', 'kind = "kiosk"\nprinter = "pad-1"'),
        'hall.toml:24: devices[1].printer: device "pad-1" is a window_pad, not a printer',
    ),
    (
        "printer naming no device",
        variant('kind = "kiosk"', 'kind = "kiosk"\nprinter = "printer-9"'),
        'hall.toml:24: devices[1].printer: unknown device "printer-9"',
    ),
    (
        "printer on a device that is not a kiosk",
        variant('window = "1"', 'window = "1"\nprinter = "kiosk-1"'),
        "hall.toml:29: devices[2].printer: not allowed for a window_pad (kiosks only)",
    ),
    (
        "broker url with another scheme",
        BASE + '[broker]\nurl = "http://broker:1883"\n',
        'hall.toml:30: broker.url: expected an mqtt:// or mqtts:// URL, got "http://broker:1883"',
    ),
    (
        "broker url with a bad port: the password is not shown",
        BASE + '[broker]\nurl = "mqtt://hub:hunter2@broker:99999"\n',
        "hall.toml:30: broker.url: expected a port from 1 to 65535 in the URL,"
        ' got "mqtt://hub:***@broker:99999"',
    ),
    (
        "broker url with a path",
        BASE + '[broker]\nurl = "mqtt://broker/hall"\n',
        "hall.toml:30: broker.url: expected no path, query or fragment in the URL,"
        ' got "mqtt://broker/hall"',
    ),
    (
        "broker listen without a port",
        BASE + '[broker]\nlisten = "127.0.0.1"\n',
        'hall.toml:30: broker.listen: expected "host:port" with a port from 1 to 65535,'
        ' got "127.0.0.1"',
    ),
    (
        "bad store url",
        BASE + '[store]\nurl = "mysql://db/0"\n',
        'hall.toml:30: store.url: expected a redis://, rediss:// or unix:// URL, got "mysql://db/0"',
    ),
    (
        "bad http listen",
        BASE + '[http]\nlisten = "localhost:http"\n',
        'hall.toml:30: http.listen: expected "host:port" with a port from 1 to 65535,'
        ' got "localhost:http"',
    ),
    (
        "bad timezone",
        variant('name = "Test hall"', 'name = "Test hall"\ntimezone = "Asia/Beijing"'),
        'hall.toml:4: hall.timezone: unknown time zone "Asia/Beijing"'
        ' (use a name such as "Asia/Shanghai")',
    ),
    (
        "bad whsec secret",
        BASE + PORTAL + 'secret = "whsec_not base64!"\n',
        'hall.toml:31: portal.secret: expected "whsec_" followed by base64 (value not shown)',
    ),
    (
        "secret without the whsec_ prefix",
        BASE + PORTAL + 'secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\n',
        'hall.toml:31: portal.secret: expected "whsec_" followed by base64 (value not shown)',
    ),
    (
        "portal without secret: at its header",
        BASE + PORTAL,
        "hall.toml:29: portal.secret: missing required key",
    ),
    (
        "portal url that is not http",
        BASE + '[portal]\nurl = "ftp://portal"\n' + f'secret = "{GOOD_SECRET}"\n',
        "hall.toml:30: portal.url: expected an http:// or https:// URL without query,"
        ' got "ftp://portal"',
    ),
    (
        "TOML syntax error",
        variant('code = "A"', 'code = "A'),
        "hall.toml:6: TOML syntax error at column 10: illegal character '\\n'",
    ),
    (
        "TOML syntax error: table declared twice",
        BASE + '[hall]\nid = "again"\n',
        "hall.toml:29: TOML syntax error at column 6: cannot declare ('hall',) twice",
    ),
    (
        "TOML syntax error at the end of the file",
        BASE + "[queue]\nrecall_cap =",
        "hall.toml:30: TOML syntax error at the end of the file: invalid value",
    ),
    (
        "wrong type: string for an integer",
        variant('name = "Service A"', 'name = "Service A"\ndaily_cap = "ten"'),
        'hall.toml:8: services[1].daily_cap: expected an integer from 1 to 999, got "ten"',
    ),
    (
        "wrong type: a boolean is not an integer",
        BASE + "[queue]\nrecall_cap = true\n",
        "hall.toml:30: queue.recall_cap: expected an integer from 1 to 20, got true",
    ),
    (
        "wrong type: float for an integer",
        BASE + "[queue]\ndefault_service_s = 2.5\n",
        "hall.toml:30: queue.default_service_s: expected an integer from 1 to 86400, got 2.5",
    ),
    (
        "integer out of range",
        BASE + "[queue]\nrecall_cap = 21\n",
        "hall.toml:30: queue.recall_cap: expected an integer from 1 to 20, got 21",
    ),
    (
        "wrong type: number for a string",
        variant('name = "Test hall"', "name = 42"),
        "hall.toml:3: hall.name: expected a non-empty string, got 42",
    ),
    (
        "wrong type: blank name",
        variant('name = "Service B"', 'name = "  "'),
        'hall.toml:11: services[2].name: expected a non-empty string, got "  "',
    ),
    (
        "wrong type: a value where a table belongs",
        'http = "127.0.0.1:8080"\n' + BASE,
        'hall.toml:1: http: expected a table, got "127.0.0.1:8080"',
    ),
    (
        "wrong type: string for the services list",
        variant('services = ["A"]', 'services = "A"'),
        'hall.toml:15: windows[1].services: expected a non-empty array of service codes, got "A"',
    ),
    (
        "wrong type: table for the services array",
        'services = "A"\n[hall]\nid = "x"\nname = "X"\n',
        'hall.toml:1: services: expected [[services]] entries, got "A"',
    ),
    (
        "missing required key: at its table header",
        variant('name = "Service B"\n', ""),
        "hall.toml:9: services[2].name: missing required key",
    ),
    (
        "missing hall id: at the [hall] header",
        variant('id = "test"\n', ""),
        "hall.toml:1: hall.id: missing required key",
    ),
    (
        "no [hall] table",
        BASE.replace('[hall]\nid = "test"\nname = "Test hall"\n', ""),
        "hall.toml: hall: missing required table [hall]",
    ),
    (
        "no window",
        BASE[: BASE.index("[[windows]]")],
        "hall.toml: windows: at least one [[windows]] entry is required",
    ),
    (
        "no service",
        '[hall]\nid = "x"\nname = "X"\n',
        "hall.toml: services: at least one [[services]] entry is required",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config(text: str, message: str) -> None:
    assert error_of(text) == message


def test_error_fields() -> None:
    with pytest.raises(ConfigError) as info:
        check(variant('services = ["A", "B"]', 'services = ["A", "Q"]'))
    error = info.value
    assert (error.path, error.line, error.key) == ("hall.toml", 19, "windows[2].services")
    assert error.problem == 'unknown service "Q"'
    assert isinstance(error, ValueError)


def test_url_passwords_are_never_shown() -> None:
    message = error_of(BASE + '[store]\nurl = "redis://:pa/ss@db:0"\n')
    assert message.endswith('got "redis://:***@db:0"')
    message = error_of(BASE + '[broker]\nurl = "mqtts:hub:hunter2@mq"\n')
    assert "hunter2" not in message


def test_secret_is_never_shown() -> None:
    secret = "whsec_c2VjcmV0IGJ1dCBiYWQ"  # bad padding
    message = error_of(BASE + PORTAL + f'secret = "{secret}"\n')
    assert "c2VjcmV0" not in message


def test_load_config_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "east.toml"
    path.write_text(variant('id = "test"', 'id = "East"'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (
        str(info.value)
        == f'{path}:2: hall.id: expected 1 to 32 characters a-z, 0-9 or -, got "East"'
    )


def test_load_config_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothing\.toml: cannot read the file"):
        load_config(tmp_path / "nothing.toml")
    path = tmp_path / "gbk.toml"
    path.write_bytes(BASE.replace("Test hall", "示例大厅").encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:3: the file is not UTF-8 text"


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
