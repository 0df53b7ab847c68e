"""The live service catalogue and the appointments booked on the portal.

The hall file gives the first catalogue; the back office may then add, rename, close, reopen
a service or change its daily cap while the hall runs. The live catalogue is a record like any
other: committed atomically, reloaded after a restart, and it wins over the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ..config import HallConfig
from .errors import DomainError

AppointmentState = Literal["booked", "checked_in", "cancelled"]


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    code: str
    name: str
    daily_cap: int | None = None
    open: bool = True  # a closed service issues no tickets; those waiting are still served


@dataclass(frozen=True)
class Catalogue:
    services: tuple[ServiceEntry, ...]
    window_services: dict[str, tuple[str, ...]]  # window id -> its services, in preference
    version: int = 0

    @classmethod
    def from_config(cls, config: HallConfig) -> Catalogue:
        return cls(
            services=tuple(ServiceEntry(s.code, s.name, s.daily_cap) for s in config.services),
            window_services={w.id: tuple(w.services) for w in config.windows},
        )

    def service(self, code: str) -> ServiceEntry | None:
        return next((s for s in self.services if s.code == code), None)

    def to_json(self) -> str:
        data = {
            "services": [asdict(s) for s in self.services],
            "window_services": {w: list(s) for w, s in self.window_services.items()},
            "version": self.version,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes, config: HallConfig) -> Catalogue:
        data = json.loads(raw)
        known_windows = {w.id for w in config.windows}
        return cls(
            services=tuple(ServiceEntry(**s) for s in data["services"]),
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
        return Catalogue(tuple(services), window_services, self.version + 1)


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
