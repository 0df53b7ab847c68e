"""Loading and checking a hall file: every error names the file, the line, the key and what
is wrong (see `hall/domain/config.py` for the values it builds). The checks of single values
are `config_base.py`'s, those of the address tables `config_endpoints.py`'s."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hall.contract.config_access import AccessChecks
from hall.contract.config_base import format_key, parse_toml, read_config_text, show
from hall.contract.config_documents import DocumentsChecks
from hall.contract.config_endpoints import valid_whsec
from hall.contract.config_history import HistoryChecks
from hall.contract.config_hub import HubChecks
from hall.contract.config_lines import KeyPath
from hall.contract.config_rules import MIN_TOKEN_LEN, RulesChecks
from hall.contract.config_users import UserChecks
from hall.domain.args import hidden_char
from hall.domain.config import (
    DEFAULT_IDLE_S,
    DEVICE_KINDS,
    MAX_DESCRIPTION_CHARS,
    MAX_IDLE_S,
    MIN_IDLE_S,
    PRINTING_KINDS,
    WINDOW_BOUND_KINDS,
    ApiClient,
    DeviceConfig,
    HallConfig,
    HallInfo,
    ServiceConfig,
    WindowConfig,
)
from hall.domain.settings import MAX_DOCUMENT_CHARS, MAX_DOCUMENTS, MAX_NAME_CHARS

# -- loading ----------------------------------------------------------------------------------

TOP_LEVEL_KEYS = (
    "hall",
    "broker",
    "store",
    "http",
    "hub",
    "portal",
    "queue",
    "appointments",
    "ratings",
    "supervision",
    "screen",
    "history",
    "users",
    "staff",
    "api_clients",
    "rate_limits",
    "documents",
    "services",
    "windows",
    "devices",
)
_HALL_KEYS = ("id", "name", "timezone")
_API_CLIENT_KEYS = ("id", "token", "secret")
_SERVICE_KEYS = (
    "code",
    "name",
    "daily_cap",
    "description",
    "documents",
    "max_wait_min",
    "name_en",
    "description_en",
)
_WINDOW_KEYS = ("id", "services", "name")
_DEVICE_KEYS = (
    *("id", "kind", "window", "printer", "token", "id_reader", "card_reader", "password_hash"),
    "idle_s",
)

_HALL_ID = re.compile(r"[a-z0-9-]{1,32}")
_WINDOW_ID = re.compile(r"[a-z0-9-]{1,16}")
_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")
_SERVICE_CODE = re.compile(r"[A-Z]")
_TIMEZONE = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


def load_config(path: str | Path) -> HallConfig:
    """Read and validate a hall file; raises ConfigError naming file, line and key.

    Relative paths in the file (``[store] path``) are taken from the file's folder.
    """
    file = Path(path)
    config = check_config_text(read_config_text(file), str(path), base_dir=file.parent)
    return replace(config, source=file)


def check_config_text(text: str, name: str, *, base_dir: Path | None = None) -> HallConfig:
    """Validate hall configuration text; `name` is the file name errors are reported under.

    Relative paths in it are taken from `base_dir`, by default the current directory.
    """
    document = parse_toml(text, name)
    base = (base_dir if base_dir is not None else Path.cwd()).absolute()
    return HallFileChecker(name, text).hall_config(document, base)


class HallFileChecker(
    AccessChecks, DocumentsChecks, HubChecks, HistoryChecks, RulesChecks, UserChecks
):
    """Validates one parsed hall file; `name` and the raw text give the places of errors."""

    def hall_config(self, document: dict[str, Any], base: Path) -> HallConfig:
        doc = self.table(document, (), TOP_LEVEL_KEYS)
        if "hall" not in doc:
            raise self.error(("hall",), "missing required table [hall]")
        hall = self.hall(doc)  # the tables in the order the contract lists them
        broker = self.broker(doc)
        store = self.store(doc, base)
        http = self.http(doc)
        hub = self.hub(doc)
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
        accounts = self.broker_accounts(doc, broker.username, devices)
        history = self.history(doc, base, store, (s.code for s in services), hall.id)
        return HallConfig(
            hall=hall,
            services=services,
            windows=windows,
            devices=devices,
            broker=replace(broker, accounts=accounts),
            store=store,
            http=http,
            hub=hub,
            portal=portal,
            queue=queue,
            appointments=appointments,
            ratings=ratings,
            supervision=supervision,
            screen=screen,
            history=history,
            users=users,
            staff=self.staff_rules(doc),
            api_clients=api_clients,
            rate_limits=self.rate_limits(doc),
            documents=self.documents(doc, base, store, hall.id),
        )

    def hall(self, doc: dict[str, Any]) -> HallInfo:
        path: KeyPath = ("hall",)
        table = self.table(doc["hall"], path, _HALL_KEYS)
        hall_id = self.identifier(self.present(table, path, "id"), (*path, "id"), _HALL_ID, 32)
        name = self.nonempty_string(self.present(table, path, "name"), (*path, "name"))
        timezone = "Asia/Shanghai"
        if "timezone" in table:
            value = table["timezone"]
            timezone = self.nonempty_string(value, (*path, "timezone"))
            if not _valid_timezone(timezone):
                raise self.error(
                    (*path, "timezone"),
                    f'unknown time zone {show(value)} (use a name such as "Asia/Shanghai")',
                )
        return HallInfo(id=hall_id, name=name, timezone=timezone)

    def api_clients(self, doc: dict[str, Any]) -> tuple[ApiClient, ...]:
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
            if secret is not None and not valid_whsec(secret):
                raise self.error(
                    (*path, "secret"), 'expected "whsec_" followed by base64 (value not shown)'
                )
            if token is None and secret is None:
                raise self.error(path, "an API client needs a token, a secret, or both", at=path)
            out.append(ApiClient(client_id, token, secret if isinstance(secret, str) else None))
        return tuple(out)

    def services(self, doc: dict[str, Any]) -> tuple[ServiceConfig, ...]:
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
                    (*path, "code"), f"expected one capital letter A-Z, got {show(code)}"
                )
            if code in seen:
                first = format_key(("services", seen[code]))
                raise self.error((*path, "code"), f'duplicate service "{code}" (also {first})')
            seen[code] = i
            name = self.nonempty_string(self.present(table, path, "name"), (*path, "name"))
            # Numbers have three digits (A001-A999): no cap can go beyond that.
            daily_cap = self.integer(table, path, "daily_cap", 1, 999)
            max_wait_min = self.integer(table, path, "max_wait_min", 1, 600)
            description = self.shown_text(table, path, "description", MAX_DESCRIPTION_CHARS)
            out.append(
                ServiceConfig(
                    code=code,
                    name=name,
                    daily_cap=daily_cap,
                    description=description,
                    documents=self.service_documents(table, path),
                    max_wait_min=max_wait_min,
                    name_en=self.shown_text(table, path, "name_en", MAX_NAME_CHARS),
                    description_en=self.shown_text(
                        table, path, "description_en", MAX_DESCRIPTION_CHARS
                    ),
                )
            )
        return tuple(out)

    def shown_text(
        self, table: dict[str, Any], path: KeyPath, key: str, max_len: int
    ) -> str | None:
        """An optional text the pages show (None when not given): not empty, at most
        `max_len` characters, no control or format character."""
        if key not in table:
            return None
        where = (*path, key)
        return self.plain(self.nonempty_string(table[key], where, max_len=max_len), where)

    def service_documents(self, table: dict[str, Any], path: KeyPath) -> tuple[str, ...]:
        """A service's documents to bring: the same limits as the hall settings page's."""
        value = table.get("documents", [])
        where = (*path, "documents")
        if not isinstance(value, list) or len(value) > MAX_DOCUMENTS:
            raise self.error(
                where, f"expected a list of at most {MAX_DOCUMENTS} texts, got {show(value)}"
            )
        documents: list[str] = []
        for i, item in enumerate(value):
            text = self.nonempty_string(item, (*where, i), max_len=MAX_DOCUMENT_CHARS)
            document = self.plain(text, (*where, i)).strip()
            if document in documents:
                raise self.error((*where, i), f"duplicate document {show(document)}")
            documents.append(document)
        return tuple(documents)

    def plain(self, text: str, path: KeyPath) -> str:
        """A text shown to citizens holds no control or format character (such as U+202E,
        which turns the text after it around): the hall settings page's check."""
        hidden = hidden_char(text)
        if hidden is not None:
            raise self.error(path, f"must not hold control or format characters (found {hidden})")
        return text

    def windows(self, doc: dict[str, Any], codes: set[str]) -> tuple[WindowConfig, ...]:
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
        self, table: dict[str, Any], path: KeyPath, codes: set[str]
    ) -> tuple[str, ...]:
        key: KeyPath = (*path, "services")
        value = self.present(table, path, "services")
        if not isinstance(value, list) or not value:
            wanted = "expected a non-empty array of service codes"
            raise self.error(key, f"{wanted}, got {show(value)}")
        out: list[str] = []
        for j, code in enumerate(value):
            at: KeyPath = (*key, j)
            if not isinstance(code, str):
                raise self.error((*key, j), f"expected a service code, got {show(code)}")
            if code not in codes:
                raise self.error(key, f"unknown service {show(code)}", at=at)
            if code in out:
                raise self.error(key, f"service {show(code)} is listed twice", at=at)
            out.append(code)
        return tuple(out)

    def devices(self, doc: dict[str, Any], windows: set[str]) -> tuple[DeviceConfig, ...]:
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
            kind = self.one_of(self.present(table, path, "kind"), (*path, "kind"), DEVICE_KINDS)
            window = self.opt_string(table, path, "window")
            if kind in WINDOW_BOUND_KINDS:
                if window is None:
                    raise self.error(
                        (*path, "window"), f"missing required key (a {kind} serves one window)"
                    )
                if window not in windows:
                    raise self.error((*path, "window"), f"unknown window {show(window)}")
            elif window is not None:
                bound = ", ".join(WINDOW_BOUND_KINDS)
                raise self.error(
                    (*path, "window"), f"not allowed for a {kind} (only {bound} have a window)"
                )
            printer = self.opt_string(table, path, "printer")
            if printer is not None and kind not in PRINTING_KINDS:
                raise self.error(
                    (*path, "printer"), f"not allowed for a {kind} (kiosks and window pads only)"
                )
            token = self.opt_string(table, path, "token")
            if token is not None and len(token) < MIN_TOKEN_LEN:
                raise self.error(
                    (*path, "token"),
                    f"expected at least {MIN_TOKEN_LEN} characters (value not shown)",
                )
            id_reader = self.flag(table.get("id_reader", False), (*path, "id_reader"))
            if id_reader and kind != "kiosk":
                raise self.error((*path, "id_reader"), f"not allowed for a {kind} (kiosks only)")
            idle_s = self.integer(table, path, "idle_s", MIN_IDLE_S, MAX_IDLE_S)
            if idle_s is not None and kind != "kiosk":
                raise self.error((*path, "idle_s"), f"not allowed for a {kind} (kiosks only)")
            card_reader = self.flag(table.get("card_reader", False), (*path, "card_reader"))
            if card_reader and kind != "window_pad":
                raise self.error((*path, "card_reader"), f"not allowed for a {kind} (pads only)")
            out.append(
                DeviceConfig(
                    id=device_id,
                    kind=kind,
                    window=window,
                    printer=printer,
                    id_reader=id_reader,
                    card_reader=card_reader,
                    idle_s=idle_s if idle_s is not None else DEFAULT_IDLE_S,
                    token=token,
                    password_hash=self.password_hash(table, path),
                )
            )
        kinds_by_id = {d.id: d.kind for d in out}
        for i, device in enumerate(out):
            if device.printer is None:
                continue
            key: KeyPath = ("devices", i, "printer")
            other = kinds_by_id.get(device.printer)
            if other is None:
                raise self.error(key, f"unknown device {show(device.printer)}")
            if other != "printer":
                raise self.error(key, f"device {show(device.printer)} is a {other}, not a printer")
        self._printers_apart(out)
        return tuple(out)

    def _printers_apart(self, devices: list[DeviceConfig]) -> None:
        """A window's printer prints copies of the citizen's documents: never a kiosk's (its
        tickets are taken by anyone in the hall), nor another window's."""
        first: dict[str, int] = {}
        for i, device in enumerate(devices):
            if device.printer is None:
                continue
            if device.printer not in first:
                first[device.printer] = i
                continue
            other = devices[first[device.printer]]
            key: KeyPath = ("devices", i, "printer")
            also = format_key(("devices", first[device.printer]))
            if "kiosk" in (device.kind, other.kind) and device.kind != other.kind:
                raise self.error(
                    key,
                    f"printer {show(device.printer)} prints the tickets of kiosk "
                    f"{show(other.id if other.kind == 'kiosk' else device.id)} ({also} names it "
                    "too): a window's printer prints copies of documents and must stand at "
                    "the window; give the window pad a printer of its own",
                )
            if device.kind == "window_pad" and device.window != other.window:
                raise self.error(
                    key,
                    f"printer {show(device.printer)} is window {show(other.window)}'s ({also}): "
                    "a window's printer prints copies of documents for that window only",
                )


def _valid_timezone(name: str) -> bool:
    if not _TIMEZONE.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
