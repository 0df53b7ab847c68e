"""Who sends an operation: a configured device, the back office, the hub itself or a manager.

The domain's dispatch (`hall.decide`) checks an actor's kind against what each operation
allows; the operations read its id (named in events), its window, its printer and whether
it has an ID card reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import DEVICE_KINDS, DeviceConfig
from .staff import StaffCheck

__all__ = ["ACTOR_KINDS", "BACK_OFFICE", "HUB", "MANAGER", "Actor"]

BACK_OFFICE = "back_office"  # an API client of the hall's HTTP API
HUB = "hub"  # the hub's own housekeeping (the day's end, unrated visits)
MANAGER = "manager"  # a signed-in dashboard user who may act
# No device can be configured with one of the kinds that are not devices' (the checker
# refuses them), so a device never acts as the back office, the hub or a manager.
ACTOR_KINDS = (*DEVICE_KINDS, BACK_OFFICE, HUB, MANAGER)


@dataclass(frozen=True)
class Actor:
    id: str
    kind: str  # one of ACTOR_KINDS
    window: str | None = None  # a window-bound device's window
    printer: str | None = None  # a kiosk's printer
    id_reader: bool = False  # a kiosk whose ID numbers come from its card reader
    # A window.open's credentials as the hub checked them (`staff.check_sign_in`).
    staff_check: StaffCheck | None = None
    user: str | None = None  # a manager's dashboard user name (the events' `by`)

    @classmethod
    def of_device(cls, device: DeviceConfig) -> Actor:
        """A device of the hall file."""
        return cls(device.id, device.kind, device.window, device.printer, device.id_reader)

    @classmethod
    def back_office(cls, client_id: str) -> Actor:
        """An API client of the back office."""
        return cls(f"api-{client_id}", BACK_OFFICE)

    @classmethod
    def hub(cls, hall_id: str) -> Actor:
        """The hub of the hall, for its own housekeeping."""
        return cls(f"hub-{hall_id}", HUB)

    @classmethod
    def manager(cls, user: str) -> Actor:
        """A dashboard user, signed in with a role that may act."""
        return cls(f"dashboard-{user}", MANAGER, user=user)

    @property
    def is_device(self) -> bool:
        """A device answers its requests itself; the others' events go out at once."""
        return self.kind in DEVICE_KINDS
