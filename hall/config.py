"""The hall configuration: the contract's TOML shape as typed, frozen values.

Loading validates everything at start; every error names the file, the line, the key and
what is wrong, e.g. ``hall.toml:14: windows[2].services: unknown service "Q"``.
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
        super().__init__(f"{where}: {key}: {problem}")


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
    password: str | None = None


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
    secret: str  # "whsec_" + base64


@dataclass(frozen=True)
class QueueRules:
    recall_cap: int = 3
    default_service_s: int = 300  # service time assumed before any has been measured


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
    source: Path | None = None  # the file it was loaded from

    def service(self, code: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.code == code), None)

    def window(self, window_id: str) -> WindowConfig | None:
        return next((w for w in self.windows if w.id == window_id), None)

    def device(self, device_id: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.id == device_id), None)


def load_config(path: str | Path) -> HallConfig:
    """Read and validate a hall file; raises ConfigError naming file, line and key."""
    raise NotImplementedError
