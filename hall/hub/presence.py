"""Which devices are online: their retained MQTT status, or a browser page acting as them.

A device counts as online while its retained status says so or while at least one page
(/kiosk, /pad) acting as it is connected. Each change is told to the hub's listeners as a
`device.status` event, and is kept in the store (`keep`, run by the hub): a hub
that starts, or takes over, `remember()`s when each device last changed, so a device that
is as it was keeps that time (its offline alarm dates from when it went offline, not from
this hub's start).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.domain.config import HallConfig

__all__ = ["Presence", "PresenceView"]

log = logging.getLogger("hall.hub.presence")
KEEP_RETRY_S = 1.0  # the presence is handed to the store again this long after a failure


@dataclass(frozen=True)
class PresenceView:
    """The devices' presence at one moment, as e-supervision and the dashboard read it."""

    online: Mapping[str, bool]  # device id -> online, for every device seen so far
    since: Mapping[str, float]  # device id -> when its presence last changed
    started_at: float  # when the hub started (devices never seen count from then)


class Presence:
    def __init__(
        self,
        config: HallConfig,
        clock: Callable[[], float],
        on_change: Callable[[dict[str, Any]], None],
    ) -> None:
        self._config = config
        self._clock = clock
        self._on_change = on_change
        self._online: dict[str, bool] = {}
        self._since: dict[str, float] = {}
        self._mqtt_online: dict[str, bool] = {}
        self._fields: dict[str, dict[str, Any]] = {}  # the last status of each device, as sent
        self._attached: Counter[str] = Counter()  # pages acting as each device
        self._remembered: dict[str, tuple[bool, float]] = {}  # kept before this hub started
        self._changes: dict[str, tuple[bool, float]] = {}  # not yet kept
        self._changed = asyncio.Event()  # set when there are changes to keep

    def remember(self, kept: Mapping[str, tuple[bool, float]], now: float) -> None:
        """What the store kept (device -> (online, since)): a device not heard from yet
        counts as it was then, since then; one the store never saw, as offline since `now`
        (this hub's start, kept too, so that the hubs after this one count from it)."""
        for device in self._config.devices:
            if device.id in self._online:
                continue
            online, at = kept.get(device.id, (False, now))
            if device.id not in kept:
                self._changes[device.id] = (False, now)
                self._changed.set()
            self._remembered[device.id] = (online, at)
            if not online:
                self._since[device.id] = at

    async def keep(self, put: Callable[[dict[str, tuple[bool, float]]], Awaitable[None]]) -> None:
        """Hand every change to `put` (the store's), until cancelled; a store that cannot be
        reached is given them again, with the newer ones, a moment later."""
        pending: dict[str, tuple[bool, float]] = {}
        while True:
            raise_if_cancel_lost()  # a store call may have swallowed the stop (see there)
            await self._changed.wait()
            self._changed.clear()
            pending.update(self._changes)
            self._changes = {}
            try:
                await put(pending)
                pending = {}
            except StoreUnavailable as exc:
                log.warning("could not keep the devices' presence (retrying): %s", exc)
                await asyncio.sleep(KEEP_RETRY_S)
                self._changed.set()

    def view(self, started_at: float) -> PresenceView:
        return PresenceView(
            MappingProxyType(self._online), MappingProxyType(self._since), started_at
        )

    def online_count(self) -> int:
        return sum(self._online.values())

    def status(self, device_id: str) -> Mapping[str, Any] | None:
        """The device's last status (with what a gateway adds, e.g. a printer's `online`,
        `paper` and `dots`) while it is online over MQTT; None while it is not."""
        if not self._mqtt_online.get(device_id):
            return None
        return MappingProxyType(self._fields.get(device_id, {}))

    def online_ids(self) -> list[str]:
        return sorted(d for d, up in self._online.items() if up)

    def status_message(self, device_id: str, payload: bytes) -> None:
        """A device's retained status arrived (`{"state": "online"}` or anything else)."""
        if self._config.device(device_id) is None:
            return
        # Anything but a JSON object with "state" (bad text, nesting too deep) counts as not
        # online; a bad status never stops the messages that arrived with it.
        with contextlib.suppress(ValueError, AttributeError, TypeError, RecursionError):
            status = json.loads(payload or b"{}")
            online = status.get("state") == "online"
            self._fields[device_id] = status if online else {}
            self._mqtt_online[device_id] = online
            self._set(device_id, online or self._attached[device_id] > 0)

    def attach(self, device_id: str) -> None:
        """A browser page acting as this device connected: it counts as online meanwhile."""
        self._attached[device_id] += 1
        self._set(device_id, True)

    def detach(self, device_id: str) -> None:
        """The page is gone: the device is as its MQTT status says (offline when none)."""
        self._attached[device_id] -= 1
        if self._attached[device_id] <= 0:
            del self._attached[device_id]
            self._set(device_id, self._mqtt_online.get(device_id, False))

    def _set(self, device_id: str, online: bool) -> None:
        if self._online.get(device_id) == online:
            return
        log.info("device %s is %s", device_id, "online" if online else "offline")
        kept = self._remembered.pop(device_id, None)
        # As it was before this hub started: since then, not since now.
        since = kept[1] if kept is not None and kept[0] == online else self._clock()
        self._since[device_id] = since
        self._online[device_id] = online
        self._changes[device_id] = (online, since)
        self._changed.set()
        self._on_change(
            {
                "type": "device.status",
                "device": device_id,
                "online": online,
                "at": round(self._clock(), 3),
            }
        )
