"""The live service catalogue and the appointments booked on the portal.

The hall file gives the first catalogue; the back office may then add, rename, close, reopen
a service or change its daily cap while the hall runs, and a manager may change the rest of
the hall's settings from the dashboard (`settings.py`): a service's opening hours and required
documents, a window's services, a device's binding, and the screens' notice. The live
catalogue is a record like any other: committed atomically, reloaded after a restart, and it
wins over the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from .config import DeviceConfig, HallConfig
from .errors import DomainError

AppointmentState = Literal["booked", "checked_in", "cancelled"]


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    code: str
    name: str
    daily_cap: int | None = None
    open: bool = True  # a closed service issues no tickets; those waiting are still served
    # ("08:30", "17:00"), hall time: tickets are issued only from the first to the second
    # minute; None: all day.
    hours: tuple[str, str] | None = None
    documents: tuple[str, ...] = ()  # what a citizen must bring, shown at the kiosk

    def takes_tickets_at(self, clock: str) -> bool:
        """Does the service issue tickets at `clock` ("HH:MM", hall time)?"""
        return self.hours is None or self.hours[0] <= clock < self.hours[1]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceEntry:
        hours = data.get("hours")
        return cls(
            code=data["code"],
            name=data["name"],
            daily_cap=data.get("daily_cap"),
            open=data.get("open", True),
            hours=(hours[0], hours[1]) if hours else None,
            documents=tuple(data.get("documents", ())),
        )


@dataclass(frozen=True, slots=True)
class DeviceSetting:
    """What the dashboard changed of one device of the hall file."""

    enabled: bool = True  # a disabled device's requests are refused (`device_disabled`)
    window: str | None = None  # the window it is bound to now; None: the hall file's
    name: str | None = None  # how the dashboard lists it; None: its id


@dataclass(frozen=True)
class Catalogue:
    services: tuple[ServiceEntry, ...]
    window_services: dict[str, tuple[str, ...]]  # window id -> its services, in preference
    version: int = 0
    devices: dict[str, DeviceSetting] = field(default_factory=dict)  # changed ones only
    notice: str | None = None  # the screens' notice; None: the hall file's `[screen] notice`

    @classmethod
    def from_config(cls, config: HallConfig) -> Catalogue:
        return cls(
            services=tuple(
                ServiceEntry(s.code, s.name, s.daily_cap, documents=s.documents)
                for s in config.services
            ),
            window_services={w.id: tuple(w.services) for w in config.windows},
        )

    def service(self, code: str) -> ServiceEntry | None:
        return next((s for s in self.services if s.code == code), None)

    def device_setting(self, device_id: str) -> DeviceSetting:
        return self.devices.get(device_id, DeviceSetting())

    def bound(self, device: DeviceConfig) -> DeviceConfig:
        """The hall file's device as the hall binds it now (its window may have moved)."""
        setting = self.devices.get(device.id)
        if setting is None or setting.window is None or setting.window == device.window:
            return device
        return replace(device, window=setting.window)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "services": [asdict(s) for s in self.services],
            "window_services": {w: list(s) for w, s in self.window_services.items()},
            "version": self.version,
        }
        if self.devices:
            data["devices"] = {d: asdict(s) for d, s in self.devices.items()}
        if self.notice is not None:
            data["notice"] = self.notice
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes, config: HallConfig) -> Catalogue:
        data = json.loads(raw)
        known_windows = {w.id for w in config.windows}
        known_devices = {d.id for d in config.devices}
        devices = {
            d: DeviceSetting(**s)
            for d, s in data.get("devices", {}).items()
            if d in known_devices and s.get("window") in (None, *known_windows)
        }
        return cls(
            services=tuple(ServiceEntry.from_json(s) for s in data["services"]),
            # Windows come from the hall file: one removed from it is gone here too.
            window_services={
                w: tuple(s) for w, s in data["window_services"].items() if w in known_windows
            }
            | {
                w.id: tuple(w.services)
                for w in config.windows
                if w.id not in data["window_services"]
            },
            version=int(data.get("version", 0)),
            devices=devices,
            notice=data.get("notice"),
        )

    def changed(
        self,
        action: str,
        code: str,
        *,
        name: str | None = None,
        daily_cap: int | None = None,
        clear_cap: bool = False,
        windows: tuple[str, ...] = (),
    ) -> Catalogue:
        """The catalogue after one change; raises DomainError when the change makes no sense."""
        current = self.service(code)
        services = list(self.services)
        window_services = dict(self.window_services)
        if action == "add":
            if current is not None:
                raise DomainError("invalid_state", f"service {code} already exists")
            if not name:
                raise DomainError("bad_request", "a new service needs a name")
            unknown = [w for w in windows if w not in window_services]
            if unknown:
                raise DomainError("bad_request", f"unknown window(s): {', '.join(unknown)}")
            services.append(ServiceEntry(code, name, daily_cap))
            for w in windows:
                window_services[w] = (*window_services[w], code)
        else:
            if current is None:
                raise DomainError("unknown_service", f"no service {code!r} in this hall")
            index = services.index(current)
            if action == "rename":
                if not name:
                    raise DomainError("bad_request", "rename needs a name")
                services[index] = replace(current, name=name)
            elif action == "close":
                services[index] = replace(current, open=False)
            elif action == "reopen":
                services[index] = replace(current, open=True)
            elif action == "set_cap":
                services[index] = replace(current, daily_cap=None if clear_cap else daily_cap)
            else:
                raise DomainError("bad_request", f"unknown catalogue action {action!r}")
        return replace(
            self,
            services=tuple(services),
            window_services=window_services,
            version=self.version + 1,
        )


@dataclass(frozen=True, slots=True)
class Appointment:
    """A visit booked on the portal. No ID number: only a keyed hash of it, and a masked name."""

    code: str
    service: str
    slot_start: float
    slot_end: float
    day: str
    name_masked: str | None = None
    id_hash: str | None = None
    state: AppointmentState = "booked"
    ticket: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Appointment:
        return cls(**json.loads(raw))

    def public(self) -> dict[str, Any]:
        view = asdict(self)
        view.pop("id_hash")
        return view


@dataclass(frozen=True, slots=True)
class SealedIdNumber:
    """An ID number that came sealed (`id_sealed`) and was opened by the hub: only its keyed
    hash is kept (None when the hall has no `id_hash_key`). The hub puts it in a request's
    arguments in place of the box; no JSON payload can hold one, so no device can forge it."""

    id_hash: str | None = field(default=None, repr=False)


def id_number_hash(key: bytes, id_no: str) -> str:
    """The keyed hash both the portal and the hub compute from an ID number (HMAC-SHA256)."""
    normalised = id_no.strip().upper().encode()
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜: never a whole name on a screen."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
