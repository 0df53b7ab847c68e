"""A contract device on MQTT: what the serial gateway, the speaker, the demo's simulated
kiosks and pads, and the benchmarks use to speak to the hub exactly as any vendor's device.

It connects with its device id as client id, keeps a retained `status` with a will, listens to
its `res`, `state` and `cmd` topics (and any extra ones), and correlates requests with
responses by id, retrying with the same id when no answer comes (the hub answers a repeated id
with the same response and does not act twice).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .bus import Endpoint, MqttLink, Will
from .protocol import Topics, dumps

log = logging.getLogger("hall.device")
Listener = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class RequestTimeout(TimeoutError):
    pass


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
        self.link = MqttLink(
            endpoint,
            client_id=device_id,
            subscriptions=(
                self.topic("res"),
                self.topic("state"),
                self.topic("cmd"),
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
        self.last[topic] = data
        for listener in list(self.listeners):
            result = listener(topic, data)
            if result is not None:
                await result

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
            raise DeviceError(error.get("code", "?"), error.get("message", ""))
        return response.get("result")

    async def go_offline(self) -> None:
        await self.link.publish_now(self.topic("status"), dumps({"state": "offline"}), retain=True)


class DeviceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
