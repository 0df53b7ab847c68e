"""Outside clients and load drivers.

The clients use aiomqtt directly, as a vendor's device would (they know only the device
contract), with TCP_NODELAY on their sockets. A `Device` publishes requests on its own `req`
topic and matches the responses on its `res` topic by request id. `run_paced` sends on a
schedule whatever the answers do (open loop); `run_closed` keeps a fixed number of requests
outstanding (closed loop). Latencies are taken with `time.perf_counter()`: from just before the
request is handed to the client to the moment its answer is taken from the client's queue.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import math
import secrets
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiomqtt

NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
REPLY_TIMEOUT_S = 10.0

# (topic, payload, retained, received at) for messages other than the device's responses.
MessageHook = Callable[[str, bytes, bool, float], None]


def mqtt_client(
    host: str,
    port: int,
    identifier: str,
    *,
    username: str | None = None,
    password: str | None = None,
    will: aiomqtt.Will | None = None,
    timeout: float = 10,
) -> aiomqtt.Client:
    """An aiomqtt client as the benchmarks' devices use it (a login and a will when given)."""
    client = aiomqtt.Client(
        host,
        port,
        identifier=identifier,
        username=username,
        password=password,
        will=will,
        socket_options=NODELAY,
        clean_session=True,
        keepalive=30,
        timeout=timeout,
        max_inflight_messages=1000,
        max_queued_outgoing_messages=100_000,
    )
    # Hundreds of publishes awaiting their acknowledgement is the point here, not a leak.
    client.pending_calls_threshold = 100_000
    return client


@dataclass(frozen=True)
class Timed:
    """One measured request: when it was sent, when its answer arrived, whether it was right."""

    sent: float
    received: float
    ok: bool

    @property
    def latency(self) -> float:
        return self.received - self.sent


@dataclass(frozen=True)
class Reply:
    sent: float
    received: float
    data: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.data.get("ok"))

    @property
    def result(self) -> dict[str, Any]:
        result = self.data.get("result")
        return result if isinstance(result, dict) else {}

    def timed(self) -> Timed:
        return Timed(self.sent, self.received, self.ok)


class Device:
    """One device's MQTT connection: requests out on `dev/<id>/req`, answers in on `res`."""

    def __init__(
        self,
        host: str,
        port: int,
        hall_id: str,
        device_id: str,
        *,
        watch: Sequence[str] = (),
        on_message: MessageHook | None = None,
    ) -> None:
        self.device_id = device_id
        root = f"hall/{hall_id}/dev/{device_id}"
        self.req_topic = f"{root}/req"
        self.res_topic = f"{root}/res"
        self.watch = tuple(watch)
        self.on_message = on_message
        self.client = mqtt_client(host, port, f"bench-{hall_id}-{device_id}")
        self._prefix = secrets.token_hex(4)
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Device:
        await self.client.__aenter__()
        await self.client.subscribe(self.res_topic, qos=1)
        for topic in self.watch:
            await self.client.subscribe(topic, qos=1)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
        await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        async for message in self.client.messages:
            received = time.perf_counter()
            topic = message.topic.value
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if topic == self.res_topic:
                try:
                    data = json.loads(payload)
                except ValueError:
                    continue
                waiter = self._waiting.pop(str(data.get("id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result((received, data))
            elif self.on_message is not None:
                self.on_message(topic, payload, bool(message.retain), received)

    async def request(self, op: str, args: dict[str, Any] | None = None) -> Reply:
        """Send one request and wait for its answer; TimeoutError after REPLY_TIMEOUT_S."""
        request_id = f"{self._prefix}-{next(self._ids)}"
        waiter: asyncio.Future[tuple[float, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting[request_id] = waiter
        body = json.dumps({"id": request_id, "op": op, "args": args or {}}).encode()
        sent = time.perf_counter()
        try:
            await self.client.publish(self.req_topic, body, qos=1, timeout=REPLY_TIMEOUT_S)
            received, data = await asyncio.wait_for(waiter, REPLY_TIMEOUT_S)
        finally:
            self._waiting.pop(request_id, None)
        return Reply(sent, received, data)


# ----- statistics ---------------------------------------------------------------------------
@dataclass
class Sample:
    """What one load run measured."""

    label: str
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    errors: int = 0  # answered, but refused or wrong
    lost: int = 0  # no answer in time
    elapsed: float = 0.0  # first send to last answer, seconds
    offered: float | None = None  # the schedule's rate (open loop)
    send_lag_p99: float | None = None  # how late the schedule's sends were (open loop), seconds
    cpu: dict[str, float] = field(default_factory=dict)  # process -> cores used while measuring
    cpu_wall: float = 0.0  # seconds over which `cpu` was measured
    server: str = ""  # the process under test, a key of `cpu`
    note: str = ""

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in seconds (NaN with no data)."""
        return percentile(self.latencies, p)

    @property
    def server_cpu_per_request(self) -> float:
        """CPU seconds the process under test spent per answered request (NaN if unknown)."""
        if self.server not in self.cpu or not self.count:
            return math.nan
        return self.cpu[self.server] * self.cpu_wall / self.count


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(label: str, results: Sequence[Timed | BaseException], **extra: Any) -> Sample:
    sample = Sample(label, **extra)
    timed = [r for r in results if isinstance(r, Timed)]
    sample.lost = sum(1 for r in results if isinstance(r, TimeoutError))
    failures = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, TimeoutError)
    ]
    if failures:
        raise failures[0]
    sample.latencies = [t.latency for t in timed]
    sample.errors = sum(1 for t in timed if not t.ok)
    if timed:
        sample.elapsed = max(t.received for t in timed) - min(t.sent for t in timed)
    return sample


# ----- drivers ------------------------------------------------------------------------------
OneRequest = Callable[[int], Coroutine[Any, Any, Timed]]


async def run_paced(label: str, count: int, rate: float, one: OneRequest) -> Sample:
    """Open loop: start request i at i / rate seconds, whether or not earlier ones answered.

    The clients' own garbage collector is held off meanwhile: a full collection of the
    benchmark's process (tens of milliseconds with its records of every request) would show
    as the server's latency."""
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Timed]] = []
    lags: list[float] = []
    gc.collect()
    gc.disable()
    try:
        start = loop.time() + 0.02
        for i in range(count):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            lags.append(max(0.0, loop.time() - due))
            tasks.append(asyncio.create_task(one(i)))
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        gc.enable()
    return summarise(label, results, offered=rate, send_lag_p99=percentile(lags, 99))


async def run_closed(label: str, count: int, concurrency: int, one: OneRequest) -> Sample:
    """Closed loop: `concurrency` requests outstanding until `count` have been answered."""
    numbers = itertools.count()
    results: list[Timed | BaseException] = []

    async def worker() -> None:
        while (i := next(numbers)) < count:
            try:
                results.append(await one(i))
            except TimeoutError as exc:
                results.append(exc)

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return summarise(label, results)
