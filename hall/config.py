"""The hall configuration: the contract's TOML shape as typed, frozen values.

Loading validates everything at start; every error names the file, the line, the key and
what is wrong, e.g. ``hall.toml:14: windows[2].services: unknown service "Q"``.

Key paths in messages count array entries from 1, as people do: ``windows[2]`` is the second
``[[windows]]`` entry of the file, ``windows[2].services[3]`` the third code in its list. A
missing key is reported at the line of the table header it belongs under; a TOML syntax error
at the line tomllib reports. The first problem found is reported.

`load_config(path)` reads a file; `check_config_text(text, name)` checks text already in hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEVICE_KINDS = (
    "kiosk",
    "window_pad",
    "caller",
    "evaluator",
    "led_window",
    "led_board",
    "screen",
    "printer",
    "speaker",
)
# Kinds that are bound to exactly one window.
WINDOW_BOUND_KINDS = ("window_pad", "caller", "evaluator", "led_window")


class ConfigError(ValueError):
    """A configuration problem, worded for the person who edits the file."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        # `key` is empty for problems of the file as a whole (unreadable, TOML syntax).
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


@dataclass(frozen=True)
class HallInfo:
    id: str
    name: str
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class BrokerConfig:
    url: str | None = None  # None: run the embedded broker
    listen: str = "127.0.0.1:1883"  # where the embedded broker listens
    host: str = "127.0.0.1"  # parsed from url, or from listen when embedded
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StoreConfig:
    url: str | None = None  # None: run the embedded Redis
    path: Path = Path("var")  # embedded Redis data folder (relative paths: beside the config)


@dataclass(frozen=True)
class HttpConfig:
    listen: str = "127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class PortalConfig:
    url: str
    secret: str = field(repr=False)  # "whsec_" + base64


@dataclass(frozen=True)
class QueueRules:
    recall_cap: int = 3
    default_service_s: int = 300  # service time assumed before any has been measured


@dataclass(frozen=True)
class UserConfig:
    """A person who may sign in to the manager dashboard."""

    name: str
    password_hash: str = field(repr=False)  # argon2id, as printed by `hall hash-password`
    role: str = "manager"  # manager: may act; viewer: may only look


@dataclass(frozen=True)
class SupervisionRules:
    """E-supervision (电子监察) alarm thresholds; no national numbers exist, so all are here."""

    waiting_yellow: int = 50  # people waiting for one service
    waiting_orange: int = 80
    waiting_red: int = 120
    wait_target_s: int = 1800  # a ticket waiting longer raises an alarm; also the KPI target
    service_limit_s: int = 1800  # a visit at a window longer than this
    pause_limit_s: int = 900  # a window paused longer than this
    device_offline_s: int = 60  # a device offline longer than this


@dataclass(frozen=True)
class ScreenConfig:
    notice: str = ""  # the notice ticker's text at start
    speak: bool = False  # the /screen page also speaks calls with the browser's voice


@dataclass(frozen=True)
class RatingRules:
    unrated_after_s: int = 1800  # a served visit not rated by then is reported unrated


@dataclass(frozen=True)
class AppointmentRules:
    # HMAC-SHA256 key shared with the portal: both hash ID numbers with it, so an ID card read
    # at the kiosk finds the citizen's appointment without the number ever being stored.
    id_hash_key: str | None = field(default=None, repr=False)
    early_s: int = 1800  # check-in opens this long before the slot


@dataclass(frozen=True)
class ApiClient:
    """A back-office client of the HTTP API: a bearer token, a webhook secret, or both."""

    id: str
    token: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)  # "whsec_..." Standard Webhooks


@dataclass(frozen=True)
class ServiceConfig:
    code: str  # one capital letter: the ticket prefix
    name: str
    daily_cap: int | None = None


@dataclass(frozen=True)
class WindowConfig:
    id: str
    services: tuple[str, ...]  # in this window's order of preference
    name: str | None = None  # how the window is spoken and shown; default "<id>号窗口"


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    kind: str
    window: str | None = None  # window-bound kinds only
    printer: str | None = None  # kiosks only
    # A browser page acting as this device (/kiosk/<id>, /pad/<id>) must present this token.
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class HallConfig:
    hall: HallInfo
    services: tuple[ServiceConfig, ...]
    windows: tuple[WindowConfig, ...]
    devices: tuple[DeviceConfig, ...]
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    portal: PortalConfig | None = None
    queue: QueueRules = field(default_factory=QueueRules)
    appointments: AppointmentRules = field(default_factory=AppointmentRules)
    ratings: RatingRules = field(default_factory=RatingRules)
    supervision: SupervisionRules = field(default_factory=SupervisionRules)
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    users: tuple[UserConfig, ...] = ()
    api_clients: tuple[ApiClient, ...] = ()
    source: Path | None = None  # the file it was loaded from

    def service(self, code: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.code == code), None)

    def window(self, window_id: str) -> WindowConfig | None:
        return next((w for w in self.windows if w.id == window_id), None)

    def device(self, device_id: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.id == device_id), None)


# The loader and its checks live in `config_check.py` (which builds the values above); these
# wrappers keep them part of this module's API without a circular import.
def load_config(path: str | Path) -> HallConfig:
    """Read and validate a hall file; raises ConfigError naming file, line and key."""
    from hall.config_check import load_config as load

    return load(path)


def check_config_text(text: str, name: str, *, base_dir: Path | None = None) -> HallConfig:
    """Validate hall configuration text; `name` is the file name errors are reported under."""
    from hall.config_check import check_config_text as check

    return check(text, name, base_dir=base_dir)


def format_key(path: tuple[str | int, ...]) -> str:
    """``("windows", 1, "services")`` -> ``windows[2].services`` (entries counted from 1)."""
    from hall.config_check import format_key as fmt

    return fmt(path)


__all__ = [
    "DEVICE_KINDS",
    "WINDOW_BOUND_KINDS",
    "ApiClient",
    "AppointmentRules",
    "BrokerConfig",
    "ConfigError",
    "DeviceConfig",
    "HallConfig",
    "HallInfo",
    "HttpConfig",
    "PortalConfig",
    "QueueRules",
    "RatingRules",
    "ScreenConfig",
    "ServiceConfig",
    "StoreConfig",
    "SupervisionRules",
    "UserConfig",
    "WindowConfig",
    "check_config_text",
    "format_key",
    "load_config",
]
