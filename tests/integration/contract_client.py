"""An outside MQTT client that knows only the device contract (it uses aiomqtt directly, not
the hub's own code), as a vendor's device or an outside test suite would."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiomqtt

from tests.support import WAIT_S

NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


class ContractClient:
    def __init__(self, host: str, port: int, hall_id: str, client_id: str) -> None:
        self.hall = hall_id
        self.root = f"hall/{hall_id}"
        self.client = aiomqtt.Client(host, port, identifier=client_id, socket_options=NODELAY)
        self.messages: dict[str, list[Any]] = defaultdict(list)
        self.latest: dict[str, Any] = {}
        # The newest message per topic that came with the retain flag.
        self.retained: dict[str, Any] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ContractClient:
        await self.client.__aenter__()
        await self.client.subscribe(f"{self.root}/#", qos=1)
        self._task = asyncio.create_task(self._reader())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
        await self.client.__aexit__(None, None, None)

    async def _reader(self) -> None:
        async for message in self.client.messages:
            topic = str(message.topic)
            raw = message.payload if isinstance(message.payload, bytes) else b""
            try:
                data: Any = json.loads(raw) if raw else None
            except (ValueError, RecursionError):
                data = raw
            async with self._changed:
                self.messages[topic].append(data)
                self.latest[topic] = data
                if message.retain:
                    self.retained[topic] = data
                self._changed.notify_all()

    def topic(self, leaf: str, device: str | None = None) -> str:
        return f"{self.root}/dev/{device}/{leaf}" if device else f"{self.root}/{leaf}"

    async def wait_for(
        self, topic: str, predicate: Callable[[Any], bool] = lambda _: True, timeout: float = WAIT_S
    ) -> Any:
        """The first message on `topic` (already seen or coming) that satisfies predicate."""

        async def seek() -> Any:
            seen = 0
            async with self._changed:
                while True:
                    for data in self.messages.get(topic, [])[seen:]:
                        if predicate(data):
                            return data
                    seen = len(self.messages.get(topic, []))
                    await self._changed.wait()

        return await asyncio.wait_for(seek(), timeout)

    async def wait_latest(
        self, topic: str, predicate: Callable[[Any], bool], timeout: float = WAIT_S
    ) -> Any:
        """Wait until the newest message on `topic` satisfies predicate (retained states)."""

        async def seek() -> Any:
            async with self._changed:
                while True:
                    if topic in self.latest and predicate(self.latest[topic]):
                        return self.latest[topic]
                    await self._changed.wait()

        return await asyncio.wait_for(seek(), timeout)

    async def send_raw(self, device: str, payload: bytes | str) -> None:
        await self.client.publish(self.topic("req", device), payload, qos=1)

    async def request(
        self,
        device: str,
        op: str,
        args: dict[str, Any] | None = None,
        request_id: str | None = None,
        timeout: float = WAIT_S,
    ) -> dict[str, Any]:
        rid = request_id or f"r{next(self._ids)}-{op}"
        res_topic = self.topic("res", device)
        already = len(self.messages.get(res_topic, []))
        body = {"id": rid, "op": op, "args": args if args is not None else {}}
        await self.client.publish(self.topic("req", device), json.dumps(body), qos=1)

        def mine(data: Any) -> bool:
            return isinstance(data, dict) and data.get("id") == rid

        async def seek() -> Any:
            async with self._changed:
                while True:
                    for data in self.messages.get(res_topic, [])[already:]:
                        if mine(data):
                            return data
                    await self._changed.wait()

        response: dict[str, Any] = await asyncio.wait_for(seek(), timeout)
        return response

    async def ok(
        self, device: str, op: str, args: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        response = await self.request(device, op, args, **kw)
        assert response["ok"], response
        result: dict[str, Any] = response["result"]
        return result

    async def error(
        self, device: str, op: str, args: dict[str, Any] | None = None, **kw: Any
    ) -> str:
        response = await self.request(device, op, args, **kw)
        assert not response["ok"], response
        code: str = response["error"]["code"]
        assert response["error"]["message"], response
        return code

    # ----- helpers for raw payloads and for checking what did (not) come -----------------------
    def count(self, topic: str) -> int:
        """How many messages `topic` has had so far: a mark to pass to `since`."""
        return len(self.messages.get(topic, []))

    def since(self, topic: str, mark: int) -> list[Any]:
        """The messages on `topic` after `mark` (see `count`), oldest first."""
        return list(self.messages.get(topic, [])[mark:])

    async def response_to(
        self, device: str, request_id: str, mark: int = 0, timeout: float = WAIT_S
    ) -> dict[str, Any]:
        """The response with `request_id` on the device's `res` topic, after `mark`."""
        res_topic = self.topic("res", device)

        async def seek() -> Any:
            seen = mark
            async with self._changed:
                while True:
                    for data in self.messages.get(res_topic, [])[seen:]:
                        if isinstance(data, dict) and data.get("id") == request_id:
                            return data
                    seen = max(seen, len(self.messages.get(res_topic, [])))
                    await self._changed.wait()

        response: dict[str, Any] = await asyncio.wait_for(seek(), timeout)
        return response

    async def request_raw(
        self, device: str, payload: bytes | str, request_id: str, timeout: float = WAIT_S
    ) -> dict[str, Any]:
        """Publish `payload` as it is on the device's `req` topic and wait for its response."""
        mark = self.count(self.topic("res", device))
        await self.send_raw(device, payload)
        return await self.response_to(device, request_id, mark, timeout)

    async def assert_dropped(
        self, device: str, payload: bytes | str, timeout: float = WAIT_S
    ) -> None:
        """Send a payload the hub must drop without answering.

        A valid request sent right after it on the same topic is answered after it (the hub
        takes a device's requests in order), so once that answer is here, nothing else may
        have come on the device's `res` topic.
        """
        res_topic = self.topic("res", device)
        mark = self.count(res_topic)
        await self.send_raw(device, payload)
        probe = await self.request(device, "ticket.status", {"no": "Z999"}, timeout=timeout)
        extra = [r for r in self.since(res_topic, mark) if r != probe]
        assert extra == [], f"the hub answered a payload it must drop: {extra}"

    async def answer_then_probe(
        self, device: str, payload: bytes | str, request_id: str, timeout: float = WAIT_S
    ) -> dict[str, Any] | None:
        """Send `payload`, then a valid request: the answer to `request_id` that came before
        the valid request's answer, or None when none came (the hub answers in order)."""
        res_topic = self.topic("res", device)
        mark = self.count(res_topic)
        await self.send_raw(device, payload)
        await self.request(device, "ticket.status", {"no": "Z999"}, timeout=timeout)
        for response in self.since(res_topic, mark):
            if isinstance(response, dict) and response.get("id") == request_id:
                return response
        return None
