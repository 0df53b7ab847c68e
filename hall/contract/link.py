"""The MQTT adapter: the one module that imports aiomqtt.

`MqttLink` keeps one connection alive: it reconnects with backoff, resubscribes, calls
`on_connect` (where owners republish retained state), and moves messages through bounded
queues whose overflow is counted and logged, never silent. Publishing never blocks the caller:
messages are sent in the order they were queued, up to `max_in_flight` at once, each confirmed
by the broker. aiomqtt's public API is used throughout, but for publishing: the messages are
handed to its paho client and their acknowledgements followed here (`MqttLink._pump`). Under
MQTT 3.1.1 a QoS 1 message is queued on paho's client as a packet made here (`QuickSend`), and
the packets waiting are written together: a request's several messages leave in one write.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hall.contract.backoff import Backoff
from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import Fenced

log = logging.getLogger("hall.contract.link")
# paho's result codes for "no connection" and "connection lost": a message that failed with
# one of these is sent again on the next connection; any other code refuses the message itself.
_CONNECTION_GONE = frozenset({4, 7})
# aiomqtt's and paho's own log: paho logs every packet at DEBUG, which costs more than the hub's
# own work per message, so it stays at WARNING unless the link itself is being debugged.
mqtt_log = logging.getLogger("hall.contract.link.mqtt")

MessageHandler = Callable[[str, bytes], Awaitable[None]]
BatchHandler = Callable[[list[tuple[str, bytes]]], Awaitable[None]]
ConnectHook = Callable[[], Awaitable[None]]
# Asked about each message the broker delivers with its retain flag set (a copy it kept, sent
# because of a subscription): True delivers it as usual, False drops it.
RetainedFilter = Callable[[str, bytes], bool]
BATCH_LIMIT = 64
# Nagle's algorithm costs ~20 ms per request/response hop on loopback: always off.
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
# Reconnecting: the first wait within 0.2 s, the ceiling doubling up to 10 s (`backoff.py`).
RECONNECT_BASE_S = 0.2
RECONNECT_CAP_S = 10.0


# What `quick_pubacks` reaches into: paho 2.x's handling of a received PUBACK.
_PAHO_PUBACK_PARTS = ("_protocol", "_in_packet", "_out_message_mutex", "_out_messages")


def quick_pubacks(paho: Any, acked: Callable[[int], bool] | None = None) -> bool:
    """Let paho's client handle a PUBACK without decoding it into objects it never needs.

    paho makes a new ReasonCode and Properties for every PUBACK, even under MQTT 3.1.1 where
    a PUBACK is only a packet id: with three to seven QoS 1 messages per request that was
    about a tenth of the hub's time at full load. Under 3.1.1, a well-formed PUBACK of a
    message the client is waiting on is handed on with one shared "success" pair; anything
    else (a PUBCOMP, a malformed packet, MQTT 5) goes to paho's own handler. Installed only
    when the client has what it relies on (paho 2.x); True when it was. `acked` is offered
    every PUBACK's packet id first: True when it was one of its own (`QuickSend`)."""
    if not all(hasattr(paho, part) for part in _PAHO_PUBACK_PARTS) or not callable(
        getattr(paho, "_do_on_publish", None)
    ):
        return False
    if paho._protocol != MQTTProtocolVersion.MQTTv311:
        return False
    own = paho._handle_pubackcomp
    success = ReasonCode(PacketTypes.PUBACK)
    no_properties = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]

    def handle(cmd: str) -> MQTTErrorCode:
        packet = paho._in_packet["packet"]
        if cmd != "PUBACK" or len(packet) != 2:
            return own(cmd)  # type: ignore[no-any-return]
        (mid,) = struct.unpack("!H", packet)
        if acked is not None and acked(mid):
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        with paho._out_message_mutex:
            if mid in paho._out_messages:
                return paho._do_on_publish(mid, success, no_properties)  # type: ignore[no-any-return]
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    paho._handle_pubackcomp = handle
    return True


# What `QuickSend` reaches into: paho 2.x's queue of packets to write, and its message ids.
_PAHO_SEND_PARTS = ("_out_packet", "_sock", "_mid_generate", "_call_socket_register_write")
_PUBLISH = 0x30
_DISCONNECT = 0xE0
MERGE_LIMIT = 256 * 1024  # bytes written together at most
_MAX_PAYLOAD = 268_435_455 - 65_535 - 4  # what MQTT's remaining length can carry, at least
_MAX_TOPIC_CHARS = 65_535 // 4  # a topic's length is two bytes; UTF-8 takes up to 4 a character


def publish_packet(topic: bytes, payload: bytes, retain: bool, mid: int) -> bytes:
    """An MQTT 3.1.1 PUBLISH packet at QoS 1."""
    remaining = 2 + len(topic) + 2 + len(payload)
    header = bytearray((_PUBLISH | 0x02 | int(retain),))
    while True:  # the remaining length, 7 bits a byte, least significant first
        remaining, digit = divmod(remaining, 128)
        header.append(digit | 0x80 if remaining else digit)
        if not remaining:
            break
    return b"".join((header, struct.pack("!H", len(topic)), topic, struct.pack("!H", mid), payload))


class QuickSend:
    """QoS 1 messages queued on paho's client as packets made here, and written together.

    paho's `publish` makes a message object, a message-info object with its own lock and two
    log records for each message, and writes each packet with its own system call; a call at
    a window sends seven messages. Here a message is one packet appended to the client's
    queue, its id from the client's own counter (so never one of paho's ids in use), and the
    packets waiting leave in one write (`_merge`): what paho does when a packet has been
    written matters only for a QoS 0 PUBLISH and a DISCONNECT, which are never written
    together with others. The broker's PUBACK comes back through `quick_pubacks`.

    Whatever is queued (these packets, paho's own PUBACKs) is written at the loop's next turn
    (`_write_soon`), where aiomqtt would first have the loop watch the socket, through the
    loop's wake-up pipe, and stop watching it after, through the pipe again. Only when the
    socket cannot take it all is the rest left to aiomqtt's watch. Installed once connected
    (paho asks for writes from another thread while it connects), on a paho 2.x client
    speaking MQTT 3.1.1; `failed` is told an error of a write (the connection is gone)."""

    def __init__(
        self, paho: Any, loop: asyncio.AbstractEventLoop, failed: Callable[[Exception], None]
    ) -> None:
        self._paho = paho
        self._loop = loop
        self._failed = failed
        self._scheduled = False  # a write at the loop's next turn is due
        self._writing = False  # inside that write
        own_write = paho._packet_write
        self._watch = paho._call_socket_register_write  # aiomqtt's way, for what is left

        def write() -> Any:
            _merge(paho._out_packet)
            return own_write()

        paho._packet_write = write
        paho._call_socket_register_write = self._write_soon

    @classmethod
    def install(
        cls, paho: Any, loop: asyncio.AbstractEventLoop, failed: Callable[[Exception], None]
    ) -> QuickSend | None:
        parts = (*_PAHO_SEND_PARTS, "_packet_write", "loop_write", "want_write")
        if not all(hasattr(paho, part) for part in parts):
            return None
        if getattr(paho, "_protocol", None) != MQTTProtocolVersion.MQTTv311:
            return None
        return cls(paho, loop, failed)

    @staticmethod
    def takes(topic: str, payload: bytes) -> bool:
        """Whether a message can go this way (else paho's `publish` says what is wrong)."""
        return (
            0 < len(topic) <= _MAX_TOPIC_CHARS
            and not ("+" in topic or "#" in topic)
            and len(payload) < _MAX_PAYLOAD
        )

    def publish(self, topic: str, payload: bytes, retain: bool) -> int | None:
        """Queue a QoS 1 message: its packet id, or None when there is no connection."""
        paho = self._paho
        if paho._sock is None:
            return None
        mid: int = paho._mid_generate()
        packet = publish_packet(topic.encode(), payload, retain, mid)
        paho._out_packet.append(
            {
                "command": _PUBLISH | 0x02 | int(retain),
                "mid": mid,
                "qos": 1,
                "pos": 0,
                "to_process": len(packet),
                "packet": packet,
                "info": None,
            }
        )
        return mid

    def flush(self) -> None:
        """Have the packets queued written at the loop's next turn."""
        self._write_soon()

    def _write_soon(self) -> None:
        if self._writing:  # the socket took only part: aiomqtt watches it for the rest
            self._watch()
            return
        if self._scheduled or self._paho._sock is None:
            return
        if getattr(self._paho, "_registered_write", False):
            return  # aiomqtt watches the socket already: it writes when it can
        self._scheduled = True
        self._loop.call_soon(self._write)

    def _write(self) -> None:
        self._scheduled = False
        if self._paho._sock is None:
            return
        self._writing = True
        try:
            self._paho.loop_write()
        except Exception as exc:  # a broken pipe: the connection is gone
            self._failed(exc)
        finally:
            self._writing = False


READ_CHUNK = 65_536  # bytes asked of the socket at once
READ_BURST = 512  # packets read in one turn of the loop at most; the rest at the next


class QuickRead:
    """paho's reading, with the socket read a chunk at a time and every packet in it taken.

    paho reads a packet's first byte, its length and its body with a system call each, and,
    reading in aiomqtt's loop, only as many packets per turn as it has messages of its own
    in flight: with `QuickSend`'s messages not among them, one. A call's seven PUBACKs then
    took seven turns of the loop. Here paho's reads are served from one read of the socket,
    and a turn reads every packet the socket holds, up to READ_BURST (what is left is read
    at the next turn). paho decodes and handles every packet itself but the PUBACKs of
    `QuickSend`'s messages: `acked` is offered each PUBACK found whole at the start of a
    packet (True: it was one of its messages, and taken), as `quick_pubacks` would."""

    def __init__(
        self,
        paho: Any,
        loop: asyncio.AbstractEventLoop,
        failed: Callable[[Exception], None],
        acked: Callable[[int], bool] | None = None,
    ) -> None:
        self._paho = paho
        self._loop = loop
        self._failed = failed
        self._acked = acked
        self._chunk = b""  # the last read of the socket
        self._taken = 0  # how much of it paho has had
        self._own_recv = paho._sock_recv
        paho._sock_recv = self._recv
        paho.loop_read = self.loop_read

    @classmethod
    def install(
        cls,
        paho: Any,
        loop: asyncio.AbstractEventLoop,
        failed: Callable[[Exception], None],
        acked: Callable[[int], bool] | None = None,
    ) -> QuickRead | None:
        parts = ("_sock_recv", "_packet_read", "_loop_rc_handle", "_sock", "loop_read")
        if not all(hasattr(paho, part) for part in parts):
            return None
        if acked is not None and not all(
            hasattr(paho, part) for part in ("_in_packet", "_msgtime_mutex", "_protocol")
        ):
            acked = None
        if getattr(paho, "_protocol", None) != MQTTProtocolVersion.MQTTv311:
            acked = None  # an MQTT 5 PUBACK may carry more than its packet id
        return cls(paho, loop, failed, acked)

    def _recv(self, size: int) -> bytes:
        if self._taken >= len(self._chunk):
            chunk: bytes = self._own_recv(READ_CHUNK)  # BlockingIOError when there is none
            if not chunk:
                return chunk  # the connection closed
            self._chunk, self._taken = chunk, 0
        start = self._taken
        self._taken = min(start + size, len(self._chunk))
        return self._chunk[start : self._taken]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        paho = self._paho
        for _ in range(READ_BURST):
            if paho._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            if self._acked is not None and self._took_puback():
                continue
            rc = paho._packet_read()
            if rc > 0:
                return paho._loop_rc_handle(rc)  # type: ignore[no-any-return]
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:  # the socket is empty, and so is the chunk
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        if self._taken < len(self._chunk):  # read already: the socket will not say so again
            self._loop.call_soon(self._read_on)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _took_puback(self) -> bool:
        """A PUBACK of one of `QuickSend`'s messages next in the chunk, taken: True."""
        chunk, at = self._chunk, self._taken
        if len(chunk) - at < 4 or chunk[at] != 0x40 or chunk[at + 1] != 2:
            return False
        paho = self._paho
        if paho._in_packet["command"] != 0:  # paho is inside a packet of its own
            return False
        assert self._acked is not None
        if not self._acked((chunk[at + 2] << 8) | chunk[at + 3]):
            return False
        self._taken = at + 4
        with paho._msgtime_mutex:  # as paho does for every packet: the broker is alive
            paho._last_bytes_received = time.monotonic()
        return True

    def _read_on(self) -> None:
        try:
            self.loop_read()
        except Exception as exc:  # as aiomqtt's own reading: the connection is gone
            self._failed(exc)


def _merge(out: Any) -> None:
    """The packets at the head of paho's queue as one, where paho needs nothing per packet."""
    if len(out) < 2:
        return
    taken: list[dict[str, Any]] = []
    size = 0
    while out and size < MERGE_LIMIT:
        packet = out[0]
        command = packet["command"] & 0xF0
        if command == _DISCONNECT or (command == _PUBLISH and packet["qos"] == 0):
            break
        taken.append(out.popleft())
        size += packet["to_process"]
    if len(taken) == 1:
        out.appendleft(taken[0])
    elif taken:
        blob = b"".join(bytes(p["packet"][p["pos"] :]) for p in taken)
        out.appendleft(
            {
                "command": 0,
                "mid": 0,
                "qos": 0,
                "pos": 0,
                "to_process": len(blob),
                "packet": blob,
                "info": None,
            }
        )


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
    seq: int = 0  # the order it was queued in: messages sent again keep their order


@dataclass
class MqttLink:
    endpoint: Endpoint
    client_id: str
    subscriptions: Sequence[str] = ()
    will: Will | None = None
    on_connect: ConnectHook | None = None
    persistent_session: bool = False  # keep QoS 1 messages queued at the broker while away
    keep_retained: RetainedFilter | None = None  # None: retained messages are delivered
    # Published, and acknowledged, before a cancelled link disconnects: a goodbye sent on the
    # link's own login, since a broker that binds client ids to user names would let a second
    # connection of the same login end (and, with a clean session, erase) this one's session.
    farewell: Will | None = None
    incoming_limit: int = 10_000
    outgoing_limit: int = 50_000
    max_in_flight: int = 500
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self.connected = asyncio.Event()
        self._incoming: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(self.incoming_limit)
        self._outgoing: asyncio.Queue[Outgoing] = asyncio.Queue(self.outgoing_limit)
        # Messages taken by a sender whose connection ended before the broker acknowledged
        # them (by their `seq`): sent first on the next connection, so nothing queued is lost
        # when the broker restarts or the link is cut (the broker may see one twice).
        self._unacked: list[tuple[int, Outgoing]] = []
        self._queued = 0
        self._client: aiomqtt.Client | None = None
        # Messages received while a connection's on_connect hook runs: delivered after it, so
        # that no request is handled before the owner has republished its retained state.
        self._held: list[tuple[str, bytes]] | None = None
        self.farewell_sent = False
        # The connection's messages waiting for the broker's PUBACK, by packet id (`_pump`).
        self._in_flight: dict[int, Outgoing] = {}
        self._room = asyncio.Event()
        self._quick: QuickSend | None = None

    # ----- publishing (never blocks) -------------------------------------------------------
    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> None:
        try:
            self._queued += 1
            self._outgoing.put_nowait(Outgoing(topic, payload, retain, qos, self._queued))
        except asyncio.QueueFull:
            self.stats.dropped_outgoing += 1
            log.warning(
                "outgoing queue full (%d): dropped a message to %s", self.outgoing_limit, topic
            )

    @property
    def backlog(self) -> int:
        return self._outgoing.qsize() + len(self._unacked)

    # ----- running -------------------------------------------------------------------------
    async def run(self, handler: MessageHandler, batch: BatchHandler | None = None) -> None:
        """Deliver messages to `handler` one at a time, in order; runs until cancelled, or
        until a handler raises `Fenced` (every other error is logged and the link goes on).

        With `batch`, the messages already waiting when one is taken (up to BATCH_LIMIT) are
        delivered together, in order, so their owner can do their I/O together.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self._connection_loop())
            group.create_task(self._dispatch(handler, batch))

    async def _dispatch(self, handler: MessageHandler, batch: BatchHandler | None) -> None:
        while True:
            # A handler's library call may have swallowed this task's cancel (see
            # `hall.contract.cancellation`): the link must stop all the same.
            raise_if_cancel_lost()
            first = await self._incoming.get()
            if batch is not None and not self._incoming.empty():
                messages = [first]
                while len(messages) < BATCH_LIMIT and not self._incoming.empty():
                    messages.append(self._incoming.get_nowait())
                try:
                    await batch(messages)
                except Fenced:  # a newer hub took the hall: the link stops, saying nothing
                    self.farewell = None
                    raise
                except Exception:  # bad messages must never stop the link
                    log.exception("batch handler failed on %d messages", len(messages))
                continue
            topic, payload = first
            try:
                await handler(topic, payload)
            except Fenced:
                self.farewell = None  # the hall's status is the newer owner's now
                raise
            except Exception:  # a bad message must never stop the link
                log.exception("handler failed on a message to %s", topic)

    def _make_client(self) -> aiomqtt.Client:
        mqtt_log.setLevel(logging.NOTSET if log.isEnabledFor(logging.DEBUG) else logging.WARNING)
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
            logger=mqtt_log,
        )
        # Many publishes in flight is the normal case here, not a warning sign.
        client.pending_calls_threshold = self.max_in_flight * 2
        quick_pubacks(client._client, self._acked)  # private, see `_pump`
        return client

    def _acked(self, mid: int) -> bool:
        """A PUBACK of one of `QuickSend`'s messages: True when it was one."""
        if mid not in self._in_flight or self._client is None:
            return False
        if mid in self._client._client._out_messages:
            return False  # paho's own message: it follows it (`on_publish` in `_pump`)
        del self._in_flight[mid]
        self.stats.published += 1
        self._room.set()
        return True

    async def _connection_loop(self) -> None:
        backoff = Backoff(RECONNECT_BASE_S, RECONNECT_CAP_S)
        while True:
            client = self._make_client()
            try:
                async with client:
                    try:
                        await self._session(client, backoff)
                    except asyncio.CancelledError:
                        await self._say_farewell(client)
                        raise
            except* aiomqtt.MqttError as errors:
                self.stats.reconnects += 1
                delay = backoff.next()
                log.warning(
                    "MQTT %s lost (%s); reconnecting in %.1fs",
                    self.endpoint,
                    errors.exceptions[0],
                    delay,
                )
            else:
                delay = backoff.next()  # the session ended without an error: still wait
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(delay)

    async def _session(self, client: aiomqtt.Client, backoff: Backoff) -> None:
        async with asyncio.TaskGroup() as session:
            self._client = client
            paho: Any = client._client  # private, see `_pump` and `_on_paho_message`
            paho.on_message = self._on_paho_message
            loop = asyncio.get_running_loop()
            self._quick = QuickSend.install(paho, loop, lambda exc: _link_failed(client, exc))
            QuickRead.install(paho, loop, lambda exc: _link_failed(client, exc), self._acked)
            # The receiver runs from the start: a lost connection ends its message
            # stream with an MqttError, which ends this session even mid-subscribe.
            self._held = []
            session.create_task(self._receive(client))
            for topic in self.subscriptions:
                await client.subscribe(topic, qos=1)
            log.info("connected to %s as %s", self.endpoint, self.client_id)
            backoff.reset()
            session.create_task(self._pump(client))
            self.connected.set()
            if self.on_connect is not None:
                await self.on_connect()
            self._deliver_held()

    async def _say_farewell(self, client: aiomqtt.Client) -> None:
        if self.farewell is None or not self.connected.is_set():
            return
        farewell = self.farewell
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await client.publish(
                farewell.topic, farewell.payload, qos=1, retain=farewell.retain, timeout=3
            )
            self.farewell_sent = True

    async def _receive(self, client: aiomqtt.Client) -> None:
        """Ends (with an MqttError) when the connection is lost. The messages themselves come
        through `_on_paho_message`, so this stream is empty but for a client that kept
        aiomqtt's own callback."""
        async for message in client.messages:
            payload = message.payload
            data = payload if isinstance(payload, bytes) else str(payload or "").encode()
            self._arrived(str(message.topic), data, message.retain)

    def _on_paho_message(self, _paho: Any, _userdata: Any, message: Any) -> None:
        """paho's message, taken in as it is read: aiomqtt would make a message object of its
        own and pass it through a queue and a task of its own to `_receive`, which cost as
        much as the rest of taking it in."""
        try:
            topic = message.topic
        except UnicodeDecodeError:  # not a topic the broker should have let through
            log.warning("dropped a message whose topic is not UTF-8")
            return
        self._arrived(topic, bytes(message.payload), bool(message.retain))

    def _arrived(self, topic: str, data: bytes, retain: bool) -> None:
        self.stats.received += 1
        if retain and self.keep_retained is not None:
            if not self.keep_retained(topic, data):
                return
        if self._held is None:
            self._take_in(topic, data)
        elif len(self._held) < self.incoming_limit:
            self._held.append((topic, data))
        else:
            self._drop_incoming(topic)

    def _deliver_held(self) -> None:
        held, self._held = self._held or [], None
        for topic, data in held:
            self._take_in(topic, data)

    def _take_in(self, topic: str, data: bytes) -> None:
        try:
            self._incoming.put_nowait((topic, data))
        except asyncio.QueueFull:
            self._drop_incoming(topic)

    def _drop_incoming(self, topic: str) -> None:
        self.stats.dropped_incoming += 1
        log.warning("incoming queue full (%d): dropped a message on %s", self.incoming_limit, topic)

    async def _pump(self, client: aiomqtt.Client) -> None:
        """Hand the queued messages to the client in order, up to `max_in_flight` waiting for
        the broker's acknowledgement at once.

        The ones the last connection left unacknowledged go first, then the queue. Each is
        given to paho's client directly and followed here by its message id until the broker
        acknowledges it: aiomqtt's `publish` waits on an event of its own per message and
        scans every pending call each time, which cost more than the rest of a publish.
        An acknowledgement that never comes ends with the connection; what is then still
        unacknowledged is kept for the next one (the broker may see it twice). A message the
        client refuses for itself (too large, say) is dropped and counted.
        """
        paho = client._client  # private, see above (aiomqtt < 3 is pinned)
        quick = self._quick
        in_flight: dict[int, Outgoing] = {}
        self._in_flight = in_flight
        room = self._room
        room.set()
        aiomqtt_on_publish = paho.on_publish

        def on_publish(*args: Any) -> None:
            item = in_flight.pop(args[2], None)  # (client, userdata, mid, reason, properties)
            if item is None:  # one of aiomqtt's own publishes (the farewell, `publish_now`)
                if aiomqtt_on_publish is not None:
                    aiomqtt_on_publish(*args)
                return
            self.stats.published += 1
            room.set()

        def send(item: Outgoing) -> None:
            if quick is not None and item.qos == 1 and quick.takes(item.topic, item.payload):
                mid = quick.publish(item.topic, item.payload, item.retain)
                if mid is None:
                    heapq.heappush(self._unacked, (item.seq, item))
                    raise aiomqtt.MqttCodeError(MQTTErrorCode.MQTT_ERR_NO_CONN, "no connection")
                in_flight[mid] = item
                return
            info = paho.publish(item.topic, item.payload, item.qos, item.retain)
            if info.rc in _CONNECTION_GONE:
                heapq.heappush(self._unacked, (item.seq, item))
                raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
            if info.rc != 0:
                self.stats.publish_failures += 1
                log.warning("publish to %s refused (rc %s): dropped", item.topic, info.rc)
            elif item.qos == 0:
                self.stats.published += 1
            else:
                in_flight[info.mid] = item

        paho.on_publish = on_publish
        try:
            while True:
                if len(in_flight) >= self.max_in_flight:
                    room.clear()
                    await room.wait()
                    continue
                if self._unacked:
                    item = heapq.heappop(self._unacked)[1]
                else:
                    item = await self._outgoing.get()
                send(item)
                # Every message queued meanwhile goes too, before the socket is written.
                while len(in_flight) < self.max_in_flight:
                    if self._unacked:
                        item = heapq.heappop(self._unacked)[1]
                    elif not self._outgoing.empty():
                        item = self._outgoing.get_nowait()
                    else:
                        break
                    send(item)
                if quick is not None:
                    quick.flush()
        finally:
            paho.on_publish = aiomqtt_on_publish
            for item in in_flight.values():
                heapq.heappush(self._unacked, (item.seq, item))
            in_flight.clear()

    async def publish_now(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish and wait for the broker's acknowledgement (used at shutdown)."""
        if self._client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await self._client.publish(topic, payload, qos=1, retain=retain, timeout=3)


def _link_failed(client: aiomqtt.Client, exc: Exception) -> None:
    """A read or write on the connection failed: it ends, as when aiomqtt's own fails."""
    disconnected = getattr(client, "_disconnected", None)
    if isinstance(disconnected, asyncio.Future) and not disconnected.done():
        disconnected.set_exception(exc)
    else:
        log.warning("MQTT connection failed: %s", exc)


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
