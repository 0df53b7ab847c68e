"""The serial gateway's configuration: one small TOML file per host that has devices wired
to it.

```toml
[gateway]
hall = "demo"                          # the hall id: topics under hall/<hall>/
broker = "mqtt://192.168.1.10:1883"    # mqtt:// or mqtts://; no user: each device logs in
                                       # with its own id as user name
font = "/usr/share/unifont/unifont.hex"  # optional: for cards that draw pixels (bx6)

[gateway.passwords]                    # optional: each device's broker password
"led-1" = "..."

[[serial]]
port = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K5TQ1-if00-port0"
baud = 9600                            # default 9600
protocol = "bx6"                       # bx6 | lineproto | escpos | keypad485 | idcard
device = "led-1"                       # the contract device it speaks for
options = { width = 64, height = 16 }

[[serial]]
port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"
protocol = "keypad485"                 # a bus: many pads, by address
devices = { "1" = "caller-1", "2" = "eval-1" }
```

Every problem is a `ConfigError` naming the file, the line and the key, e.g.
``gateway.toml:12: serial[2].protocol: unknown protocol "bx5" (known: bx6, ...)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from devices.drivers import DRIVERS
from devices.drivers.base import DriverInfo, PortSpec
from devices.drivers.options import OptionError
from hall.contract.config_base import FileChecker, parse_toml, read_config_text, show
from hall.contract.config_lines import KeyPath
from hall.contract.link import Endpoint

TOP_KEYS = ("gateway", "serial")
GATEWAY_KEYS = ("hall", "broker", "font", "passwords")
SERIAL_KEYS = ("port", "baud", "protocol", "device", "devices", "options")
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
ID_PATTERN = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True)
class SerialEntry:
    """One `[[serial]]` entry, checked: its port, driver, devices and parsed options."""

    spec: PortSpec
    driver: DriverInfo
    options: Any
    device: str | None = None
    addresses: Mapping[int, str] = field(default_factory=dict)

    @property
    def device_ids(self) -> tuple[str, ...]:
        return (self.device,) if self.device else tuple(dict.fromkeys(self.addresses.values()))


@dataclass(frozen=True)
class GatewayConfig:
    hall: str
    broker: Endpoint
    serial: tuple[SerialEntry, ...]
    font: Path | None = None
    passwords: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None

    def endpoint_for(self, device_id: str) -> Endpoint:
        """The broker login of one device: its id and password, unless the URL names a user."""
        if self.broker.username:
            return self.broker
        return Endpoint(
            self.broker.host,
            self.broker.port,
            self.broker.tls,
            username=device_id,
            password=self.passwords.get(device_id),
        )

    @property
    def needs_font(self) -> bool:
        return any(entry.driver.needs_font for entry in self.serial)


def load_gateway_config(path: str | Path) -> GatewayConfig:
    """Read and check a gateway file; `ConfigError` names the file, line and key."""
    file = Path(path)
    text = read_config_text(file)
    return replace(check_gateway_text(text, str(file), base_dir=file.parent), source=file)


def check_gateway_text(text: str, name: str, *, base_dir: Path | None = None) -> GatewayConfig:
    document = parse_toml(text, name)
    base = (base_dir or Path.cwd()).absolute()
    return _GatewayChecker(name, text).gateway(document, base)


class _GatewayChecker(FileChecker):
    """Validates one parsed gateway file; errors name the file, the line and the key."""

    def text(self, table: dict[str, Any], path: KeyPath, key: str, default: str | None) -> str:
        if key not in table and default is not None:
            return default
        return self.nonempty_string(self.present(table, path, key), (*path, key))

    def device_id(self, value: object, path: KeyPath) -> str:
        return self.identifier(value, path, ID_PATTERN, 32)

    # -- tables -----------------------------------------------------------------------------

    def gateway(self, doc: dict[str, Any], base: Path) -> GatewayConfig:
        self.table(doc, (), TOP_KEYS)
        if "gateway" not in doc:
            raise self.error(("gateway",), "missing [gateway] table (hall and broker)")
        table = self.table(doc["gateway"], ("gateway",), GATEWAY_KEYS)
        hall = self.device_id(table.get("hall"), ("gateway", "hall"))
        broker = self.broker(self.text(table, ("gateway",), "broker", DEFAULT_BROKER))
        font = None
        if "font" in table:
            font = base / self.text(table, ("gateway",), "font", None)
        passwords = self.passwords(table.get("passwords", {}))
        serial = doc.get("serial", [])
        if not isinstance(serial, list) or not serial:
            raise self.error(("serial",), "expected [[serial]] entries: one per wired port")
        entries = tuple(self.serial(entry, i) for i, entry in enumerate(serial))
        self.check_unique(entries)
        return GatewayConfig(hall, broker, entries, font, passwords)

    def broker(self, url: str) -> Endpoint:
        path: KeyPath = ("gateway", "broker")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise self.error(path, f"expected mqtt://host:port, got {show(url)}") from None
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise self.error(path, f"expected an mqtt:// or mqtts:// URL, got {show(url)}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise self.error(path, "expected no path, query or fragment in the URL")
        tls = parts.scheme == "mqtts"
        return Endpoint(
            parts.hostname,
            port or (8883 if tls else 1883),
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password is not None else None,
        )

    def passwords(self, value: object) -> dict[str, str]:
        path: KeyPath = ("gateway", "passwords")
        table = value if isinstance(value, dict) else None
        if table is None:
            raise self.error(path, f"expected a table of device id = password, got {show(value)}")
        for device, password in table.items():
            self.device_id(device, (*path, device))
            if not isinstance(password, str):
                raise self.error((*path, device), "expected the password as a string")
        return dict(table)

    def serial(self, value: object, index: int) -> SerialEntry:
        path: KeyPath = ("serial", index)
        table = self.table(value, path, SERIAL_KEYS)
        port = self.text(table, path, "port", None)
        baud = table.get("baud", 9600)
        if isinstance(baud, bool) or not isinstance(baud, int) or not 50 <= baud <= 4_000_000:
            problem = f"expected a baud rate such as 9600, got {show(baud)}"
            raise self.error((*path, "baud"), problem)
        protocol = self.text(table, path, "protocol", None)
        driver = DRIVERS.get(protocol)
        if driver is None:
            known = ", ".join(DRIVERS)
            raise self.error((*path, "protocol"), f'unknown protocol "{protocol}" (known: {known})')
        device, addresses = self.devices(table, path, driver)
        raw_options = table.get("options", {})
        if not isinstance(raw_options, dict):
            raise self.error((*path, "options"), f"expected a table, got {show(raw_options)}")
        try:
            options = driver.parse_options(raw_options)
        except OptionError as exc:
            raise self.error((*path, "options", exc.key), exc.problem) from None
        spec = PortSpec(port=port, baud=baud, protocol=protocol)
        return SerialEntry(spec, driver, options, device, addresses)

    def devices(
        self, table: dict[str, Any], path: KeyPath, driver: DriverInfo
    ) -> tuple[str | None, dict[int, str]]:
        if not driver.bus:
            if "devices" in table:
                raise self.error(
                    (*path, "devices"), f'{driver.name} speaks for one device: use device = "id"'
                )
            return self.device_id(table.get("device"), (*path, "device")), {}
        if "device" in table:
            raise self.error(
                (*path, "device"),
                f'{driver.name} is a bus: bind its addresses, devices = {{ "1" = "caller-1" }}',
            )
        value = table.get("devices")
        if not isinstance(value, dict) or not value:
            raise self.error(
                (*path, "devices"),
                f'expected a table of address = device id, e.g. {{ "1" = "caller-1" }}, '
                f"got {show(value)}",
            )
        addresses: dict[int, str] = {}
        for key, device in value.items():
            where = (*path, "devices", key)
            # ASCII only: str.isdigit takes "²" (int() refuses it) and "١" (int() reads 1).
            if not (key.isascii() and key.isdigit()) or not 0 <= int(key) <= 255:
                raise self.error(where, f'expected a bus address "0" to "255", got "{key}"')
            addresses[int(key)] = self.device_id(device, where)
        return None, addresses

    def check_unique(self, entries: tuple[SerialEntry, ...]) -> None:
        ports: dict[str, int] = {}
        devices: dict[str, int] = {}
        for index, entry in enumerate(entries):
            path: KeyPath = ("serial", index)
            first = ports.setdefault(entry.spec.port, index)
            if first != index:
                raise self.error(
                    (*path, "port"), f"serial[{first + 1}] already uses {entry.spec.port}"
                )
            for device in entry.device_ids:
                first = devices.setdefault(device, index)
                if first != index:
                    key = "device" if entry.device else "devices"
                    raise self.error(
                        (*path, key),
                        f'serial[{first + 1}] already speaks for "{device}"; a device has one '
                        "connection to the broker",
                    )
