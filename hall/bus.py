"""The MQTT adapter: the one module that imports aiomqtt.

`MqttLink` keeps one connection alive: it reconnects with backoff, resubscribes, calls
`on_connect` (where owners republish retained state), and moves messages through bounded
queues whose overflow is counted and logged, never silent. Publishing never blocks the caller:
messages are sent in order by one sender, many in flight at once, each confirmed by the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiomqtt

log = logging.getLogger("hall.bus")

MessageHandler = Callable[[str, bytes], Awaitable[None]]
BatchHandler = Callable[[list[tuple[str, bytes]]], Awaitable[None]]
ConnectHook = Callable[[], Awaitable[None]]
BATCH_LIMIT = 64
# Nagle's algorithm costs ~20 ms per request/response hop on loopback: always off.
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


class StopLink(Exception):
    """Raised by a message handler to stop the link (and its owner), not just log and go on."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    retain: bool = True


@dataclass
class LinkStats:
    received: int = 0
    published: int = 0
    dropped_incoming: int = 0
    dropped_outgoing: int = 0
    reconnects: int = 0
    publish_failures: int = 0


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    retain: bool
    qos: int


@dataclass
class MqttLink:
    endpoint: Endpoint
    client_id: str
    subscriptions: Sequence[str] = ()
    will: Will | None = None
    on_connect: ConnectHook | None = None
    persistent_session: bool = False  # keep QoS 1 messages queued at the broker while away
    incoming_limit: int = 10_000
    outgoing_limit: int = 50_000
    max_in_flight: int = 500
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self.connected = asyncio.Event()
        self._incoming: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(self.incoming_limit)
        self._outgoing: asyncio.Queue[Outgoing] = asyncio.Queue(self.outgoing_limit)
        self._client: aiomqtt.Client | None = None

    # ----- publishing (never blocks) -------------------------------------------------------
    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> None:
        item = Outgoing(topic, payload, retain, qos)
        if self._client is not None and self._outgoing.empty():
            self._hand_over(self._client, item)  # connected and nothing queued before it
            return
        try:
            self._outgoing.put_nowait(item)
        except asyncio.QueueFull:
            self.stats.dropped_outgoing += 1
            log.warning(
                "outgoing queue full (%d): dropped a message to %s", self.outgoing_limit, topic
            )

    @property
    def backlog(self) -> int:
        return self._outgoing.qsize()

    # ----- running -------------------------------------------------------------------------
    async def run(self, handler: MessageHandler, batch: BatchHandler | None = None) -> None:
        """Deliver messages to `handler` one at a time, in order; runs until cancelled.

        With `batch`, the messages already waiting when one is taken (up to BATCH_LIMIT) are
        delivered together, in order, so their owner can do their I/O together.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self._connection_loop())
            group.create_task(self._dispatch(handler, batch))

    async def _dispatch(self, handler: MessageHandler, batch: BatchHandler | None) -> None:
        while True:
            first = await self._incoming.get()
            if batch is not None and not self._incoming.empty():
                messages = [first]
                while len(messages) < BATCH_LIMIT and not self._incoming.empty():
                    messages.append(self._incoming.get_nowait())
                try:
                    await batch(messages)
                except StopLink:
                    raise
                except Exception:  # bad messages must never stop the link
                    log.exception("batch handler failed on %d messages", len(messages))
                continue
            topic, payload = first
            try:
                await handler(topic, payload)
            except StopLink:
                raise
            except Exception:  # a bad message must never stop the link
                log.exception("handler failed on a message to %s", topic)

    def _make_client(self) -> aiomqtt.Client:
        will = None
        if self.will is not None:
            will = aiomqtt.Will(self.will.topic, self.will.payload, qos=1, retain=self.will.retain)
        tls_context = ssl.create_default_context() if self.endpoint.tls else None
        client = aiomqtt.Client(
            self.endpoint.host,
            self.endpoint.port,
            identifier=self.client_id,
            username=self.endpoint.username,
            password=self.endpoint.password,
            will=will,
            clean_session=not self.persistent_session,
            keepalive=15,
            tls_context=tls_context,
            socket_options=NODELAY,
            max_inflight_messages=self.max_in_flight,
            max_queued_outgoing_messages=self.outgoing_limit,
            timeout=10,
        )
        # Many publishes in flight is the normal case here, not a warning sign.
        client.pending_calls_threshold = self.max_in_flight * 2
        # paho logs every packet it sends and receives at DEBUG; formatting those costs
        # more than the hub's own work per message. Connection trouble still reaches our log.
        if not log.isEnabledFor(logging.DEBUG):
            client._client.disable_logger()
        return client

    async def _connection_loop(self) -> None:
        backoff = 0.2
        while True:
            client = self._make_client()
            try:
                async with client:
                    self._client = client
                    for topic in self.subscriptions:
                        await client.subscribe(topic, qos=1)
                    log.info("connected to %s as %s", self.endpoint, self.client_id)
                    backoff = 0.2
                    self.connected.set()
                    if self.on_connect is not None:
                        await self.on_connect()
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._send(client))
                        group.create_task(self._receive(client))
            except* aiomqtt.MqttError as errors:
                self.stats.reconnects += 1
                log.warning(
                    "MQTT %s lost (%s); reconnecting in %.1fs",
                    self.endpoint,
                    errors.exceptions[0],
                    backoff,
                )
            finally:
                self._client = None
                self.connected.clear()
                _retrieve_disconnect(client)
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 10.0)

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            self.stats.received += 1
            payload = message.payload
            data = payload if isinstance(payload, bytes) else str(payload or "").encode()
            try:
                self._incoming.put_nowait((str(message.topic), data))
            except asyncio.QueueFull:
                self.stats.dropped_incoming += 1
                log.warning(
                    "incoming queue full (%d): dropped a message on %s",
                    self.incoming_limit,
                    message.topic,
                )

    async def _send(self, client: aiomqtt.Client) -> None:
        """Hand over what was queued while disconnected, in order."""
        while True:
            item = await self._outgoing.get()
            self._hand_over(client, item)

    def _hand_over(self, client: aiomqtt.Client, item: Outgoing) -> None:
        """Give a message to the MQTT client's own queue, without waiting for the broker.

        aiomqtt's `publish()` waits for each QoS 1 acknowledgement (a task and a timer per
        message); the hub needs none of that per message: paho keeps QoS 1 messages in flight
        and resends them itself, and publishing through it keeps the order of the calls.
        """
        info = client._client.publish(item.topic, item.payload, item.qos, item.retain)
        if info.rc == 0:
            self.stats.published += 1
        else:
            self.stats.publish_failures += 1
            log.warning("publish to %s failed (paho code %s)", item.topic, info.rc)

    async def publish_now(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish and wait for the broker's acknowledgement (used at shutdown)."""
        if self._client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await self._client.publish(topic, payload, qos=1, retain=retain, timeout=3)


def _retrieve_disconnect(client: aiomqtt.Client) -> None:
    """Mark aiomqtt's disconnection future as seen, so asyncio doesn't report it as lost."""
    disconnected = getattr(client, "_disconnected", None)
    if isinstance(disconnected, asyncio.Future) and disconnected.done():
        with contextlib.suppress(asyncio.CancelledError):
            disconnected.exception()


async def publish_once(
    endpoint: Endpoint, client_id: str, topic: str, payload: bytes, *, retain: bool = False
) -> None:
    """Connect, publish one message, disconnect: for goodbyes after the main link is gone."""
    async with aiomqtt.Client(
        endpoint.host,
        endpoint.port,
        identifier=client_id,
        username=endpoint.username,
        password=endpoint.password,
        tls_context=ssl.create_default_context() if endpoint.tls else None,
        socket_options=NODELAY,
        timeout=5,
    ) as client:
        await client.publish(topic, payload, qos=1, retain=retain, timeout=5)
