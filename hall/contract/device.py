"""A contract device on MQTT: what the serial gateway, the speaker, the demo's simulated
kiosks and pads, and the benchmarks use to speak to the hub exactly as any vendor's device.

It connects with its device id as client id, keeps a retained `status` with a will, listens to
its `res`, `state` and `cmd` topics (and any extra ones), and correlates requests with
responses by id, retrying with the same id when no answer comes (the hub answers a repeated id
with the same response and does not act twice). It also keeps the hub's public key (the
retained `hub/key`), so that `seal_id` can seal an ID number for `ticket.take`'s `id_sealed`:
a device never sends the number itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from hall.contract.link import Endpoint, MqttLink, Will
from hall.contract.sealing import HubKey, SealingError, seal
from hall.contract.wire import Topics, dumps

log = logging.getLogger("hall.device")
Listener = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class RequestTimeout(TimeoutError):
    pass


def device_endpoint(broker: Endpoint, device_id: str, password: str | None) -> Endpoint:
    """The broker login of a device: its own id as user name (which a broker with
    `use_username_as_clientid` also makes its client id) and its own password, never the
    hub's login: a device logged in as the hub would be allowed the hub's topics, and on
    such a broker would take over the hub's session."""
    return replace(broker, username=device_id, password=password)


class NoHubKey(TimeoutError):
    """The hub has published no usable key (yet): an ID number cannot be sealed."""


class DeviceLink:
    def __init__(
        self, endpoint: Endpoint, hall_id: str, device_id: str, extra_topics: Sequence[str] = ()
    ) -> None:
        self.topics = Topics(hall_id)
        self.device_id = device_id
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._prefix = f"{device_id}-{os.getpid():x}-{os.urandom(3).hex()}"
        self.listeners: list[Listener] = []
        self.last: dict[str, dict[str, Any]] = {}  # newest payload per topic
        self.hub_key: HubKey | None = None  # the newest key the hub published
        self._hub_key_known = asyncio.Event()
        self.link = MqttLink(
            endpoint,
            client_id=device_id,
            subscriptions=(
                self.topic("res"),
                self.topic("state"),
                self.topic("cmd"),
                self.topics.hub_key,
                *extra_topics,
            ),
            will=Will(self.topic("status"), dumps({"state": "offline"})),
            on_connect=self._on_connect,
        )

    def topic(self, leaf: str) -> str:
        return self.topics.device(self.device_id, leaf)

    async def _on_connect(self) -> None:
        self.link.publish(self.topic("status"), dumps({"state": "online"}), retain=True)

    async def run(self) -> None:
        await self.link.run(self._on_message)

    async def _on_message(self, topic: str, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            log.warning("%s: ignored a non-JSON message on %s", self.device_id, topic)
            return
        if not isinstance(data, dict):
            return
        if topic == self.topic("res"):
            future = self._pending.get(str(data.get("id")))
            if future is not None and not future.done():
                future.set_result(data)
            return
        if topic == self.topics.hub_key:
            self._take_hub_key(data)
            return
        self.last[topic] = data
        for listener in list(self.listeners):
            result = listener(topic, data)
            if result is not None:
                await result

    def _take_hub_key(self, data: dict[str, Any]) -> None:
        try:
            self.hub_key = HubKey.from_message(data)
        except SealingError as exc:
            log.warning("%s: ignored the hub's key message: %s", self.device_id, exc)
            return
        self._hub_key_known.set()

    async def seal_id(self, id_no: str, timeout: float = 5.0) -> str:
        """`id_no` sealed to the hub's current key, for `ticket.take`'s `id_sealed`.

        Waits up to `timeout` for the hub's retained key; raises NoHubKey without one. The
        number itself never leaves this process.
        """
        if self.hub_key is None:
            try:
                async with asyncio.timeout(timeout):
                    await self._hub_key_known.wait()
            except TimeoutError:
                raise NoHubKey(f"{self.device_id}: the hub has published no key") from None
        assert self.hub_key is not None
        return seal(self.hub_key, id_no)

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def request(
        self,
        op: str,
        args: dict[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
    ) -> dict[str, Any]:
        """Send a request and wait for its response; retries reuse the same id."""
        rid = request_id or self.new_id()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[rid] = future
        body = dumps({"id": rid, "op": op, "args": args or {}})
        try:
            for _attempt in range(attempts):
                await self.link.connected.wait()
                self.link.publish(self.topic("req"), body)
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                    # cancellation that arrives together with the answer.
                    async with asyncio.timeout(timeout):
                        return await asyncio.shield(future)
                except TimeoutError:
                    log.info("%s: no answer to %s %s yet; retrying", self.device_id, op, rid)
            raise RequestTimeout(f"{self.device_id}: no answer to {op} ({rid})")
        finally:
            self._pending.pop(rid, None)

    async def call(self, op: str, args: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Request and return `result`; raises DeviceError on an error response."""
        response = await self.request(op, args, **kw)
        if not response.get("ok"):
            error = response.get("error", {})
            retry = error.get("retry_after_s")
            raise DeviceError(
                error.get("code", "?"),
                error.get("message", ""),
                retry if isinstance(retry, int) and not isinstance(retry, bool) else None,
            )
        return response.get("result")

    async def go_offline(self) -> None:
        await self.link.publish_now(self.topic("status"), dumps({"state": "offline"}), retain=True)


class DeviceError(Exception):
    def __init__(self, code: str, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s  # an `account_locked`: how long the lock lasts
