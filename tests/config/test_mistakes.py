"""Every kind of mistake in a hall file, each with its exact message and line."""

from __future__ import annotations

import pytest

from hall.contract.config_base import quote

from .hallfile import BASE, GOOD_SECRET, PORTAL, error_of, variant

# -- errors, each with its exact message --------------------------------------------------

HALL_KEYS = "accepted here: id, name, timezone"
TOP_KEYS = (
    "accepted here: hall, broker, store, http, hub, portal, queue, appointments, ratings, "
    "supervision, screen, history, users, staff, api_clients, rate_limits, "
    "documents, services, windows, devices"
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
        "(accepted here: id, kind, window, printer, token, id_reader, card_reader, password_hash, "
        "idle_s)",
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
        "printer on a device that is neither a kiosk nor a window pad",
        variant('kind = "kiosk"', 'kind = "screen"\nprinter = "pad-1"'),
        "hall.toml:24: devices[1].printer: not allowed for a screen (kiosks and window pads only)",
    ),
    (
        "an ID card reader on a device that is not a kiosk",
        variant('window = "1"', 'window = "1"\nid_reader = true'),
        "hall.toml:29: devices[2].id_reader: not allowed for a window_pad (kiosks only)",
    ),
    (
        "an ID card reader that is not true or false",
        variant('kind = "kiosk"', 'kind = "kiosk"\nid_reader = "yes"'),
        'hall.toml:24: devices[1].id_reader: expected true or false, got "yes"',
    ),
    (
        "an idle time on a device that is not a kiosk",
        variant('window = "1"', 'window = "1"\nidle_s = 60'),
        "hall.toml:29: devices[2].idle_s: not allowed for a window_pad (kiosks only)",
    ),
    (
        "a kiosk's idle time too short to read the screen",
        variant('kind = "kiosk"', 'kind = "kiosk"\nidle_s = 5'),
        "hall.toml:24: devices[1].idle_s: expected an integer from 10 to 600, got 5",
    ),
    (
        "a service's documents not a list",
        variant('name = "Service A"', 'name = "Service A"\ndocuments = "身份证"'),
        'hall.toml:8: services[1].documents: expected a list of at most 20 texts, got "身份证"',
    ),
    (
        "a service's document too long",
        variant('name = "Service A"', f'name = "Service A"\ndocuments = ["{"证" * 61}"]'),
        f"hall.toml:8: services[1].documents[1]: expected a non-empty text of at most 60 "
        f"characters, got {quote('证' * 61)}",
    ),
    (
        "a service's description empty",
        variant('name = "Service B"', 'name = "Service B"\ndescription = " "'),
        "hall.toml:12: services[2].description: expected a non-empty text of at most 80 "
        'characters, got " "',
    ),
    (
        "a service's description turned around by a control character",
        variant('name = "Service B"', 'name = "Service B"\ndescription = "请\\u202e带证件"'),
        "hall.toml:12: services[2].description: must not hold control or format characters "
        "(found U+202E)",
    ),
    (
        "a service's English name empty",
        variant('name = "Service B"', 'name = "Service B"\nname_en = ""'),
        "hall.toml:12: services[2].name_en: expected a non-empty text of at most 40 "
        'characters, got ""',
    ),
    (
        "a service's English name too long",
        variant('name = "Service B"', f'name = "Service B"\nname_en = "{"x" * 41}"'),
        f"hall.toml:12: services[2].name_en: expected a non-empty text of at most 40 "
        f'characters, got "{"x" * 41}"',
    ),
    (
        "a service's English name not a text",
        variant('name = "Service A"', 'name = "Service A"\nname_en = 1'),
        "hall.toml:8: services[1].name_en: expected a non-empty text of at most 40 "
        "characters, got 1",
    ),
    (
        "a service's English description with a control character",
        variant('name = "Service B"', 'name = "Service B"\ndescription_en = "Bring\\u202eID"'),
        "hall.toml:12: services[2].description_en: must not hold control or format characters "
        "(found U+202E)",
    ),
    (
        "a misspelt English name",
        variant('name = "Service B"', 'name = "Service B"\nname_eng = "Land"'),
        "hall.toml:12: services[2].name_eng: unknown key (accepted here: code, name, daily_cap, "
        "description, documents, max_wait_min, name_en, description_en)",
    ),
    (
        "a service's document with a line break in it",
        variant('name = "Service A"', 'name = "Service A"\ndocuments = ["身份证", "户口\\n簿"]'),
        "hall.toml:8: services[1].documents[2]: must not hold control or format characters "
        "(found U+000A)",
    ),
    (
        "a service's document twice",
        variant('name = "Service A"', 'name = "Service A"\ndocuments = ["身份证", " 身份证"]'),
        'hall.toml:8: services[1].documents[2]: duplicate document "身份证"',
    ),
    (
        "plain ID numbers neither accepted nor refused",
        BASE + "[appointments]\naccept_plain_id = 1\n",
        "hall.toml:30: appointments.accept_plain_id: expected true or false, got 1",
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
        "waiting for replicas without an external Redis",
        BASE + "[store]\nwait_replicas = 1\n",
        "hall.toml:30: store.wait_replicas: needs a Redis with replicas: give [store] url "
        "(the embedded Redis has none)",
    ),
    (
        "waiting for replicas on a cluster",
        BASE + '[store]\nurl = "redis+cluster://10.0.0.1:7000"\nwait_replicas = 1\n',
        "hall.toml:31: store.wait_replicas: is for one server or Sentinel: a Redis Cluster "
        "keeps its own replicas",
    ),
    (
        "too many replicas to wait for",
        BASE + '[store]\nurl = "redis://127.0.0.1:6379/0"\nwait_replicas = 17\n',
        "hall.toml:31: store.wait_replicas: expected an integer from 0 to 16, got 17",
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
