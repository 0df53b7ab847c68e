"""Which of the hubs running for a hall is the active one: standing by, taking over, keeping
the turn and giving it back.

Any number of `hall run` processes may run for one hall. Each has its own name (`[hub]
instance`, by default "<host name>-<HTTP port>") and so its own MQTT client id: two hubs never
take each other's broker session. A standby waits connected to the broker (with a client id
of its own that subscribes to no request) and to the store, with its HTTP port bound, trying
for the lease in the store (`hall.store.lease`) as soon as the active hub's lapses. Taking it
claims a new epoch; from then on every write of an older hub is refused. The active hub
renews the lease every `renew_s` and leaves at once (`Fenced`, exit code 3) when the store
says another hub holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import secrets
import socket
import time
from typing import Any, Literal

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import Fenced, StoreUnavailable
from hall.contract.link import Endpoint, MqttLink
from hall.contract.wire import Topics
from hall.domain.config import HallConfig
from hall.store.hall_store import HallStore
from hall.store.lease import EpochAbsent

__all__ = ["Leadership", "Role", "instance_name"]

log = logging.getLogger("hall.hub.lease")
Role = Literal["standby", "active", "stopped"]
# How long a standby waits after the store failed to answer before it asks again.
STORE_RETRY_S = 0.5
# A standby asks again this long after the active hub's lease should have lapsed: enough for
# the store's own expiry to have run, little against the takeover time.
LAPSE_MARGIN_S = 0.005
# How long the active hub keeps going while the store holds no epoch for the hall at all: a
# failover's new master answers so for moments; a store that lost its data, for good (then
# this hub stops, and started again claims the hall afresh).
EPOCH_ABSENT_LIMIT_S = 30.0


def instance_name(config: HallConfig) -> str:
    """This hub process's name: `[hub] instance`, else "<host name>-<HTTP port>" (stable
    across restarts, so a restarted hub finds the requests its broker session kept)."""
    if config.hub.instance is not None:
        return config.hub.instance
    host = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().split(".")[0].lower()).strip("-")
    return f"{host[:24] or 'hub'}-{config.http.port}"


class Leadership:
    """This process's turn as the hall's hub: `wait_for_turn`, then `keep`, then `release`."""

    def __init__(
        self, config: HallConfig, store: HallStore, endpoint: Endpoint, topics: Topics
    ) -> None:
        self.hall_id = config.hall.id
        self.instance = instance_name(config)
        self.client_id = f"hub-{config.hall.id}-{self.instance}"
        self.lease_s = config.hub.lease_s
        self.renew_s = config.hub.renew_s
        # Unique per process: a restarted hub with the same name never mistakes the lease of
        # its previous life for its own.
        self.token = f"{self.instance}:{secrets.token_hex(6)}"
        self.lease = store.lease(self.token, config.hub.lease_s)
        self.role: Role = "standby"
        self.epoch = 0
        self.seen_status: dict[str, Any] | None = None  # the hall's hub/status, as last seen
        self._endpoint = endpoint
        self._topics = topics
        self._status_news = asyncio.Event()
        self._standby_link: MqttLink | None = None
        self._renewed_at = 0.0  # time.monotonic() of the last renewal the store confirmed

    # ----- standing by -----------------------------------------------------------------------
    async def wait_for_turn(self) -> int:
        """Stand by until this hub holds the lease; return the epoch it claimed with it.

        Tried only while connected to the broker, so a hub that could not serve the devices
        never takes the hall from one that can.
        """
        link = MqttLink(
            self._endpoint,
            client_id=f"{self.client_id}-standby",
            subscriptions=(self._topics.hub_status,),
        )
        self._standby_link = link
        task = asyncio.create_task(link.run(self._on_status), name="standby link")
        try:
            waiting_logged = False
            while True:
                raise_if_cancel_lost()
                await self._until(link.connected.wait(), task)
                try:
                    claim = await self.lease.acquire()
                except StoreUnavailable as exc:
                    log.warning("hall %s: standing by, store unavailable: %s", self.hall_id, exc)
                    await self._until(asyncio.sleep(STORE_RETRY_S), task)
                    continue
                if claim.epoch is not None:
                    return self._took(claim.epoch)
                if not waiting_logged:
                    log.info(
                        "hall %s: standing by as %s; another hub holds the lease",
                        self.hall_id,
                        self.instance,
                    )
                    waiting_logged = True
                # Until the holder's lease would lapse, or until the hall's hub/status says it
                # went offline (a clean exit gives the lease back at once).
                self._status_news.clear()
                with contextlib.suppress(TimeoutError):
                    await self._until(
                        asyncio.wait_for(
                            self._status_news.wait(),
                            min(claim.wait_s + LAPSE_MARGIN_S, self.lease_s),
                        ),
                        task,
                    )
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self._standby_link = None

    @staticmethod
    async def _until(step: Any, link_task: asyncio.Task[None]) -> None:
        """Wait for `step`, failing with the standby link if it ends first (it only ends on
        an error: a bug, never a lost connection, which it rides out itself)."""
        waiter = asyncio.ensure_future(step)
        try:
            await asyncio.wait({waiter, link_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        if link_task.done() and not waiter.done():
            link_task.result()
            raise RuntimeError("the standby's broker link stopped")
        waiter.result()

    async def _on_status(self, topic: str, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if isinstance(data, dict):
            self.seen_status = data
            if data.get("state") != "online":
                self._status_news.set()

    def _took(self, epoch: int) -> int:
        self.epoch = epoch
        self.role = "active"
        self._renewed_at = time.monotonic()
        log.info("hall %s: %s holds the lease, epoch %d", self.hall_id, self.instance, epoch)
        return epoch

    @property
    def broker_connected(self) -> bool:
        """While standing by: is the standby's broker connection up?"""
        link = self._standby_link
        return link is not None and link.connected.is_set()

    # ----- keeping the turn ------------------------------------------------------------------
    async def keep(self) -> None:
        """Renew the lease until cancelled; raise `Fenced` when another hub holds it now.

        A store that does not answer is asked again at the next renewal: the lease lapses in
        the store meanwhile, and a standby that can reach the store takes over with a newer
        epoch (the store then refuses this hub's writes, and its next renewal fails).
        """
        warned_at = -math.inf
        absent_since: float | None = None
        while True:
            raise_if_cancel_lost()  # a store call may have swallowed the stop (see there)
            await asyncio.sleep(self.renew_s)
            try:
                # asyncio.timeout: a cancellation is never lost to a renewal ending with it.
                async with asyncio.timeout(self.lease_s):
                    kept = await self.lease.renew(self.epoch)
            except (StoreUnavailable, TimeoutError) as exc:
                now = time.monotonic()
                if isinstance(exc, EpochAbsent):
                    absent_since = now if absent_since is None else absent_since
                    if now - absent_since >= EPOCH_ABSENT_LIMIT_S:
                        self.role = "stopped"
                        raise Fenced(
                            f"hall {self.hall_id}: the store has held no epoch for the hall "
                            f"for {now - absent_since:.0f} s (it lost its data); this hub "
                            "stops, and started again claims the hall afresh"
                        ) from exc
                else:
                    absent_since = None
                if now - warned_at >= self.lease_s:  # once per lease period, not per try
                    warned_at = now
                    log.warning(
                        "hall %s: lease not renewed for %.1f s: %s",
                        self.hall_id,
                        self.unconfirmed_s(),
                        exc or "no answer",
                    )
                continue
            absent_since = None
            if not kept:
                self.role = "stopped"
                raise Fenced(
                    f"hall {self.hall_id}: another hub holds the lease now (this hub, "
                    f"{self.instance}, had epoch {self.epoch}); this hub stops"
                )
            self._renewed_at = time.monotonic()

    def unconfirmed_s(self) -> float:
        """Seconds since the store last confirmed this hub's lease."""
        return round(time.monotonic() - self._renewed_at, 1) if self._renewed_at else 0.0

    async def release(self) -> None:
        """Give the turn back (a clean exit): a standby takes over at once."""
        was_active, self.role = self.role == "active", "stopped"
        if not was_active:
            return
        try:
            if await asyncio.wait_for(self.lease.release(), 2):
                log.info("hall %s: lease given back", self.hall_id)
        except (StoreUnavailable, TimeoutError) as exc:
            log.warning("hall %s: could not give the lease back (it lapses): %s", self.hall_id, exc)
