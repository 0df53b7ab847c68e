"""Loading and checking a hall file: every error names the file, the line, the key and what
is wrong (see `hall/config.py` for the values it builds)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from hall.config import (
    DEVICE_KINDS,
    WINDOW_BOUND_KINDS,
    ApiClient,
    AppointmentRules,
    BrokerConfig,
    ConfigError,
    DeviceConfig,
    HallConfig,
    HallInfo,
    HttpConfig,
    PortalConfig,
    QueueRules,
    RatingRules,
    ScreenConfig,
    ServiceConfig,
    StoreConfig,
    SupervisionRules,
    UserConfig,
    WindowConfig,
)
from hall.config_lines import KeyPath, LineMap

# -- loading ----------------------------------------------------------------------------------

TOP_LEVEL_KEYS = (
    "hall",
    "broker",
    "store",
    "http",
    "portal",
    "queue",
    "appointments",
    "ratings",
    "supervision",
    "screen",
    "users",
    "api_clients",
    "services",
    "windows",
    "devices",
)
_HALL_KEYS = ("id", "name", "timezone")
_BROKER_KEYS = ("url", "listen")
_STORE_KEYS = ("url", "path")
_HTTP_KEYS = ("listen",)
_PORTAL_KEYS = ("url", "secret")
_QUEUE_KEYS = ("recall_cap", "default_service_s")
_APPOINTMENT_KEYS = ("id_hash_key", "early_s")
_RATING_KEYS = ("unrated_after_s",)
_SUPERVISION_KEYS = tuple(SupervisionRules.__dataclass_fields__)
_SCREEN_KEYS = ("notice", "speak")
_USER_KEYS = ("name", "password_hash", "role")
USER_ROLES = ("manager", "viewer")
_API_CLIENT_KEYS = ("id", "token", "secret")
MIN_TOKEN_LEN = 16
_SERVICE_KEYS = ("code", "name", "daily_cap")
_WINDOW_KEYS = ("id", "services", "name")
_DEVICE_KEYS = ("id", "kind", "window", "printer", "token")

_HALL_ID = re.compile(r"[a-z0-9-]{1,32}")
_WINDOW_ID = re.compile(r"[a-z0-9-]{1,16}")
_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")
_SERVICE_CODE = re.compile(r"[A-Z]")
_TIMEZONE = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_LISTEN = re.compile(r"(?:\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]|([A-Za-z0-9._-]+)):([0-9]{1,5})")
_WHSEC = re.compile(r"whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def load_config(path: str | Path) -> HallConfig:
    """Read and validate a hall file; raises ConfigError naming file, line and key.

    Relative paths in the file (``[store] path``) are taken from the file's folder.
    """
    name = str(path)
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(name, None, "", f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(name, line, "", "the file is not UTF-8 text") from exc
    config = check_config_text(text, name, base_dir=file.parent)
    return replace(config, source=file)


def check_config_text(text: str, name: str, *, base_dir: Path | None = None) -> HallConfig:
    """Validate hall configuration text; `name` is the file name errors are reported under.

    Relative paths in it are taken from `base_dir`, by default the current directory.
    """
    text = text.removeprefix("\ufeff")  # a byte order mark left by some Windows editors
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(name, text, exc) from None
    except RecursionError:
        raise ConfigError(name, None, "", "TOML syntax error: values nested too deeply") from None
    base = (base_dir if base_dir is not None else Path.cwd()).absolute()
    return _Checker(name, text).hall_config(document, base)


def format_key(path: KeyPath) -> str:
    """``("windows", 1, "services")`` -> ``windows[2].services`` (entries counted from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else _quote(part)
            out += f".{name}" if out else name
    return out


def _quote(text: str) -> str:
    if len(text) > 60:
        text = text[:57] + "..."
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + '"'


def _show(value: object) -> str:
    """A value as it would be written in TOML, short, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "an empty array" if not value else "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _redact(url: str) -> str:
    """A URL with any password replaced, for messages (``mqtt://hub:***@host``)."""
    if "@" not in url:
        return url
    head, _, tail = url.rpartition("@")
    scheme, sep, userinfo = head.partition("://")
    if not sep:
        return f"***@{tail}"
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}:***@{tail}" if colon else url


def _syntax_error(name: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    at = _TOML_AT.search(message)
    end = _TOML_END.search(message)
    problem = message[: at.start() if at else end.start() if end else len(message)]
    problem = problem[:1].lower() + problem[1:]
    if at:
        return ConfigError(name, int(at[1]), "", f"TOML syntax error at column {at[2]}: {problem}")
    if end:
        last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        return ConfigError(name, last, "", f"TOML syntax error at the end of the file: {problem}")
    return ConfigError(name, None, "", f"TOML syntax error: {problem}")


def _parse_listen(value: str) -> tuple[str, int] | None:
    match = _LISTEN.fullmatch(value)
    if match is None:
        return None
    port = int(match[3])
    if not 1 <= port <= 65535:
        return None
    return match[1] or match[2], port


class _Checker:
    """Validates one parsed document; `name` and the raw text give the places of errors."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.lines = LineMap(text)

    def error(self, path: KeyPath, problem: str, *, at: KeyPath | None = None) -> ConfigError:
        line = self.lines.line_of(at if at is not None else path)
        return ConfigError(self.name, line, format_key(path), problem)

    # -- generic checks ---------------------------------------------------------------------

    def table(self, value: object, path: KeyPath, keys: tuple[str, ...]) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.error(path, f"expected a table, got {_show(value)}")
        for key in value:
            if key not in keys:
                accepted = ", ".join(keys)
                raise self.error((*path, key), f"unknown key (accepted here: {accepted})")
        return value

    def optional_table(
        self, doc: dict[str, object], key: str, keys: tuple[str, ...]
    ) -> dict[str, object]:
        return self.table(doc[key], (key,), keys) if key in doc else {}

    def entries(
        self, doc: dict[str, object], key: str, keys: tuple[str, ...]
    ) -> list[dict[str, object]]:
        """The entries of an array of tables such as ``[[windows]]``."""
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.error((key,), f"expected [[{key}]] entries, got {_show(value)}")
        return [self.table(entry, (key, i), keys) for i, entry in enumerate(value)]

    def present(self, table: dict[str, object], path: KeyPath, key: str) -> object:
        if key not in table:
            raise self.error((*path, key), "missing required key")
        return table[key]

    def string(self, value: object, path: KeyPath) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"expected a non-empty string, got {_show(value)}")
        return value

    def opt_string(self, table: dict[str, object], path: KeyPath, key: str) -> str | None:
        return self.string(table[key], (*path, key)) if key in table else None

    def identifier(self, value: object, path: KeyPath, pattern: re.Pattern[str], n: int) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.error(
                path, f"expected 1 to {n} characters a-z, 0-9 or -, got {_show(value)}"
            )
        return value

    def integer(
        self, table: dict[str, object], path: KeyPath, key: str, low: int, high: int | None
    ) -> int | None:
        if key not in table:
            return None
        value = table[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            wanted = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
            raise self.error((*path, key), f"expected {wanted}, got {_show(value)}")
        return value

    def listen(self, table: dict[str, object], path: KeyPath, default: str) -> tuple[str, str, int]:
        if "listen" not in table:
            host, _, port = default.rpartition(":")
            return default, host, int(port)
        value = table["listen"]
        parsed = _parse_listen(value) if isinstance(value, str) else None
        if not isinstance(value, str) or parsed is None:
            raise self.error(
                (*path, "listen"),
                f'expected "host:port" with a port from 1 to 65535, got {_show(value)}',
            )
        return value, parsed[0], parsed[1]

    # -- the tables -------------------------------------------------------------------------

    def hall_config(self, document: dict[str, object], base: Path) -> HallConfig:
        doc = self.table(document, (), TOP_LEVEL_KEYS)
        if "hall" not in doc:
            raise self.error(("hall",), "missing required table [hall]")
        hall = self.hall(doc)  # the tables in the order the contract lists them
        broker = self.broker(doc)
        store = self.store(doc, base)
        http = self.http(doc)
        portal = self.portal(doc)
        queue = self.queue(doc)
        appointments = self.appointments(doc)
        ratings = self.ratings(doc)
        supervision = self.supervision(doc)
        screen = self.screen(doc)
        users = self.users(doc)
        api_clients = self.api_clients(doc)
        services = self.services(doc)
        windows = self.windows(doc, {s.code for s in services})
        devices = self.devices(doc, {w.id for w in windows})
        return HallConfig(
            hall=hall,
            services=services,
            windows=windows,
            devices=devices,
            broker=broker,
            store=store,
            http=http,
            portal=portal,
            queue=queue,
            appointments=appointments,
            ratings=ratings,
            supervision=supervision,
            screen=screen,
            users=users,
            api_clients=api_clients,
        )

    def hall(self, doc: dict[str, object]) -> HallInfo:
        path: KeyPath = ("hall",)
        table = self.table(doc["hall"], path, _HALL_KEYS)
        hall_id = self.identifier(self.present(table, path, "id"), (*path, "id"), _HALL_ID, 32)
        name = self.string(self.present(table, path, "name"), (*path, "name"))
        timezone = "Asia/Shanghai"
        if "timezone" in table:
            value = table["timezone"]
            timezone = self.string(value, (*path, "timezone"))
            if not _valid_timezone(timezone):
                raise self.error(
                    (*path, "timezone"),
                    f'unknown time zone {_show(value)} (use a name such as "Asia/Shanghai")',
                )
        return HallInfo(id=hall_id, name=name, timezone=timezone)

    def broker(self, doc: dict[str, object]) -> BrokerConfig:
        path: KeyPath = ("broker",)
        table = self.optional_table(doc, "broker", _BROKER_KEYS)
        listen, host, port = self.listen(table, path, BrokerConfig.listen)
        url = self.opt_string(table, path, "url")
        if url is None:
            return BrokerConfig(listen=listen, host=host, port=port)
        parts = _split_url(url)
        problem = None
        if parts is None or parts.scheme not in ("mqtt", "mqtts") or "://" not in url:
            problem = "expected an mqtt:// or mqtts:// URL"
        elif not parts.hostname or not _HOST.fullmatch(parts.hostname):
            problem = "expected a host name or address in the URL"
        elif parts.port_error:
            problem = "expected a port from 1 to 65535 in the URL"
        elif parts.rest not in ("", "/"):
            problem = "expected no path, query or fragment in the URL"
        if problem is not None or parts is None or parts.hostname is None:
            raise self.error((*path, "url"), f"{problem}, got {_show(_redact(url))}")
        tls = parts.scheme == "mqtts"
        return BrokerConfig(
            url=url,
            listen=listen,
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def store(self, doc: dict[str, object], base: Path) -> StoreConfig:
        path: KeyPath = ("store",)
        table = self.optional_table(doc, "store", _STORE_KEYS)
        folder = self.opt_string(table, path, "path")
        data = (base / Path(folder).expanduser() if folder is not None else base / "var").resolve()
        url = self.opt_string(table, path, "url")
        if url is not None:
            parts = _split_url(url)
            ok = parts is not None and "://" in url and not parts.port_error
            if ok and parts is not None and parts.scheme in ("redis", "rediss"):
                ok = bool(parts.hostname and _HOST.fullmatch(parts.hostname))
                ok = ok and re.fullmatch(r"(/[0-9]*)?(\?[^#]*)?", parts.rest) is not None
            elif ok and parts is not None and parts.scheme == "unix":
                ok = parts.path not in ("", "/")
            else:
                ok = False
            if not ok:
                raise self.error(
                    (*path, "url"),
                    f"expected a redis://, rediss:// or unix:// URL, got {_show(_redact(url))}",
                )
        return StoreConfig(url=url, path=data)

    def http(self, doc: dict[str, object]) -> HttpConfig:
        table = self.optional_table(doc, "http", _HTTP_KEYS)
        listen, host, port = self.listen(table, ("http",), HttpConfig.listen)
        return HttpConfig(listen=listen, host=host, port=port)

    def portal(self, doc: dict[str, object]) -> PortalConfig | None:
        if "portal" not in doc:
            return None
        path: KeyPath = ("portal",)
        table = self.table(doc["portal"], path, _PORTAL_KEYS)
        url = self.string(self.present(table, path, "url"), (*path, "url"))
        parts = _split_url(url)
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or not _HOST.fullmatch(parts.hostname)
            or parts.port_error
            or "?" in parts.rest
            or "#" in url
        ):
            raise self.error(
                (*path, "url"),
                f"expected an http:// or https:// URL without query, got {_show(_redact(url))}",
            )
        secret = self.present(table, path, "secret")
        if not isinstance(secret, str) or secret == "whsec_" or not _WHSEC.fullmatch(secret):
            # The value is a secret: never repeat it in a message or a log.
            raise self.error(
                (*path, "secret"), 'expected "whsec_" followed by base64 (value not shown)'
            )
        return PortalConfig(url=url.rstrip("/"), secret=secret)

    def queue(self, doc: dict[str, object]) -> QueueRules:
        path: KeyPath = ("queue",)
        table = self.optional_table(doc, "queue", _QUEUE_KEYS)
        recall_cap = self.integer(table, path, "recall_cap", 1, 20)
        service_s = self.integer(table, path, "default_service_s", 1, 86400)
        defaults = QueueRules()
        return QueueRules(
            recall_cap=defaults.recall_cap if recall_cap is None else recall_cap,
            default_service_s=defaults.default_service_s if service_s is None else service_s,
        )

    def appointments(self, doc: dict[str, object]) -> AppointmentRules:
        path: KeyPath = ("appointments",)
        table = self.optional_table(doc, "appointments", _APPOINTMENT_KEYS)
        key = self.opt_string(table, path, "id_hash_key")
        if key is not None and len(key) < MIN_TOKEN_LEN:
            raise self.error(
                (*path, "id_hash_key"),
                f"expected at least {MIN_TOKEN_LEN} characters (value not shown)",
            )
        early_s = self.integer(table, path, "early_s", 0, 86400)
        return AppointmentRules(
            id_hash_key=key, early_s=AppointmentRules.early_s if early_s is None else early_s
        )

    def ratings(self, doc: dict[str, object]) -> RatingRules:
        table = self.optional_table(doc, "ratings", _RATING_KEYS)
        after_s = self.integer(table, ("ratings",), "unrated_after_s", 60, 30 * 86400)
        return RatingRules(RatingRules.unrated_after_s if after_s is None else after_s)

    def supervision(self, doc: dict[str, object]) -> SupervisionRules:
        path: KeyPath = ("supervision",)
        table = self.optional_table(doc, "supervision", _SUPERVISION_KEYS)
        defaults = SupervisionRules()
        values = {}
        for key in _SUPERVISION_KEYS:
            value = self.integer(table, path, key, 1, 7 * 86400)
            values[key] = getattr(defaults, key) if value is None else value
        rules = SupervisionRules(**values)
        if not rules.waiting_yellow <= rules.waiting_orange <= rules.waiting_red:
            raise self.error(
                (*path, "waiting_orange"),
                "expected waiting_yellow <= waiting_orange <= waiting_red",
                at=path,
            )
        return rules

    def screen(self, doc: dict[str, object]) -> ScreenConfig:
        path: KeyPath = ("screen",)
        table = self.optional_table(doc, "screen", _SCREEN_KEYS)
        notice = table.get("notice", "")
        if not isinstance(notice, str) or len(notice) > 500:
            raise self.error(
                (*path, "notice"), f"expected text of at most 500 characters, got {_show(notice)}"
            )
        speak = table.get("speak", False)
        if not isinstance(speak, bool):
            raise self.error((*path, "speak"), f"expected true or false, got {_show(speak)}")
        return ScreenConfig(notice=notice, speak=speak)

    def users(self, doc: dict[str, object]) -> tuple[UserConfig, ...]:
        out: list[UserConfig] = []
        for i, table in enumerate(self.entries(doc, "users", _USER_KEYS)):
            path: KeyPath = ("users", i)
            name = self.string(self.present(table, path, "name"), (*path, "name"))
            if any(u.name == name for u in out):
                raise self.error((*path, "name"), f"duplicate user {_show(name)}")
            password_hash = self.present(table, path, "password_hash")
            if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
                raise self.error(
                    (*path, "password_hash"),
                    "expected an argon2 hash (make one with `hall hash-password`)",
                )
            role = table.get("role", "manager")
            if role not in USER_ROLES:
                raise self.error(
                    (*path, "role"), f"expected one of {', '.join(USER_ROLES)}, got {_show(role)}"
                )
            out.append(UserConfig(name=name, password_hash=password_hash, role=str(role)))
        return tuple(out)

    def api_clients(self, doc: dict[str, object]) -> tuple[ApiClient, ...]:
        out: list[ApiClient] = []
        for i, table in enumerate(self.entries(doc, "api_clients", _API_CLIENT_KEYS)):
            path: KeyPath = ("api_clients", i)
            client_id = self.identifier(
                self.present(table, path, "id"), (*path, "id"), _DEVICE_ID, 32
            )
            if any(c.id == client_id for c in out):
                raise self.error((*path, "id"), f'duplicate API client "{client_id}"')
            token = self.opt_string(table, path, "token")
            if token is not None and len(token) < MIN_TOKEN_LEN:
                raise self.error(
                    (*path, "token"),
                    f"expected at least {MIN_TOKEN_LEN} characters (value not shown)",
                )
            secret = table.get("secret")
            if secret is not None and (
                not isinstance(secret, str) or secret == "whsec_" or not _WHSEC.fullmatch(secret)
            ):
                raise self.error(
                    (*path, "secret"), 'expected "whsec_" followed by base64 (value not shown)'
                )
            if token is None and secret is None:
                raise self.error(path, "an API client needs a token, a secret, or both", at=path)
            out.append(ApiClient(client_id, token, secret if isinstance(secret, str) else None))
        return tuple(out)

    def services(self, doc: dict[str, object]) -> tuple[ServiceConfig, ...]:
        entries = self.entries(doc, "services", _SERVICE_KEYS)
        if not entries:
            raise self.error(("services",), "at least one [[services]] entry is required")
        seen: dict[str, int] = {}
        out: list[ServiceConfig] = []
        for i, table in enumerate(entries):
            path: KeyPath = ("services", i)
            code = self.present(table, path, "code")
            if not isinstance(code, str) or not _SERVICE_CODE.fullmatch(code):
                raise self.error(
                    (*path, "code"), f"expected one capital letter A-Z, got {_show(code)}"
                )
            if code in seen:
                first = format_key(("services", seen[code]))
                raise self.error((*path, "code"), f'duplicate service "{code}" (also {first})')
            seen[code] = i
            name = self.string(self.present(table, path, "name"), (*path, "name"))
            # Numbers have three digits (A001-A999): no cap can go beyond that.
            daily_cap = self.integer(table, path, "daily_cap", 1, 999)
            out.append(ServiceConfig(code=code, name=name, daily_cap=daily_cap))
        return tuple(out)

    def windows(self, doc: dict[str, object], codes: set[str]) -> tuple[WindowConfig, ...]:
        entries = self.entries(doc, "windows", _WINDOW_KEYS)
        if not entries:
            raise self.error(("windows",), "at least one [[windows]] entry is required")
        seen: dict[str, int] = {}
        out: list[WindowConfig] = []
        for i, table in enumerate(entries):
            path: KeyPath = ("windows", i)
            window_id = self.identifier(
                self.present(table, path, "id"), (*path, "id"), _WINDOW_ID, 16
            )
            if window_id in seen:
                first = format_key(("windows", seen[window_id]))
                raise self.error((*path, "id"), f'duplicate window "{window_id}" (also {first})')
            seen[window_id] = i
            out.append(
                WindowConfig(
                    id=window_id,
                    services=self.window_services(table, path, codes),
                    name=self.opt_string(table, path, "name"),
                )
            )
        return tuple(out)

    def window_services(
        self, table: dict[str, object], path: KeyPath, codes: set[str]
    ) -> tuple[str, ...]:
        key: KeyPath = (*path, "services")
        value = self.present(table, path, "services")
        if not isinstance(value, list) or not value:
            wanted = "expected a non-empty array of service codes"
            raise self.error(key, f"{wanted}, got {_show(value)}")
        out: list[str] = []
        for j, code in enumerate(value):
            at: KeyPath = (*key, j)
            if not isinstance(code, str):
                raise self.error((*key, j), f"expected a service code, got {_show(code)}")
            if code not in codes:
                raise self.error(key, f"unknown service {_show(code)}", at=at)
            if code in out:
                raise self.error(key, f"service {_show(code)} is listed twice", at=at)
            out.append(code)
        return tuple(out)

    def devices(self, doc: dict[str, object], windows: set[str]) -> tuple[DeviceConfig, ...]:
        entries = self.entries(doc, "devices", _DEVICE_KEYS)
        seen: dict[str, int] = {}
        out: list[DeviceConfig] = []
        for i, table in enumerate(entries):
            path: KeyPath = ("devices", i)
            device_id = self.identifier(
                self.present(table, path, "id"), (*path, "id"), _DEVICE_ID, 32
            )
            if device_id in seen:
                first = format_key(("devices", seen[device_id]))
                raise self.error((*path, "id"), f'duplicate device "{device_id}" (also {first})')
            seen[device_id] = i
            kind = self.present(table, path, "kind")
            if not isinstance(kind, str) or kind not in DEVICE_KINDS:
                kinds = ", ".join(DEVICE_KINDS)
                raise self.error((*path, "kind"), f"expected one of {kinds}, got {_show(kind)}")
            window = self.opt_string(table, path, "window")
            if kind in WINDOW_BOUND_KINDS:
                if window is None:
                    raise self.error(
                        (*path, "window"), f"missing required key (a {kind} serves one window)"
                    )
                if window not in windows:
                    raise self.error((*path, "window"), f"unknown window {_show(window)}")
            elif window is not None:
                bound = ", ".join(WINDOW_BOUND_KINDS)
                raise self.error(
                    (*path, "window"), f"not allowed for a {kind} (only {bound} have a window)"
                )
            printer = self.opt_string(table, path, "printer")
            if printer is not None and kind != "kiosk":
                raise self.error((*path, "printer"), f"not allowed for a {kind} (kiosks only)")
            token = self.opt_string(table, path, "token")
            if token is not None and len(token) < MIN_TOKEN_LEN:
                raise self.error(
                    (*path, "token"),
                    f"expected at least {MIN_TOKEN_LEN} characters (value not shown)",
                )
            out.append(
                DeviceConfig(id=device_id, kind=kind, window=window, printer=printer, token=token)
            )
        kinds_by_id = {d.id: d.kind for d in out}
        for i, device in enumerate(out):
            if device.printer is None:
                continue
            key: KeyPath = ("devices", i, "printer")
            other = kinds_by_id.get(device.printer)
            if other is None:
                raise self.error(key, f"unknown device {_show(device.printer)}")
            if other != "printer":
                raise self.error(key, f"device {_show(device.printer)} is a {other}, not a printer")
        return tuple(out)


def _valid_timezone(name: str) -> bool:
    if not _TIMEZONE.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


@dataclass(frozen=True)
class _Url:
    scheme: str
    hostname: str | None
    port: int | None
    port_error: bool
    username: str | None
    password: str | None
    path: str
    rest: str  # path, query and fragment as written


def _split_url(url: str) -> _Url | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    try:
        port = parts.port
        port_error = port == 0
    except ValueError:
        port, port_error = None, True
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    rest += f"#{parts.fragment}" if parts.fragment else ""
    return _Url(
        scheme=parts.scheme,
        hostname=parts.hostname,
        port=port,
        port_error=port_error,
        username=parts.username,
        password=parts.password,
        path=parts.path,
        rest=rest,
    )
