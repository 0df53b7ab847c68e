"""The MQTT adapter: the one module that imports aiomqtt.

`MqttLink` keeps one connection alive: it reconnects with backoff, resubscribes, calls
`on_connect` (where owners republish retained state), and moves messages through bounded
queues whose overflow is counted and logged, never silent. Publishing never blocks the caller:
messages are sent in the order they were queued, up to `max_in_flight` at once, each confirmed
by the broker. aiomqtt's public API is used throughout, but for publishing and receiving: the
messages are handed to its paho client and their acknowledgements followed here
(`MqttLink._pump`), the packets waiting in paho's queue are written with one system call
(`merged_writes`) at the event loop's turn (`prompt_writes`), paho hands each message it
reads straight to the link (`MqttLink._receive`), and leaves no garbage for the collector
behind it (`no_garbage_per_message`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import secrets
import socket
import ssl
import struct
import threading
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
from hall.contract.log_every import LogEvery

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
# Asked about every message before it is queued: False drops it (its owner counts why).
Admit = Callable[[str], bool]
BATCH_LIMIT = 64
# A message the broker has not acknowledged this long, with no room left for more in flight,
# means the connection is no good: it is dropped and the messages are sent on the next one.
ACK_TIMEOUT_S = 30.0
# With a `probe_topic`, a QoS 1 message is sent to it this often, to come back through the
# broker; one not back this long means the broker has stopped delivering to this connection
# (Mosquitto 2.0.11 has been seen to, for good, after a flood of QoS 0 messages from a device,
# while still delivering QoS 0 ones): the connection is dropped and made again.
PROBE_INTERVAL_S = 2.0
DELIVERY_TIMEOUT_S = 10.0
# A probe out this long already says the broker is not delivering (`delivering()`, which the
# hub's /healthz reports), before the connection is given up at DELIVERY_TIMEOUT_S: a
# probe's round trip through a broker that delivers takes milliseconds.
DELIVERY_SUSPECT_S = 3.0
DROP_LOG_INTERVAL_S = 10.0  # a full incoming queue is logged at most this often, with a count
# Nagle's algorithm costs ~20 ms per request/response hop on loopback: always off.
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
# Reconnecting: the first wait within 0.2 s, the ceiling doubling up to 10 s (`backoff.py`).
RECONNECT_BASE_S = 0.2
RECONNECT_CAP_S = 10.0
# A message this large is said in the log (once a topic): many brokers are set to refuse
# packets over 64 KiB, and end the connection of the client that sends one.
LARGE_MESSAGE_BYTES = 65_536 - 1_024
CONNECTION_LASTED_S = 10.0  # a connection up this long resets the reconnection backoff


# What `quick_pubacks` reaches into: paho 2.x's handling of a received PUBACK.
_PAHO_PUBACK_PARTS = ("_protocol", "_in_packet", "_out_message_mutex", "_out_messages")


def quick_pubacks(paho: Any) -> bool:
    """Let paho's client handle a PUBACK without decoding it into objects it never needs.

    paho makes a new ReasonCode and Properties for every PUBACK, even under MQTT 3.1.1 where
    a PUBACK is only a packet id: with three to seven QoS 1 messages per request that was
    about a tenth of the hub's time at full load. Under 3.1.1, a well-formed PUBACK of a
    message the client is waiting on is handed on with one shared "success" pair; anything
    else (a PUBCOMP, a malformed packet, MQTT 5) goes to paho's own handler. Installed only
    when the client has what it relies on (paho 2.x); True when it was."""
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
        with paho._out_message_mutex:
            if mid in paho._out_messages:
                return paho._do_on_publish(mid, success, no_properties)  # type: ignore[no-any-return]
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    paho._handle_pubackcomp = handle
    return True


def no_garbage_per_message(paho: Any) -> bool:
    """Have paho's client hand on a message without making a reference cycle for it.

    For every message it receives, paho looks for callbacks added for its topic with a
    matcher whose search is a function calling itself through its own closure: six objects
    in a cycle that only the garbage collector frees. At 500 requests a second they were
    nearly all a young-generation collection found (7,638 objects in one), and freeing them
    held the event loop 9-15 ms each time, the slowest calls' wait. The link adds no such
    callbacks: while the matcher holds none, the search is skipped (it would find nothing).
    Installed only when the client has what it relies on (paho 2.x); True when it was."""
    matcher: Any = getattr(paho, "_on_message_filtered", None)
    root = getattr(matcher, "_root", None)
    if root is None or not all(hasattr(root, part) for part in ("_children", "_content")):
        return False
    own_search = matcher.iter_match

    def iter_match(topic: str) -> Any:
        if not root._children and root._content is None:
            return ()
        return own_search(topic)

    matcher.iter_match = iter_match
    return True


# What `merged_writes` reaches into: paho 2.x's queue of packets to write, and its writer.
_PAHO_WRITE_PARTS = ("_out_packet", "_packet_write")
_PUBLISH = 0x30
_DISCONNECT = 0xE0
MERGE_LIMIT = 64 * 1024  # bytes written together at most


def merged_writes(paho: Any) -> bool:
    """Have paho's client write the packets waiting at the head of its queue with one system
    call, not one each (a call at a window queues seven messages at once).

    paho does something after writing a packet only for a QoS 0 PUBLISH (its "published"
    callback) and a DISCONNECT (closing the socket); the packets before the first of those
    are joined into one entry of the queue, which paho writes as its own: a partial write
    leaves the rest at the head, as for any packet. Nothing else changes: paho still makes
    each packet, keeps each QoS 1 message until its PUBACK and resends it on a new
    connection. Installed only when the client has what it relies on; True when it was."""
    if not all(hasattr(paho, part) for part in _PAHO_WRITE_PARTS):
        return False
    own_write = paho._packet_write

    def write() -> MQTTErrorCode:
        _merge(paho._out_packet)
        return own_write()  # type: ignore[no-any-return]

    paho._packet_write = write
    return True


def _merge(out: Any) -> None:
    """The packets at the head of paho's queue as one, where paho needs nothing per packet."""
    if len(out) < 2:
        return
    taken: list[Any] = []
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
        joined = b"".join(bytes(p["packet"][p["pos"] :]) for p in taken)
        # Command 0 is no packet type: paho does nothing once it is written.
        out.appendleft(
            {
                "command": 0,
                "mid": 0,
                "qos": 0,
                "pos": 0,
                "to_process": len(joined),
                "packet": joined,
                "info": None,
            }
        )


# What `prompt_writes` reaches into: how paho 2.x asks for its socket to be watched for writing.
_PAHO_PROMPT_PARTS = ("_call_socket_register_write", "_registered_write", "_sock", "loop_write")


def prompt_writes(paho: Any, loop: asyncio.AbstractEventLoop) -> bool:
    """Have paho's client write what it queued at the event loop's next turn.

    aiomqtt answers paho's "I have packets to write" by having the loop watch the socket,
    asked through the loop's wake-up pipe (paho may ask from the thread it connects in), and
    stops watching once they are written: two more turns of the loop and four system calls
    (the pipe written and read, the watch added and removed) each time the hub writes, which
    is for every request (its PUBACK, its answer and what it changed). Asked from the loop's
    own thread, the packets are now written at the loop's turn after next, when aiomqtt's
    watch would have written them, all that was queued by then in one go (`merged_writes`;
    at the very next turn, a busy hub wrote more often and less each time); only what the
    socket cannot take at once is left to aiomqtt's watch, as is everything asked from
    another thread. To be installed from the loop's thread; True when it was (paho 2.x)."""
    if not all(hasattr(paho, part) for part in _PAHO_PROMPT_PARTS):
        return False
    watch = paho._call_socket_register_write  # paho's own: calls aiomqtt's hook
    loop_thread = threading.get_ident()
    due = False  # a write at the loop's next turn is scheduled
    writing = False  # inside it

    def write() -> None:
        nonlocal due, writing
        due = False
        if paho._sock is None or paho._registered_write:
            return  # gone, or aiomqtt's watch is on and writes what is queued
        writing = True
        try:
            paho.loop_write()  # what is left unwritten asks again: then aiomqtt's watch
        except Exception:  # aiomqtt's own writer meets it again, and ends the connection
            watch()
        finally:
            writing = False

    def register() -> None:
        nonlocal due
        if paho._registered_write:
            return  # aiomqtt's watch is on: it writes this too
        if writing or threading.get_ident() != loop_thread:
            watch()
        elif not due:
            due = True
            loop.call_soon(loop.call_soon, write)  # the turn after next

    paho._call_socket_register_write = register
    return True


def _read_its_end(client: aiomqtt.Client) -> None:
    """Have the error a connection ended with read, now or once it is set.

    aiomqtt keeps it in a future that only its message iterator reads: a connection the link
    itself found gone (a publish refused for it) leaves it unread, and asyncio then logs
    "Future exception was never retrieved" for a loss already logged and dealt with."""
    ended = getattr(client, "_disconnected", None)  # private, as in `_pump`
    if isinstance(ended, asyncio.Future):
        ended.add_done_callback(_read_error)


def _read_error(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _reset_when_lasted(backoff: Backoff, after_s: float) -> None:
    await asyncio.sleep(after_s)
    backoff.reset()


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
    ack_timeouts: int = 0  # connections dropped for an acknowledgement that never came
    delivery_timeouts: int = 0  # connections dropped for a probe that never came back
    superseded: int = 0  # retained messages replaced by a newer one before they were sent


@dataclass(slots=True)
class Outgoing:
    topic: str
    payload: bytes  # a retained one still queued takes a newer payload in its place
    retain: bool
    qos: int
    seq: int = 0  # the order it was queued in: messages sent again keep their order
    # Called once the message is off the link's hands for good: acknowledged by the broker
    # (QoS 1), handed to it (QoS 0), or dropped (queue full, refused by the client).
    settled: Callable[[], None] | None = None

    def settle(self) -> None:
        if self.settled is not None:
            self.settled()


@dataclass
class MqttLink:
    endpoint: Endpoint
    client_id: str
    subscriptions: Sequence[str] = ()
    will: Will | None = None
    on_connect: ConnectHook | None = None
    persistent_session: bool = False  # keep QoS 1 messages queued at the broker while away
    keep_retained: RetainedFilter | None = None  # None: retained messages are delivered
    admit: Admit | None = None  # None: every message is queued (while there is room)
    # Published, and acknowledged, before a cancelled link disconnects: a goodbye sent on the
    # link's own login, since a broker that binds client ids to user names would let a second
    # connection of the same login end (and, with a clean session, erase) this one's session.
    farewell: Will | None = None
    incoming_limit: int = 10_000
    outgoing_limit: int = 50_000
    max_in_flight: int = 500
    ack_timeout_s: float = ACK_TIMEOUT_S
    merge_writes: bool = True  # False: paho writes each packet alone (`bench.link_writes`)
    # False: paho's packets are written once aiomqtt's watch of the socket says it can take
    # them (`prompt_writes`; `bench.link_writes`)
    write_promptly: bool = True
    # A topic of this link's own (subscribed to, written to by no one else) on which it checks
    # that the broker still delivers to it; None: no such check.
    probe_topic: str | None = None
    probe_interval_s: float = PROBE_INTERVAL_S
    delivery_timeout_s: float = DELIVERY_TIMEOUT_S
    delivery_suspect_s: float = DELIVERY_SUSPECT_S
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self.connected = asyncio.Event()
        self._incoming: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(self.incoming_limit)
        self._outgoing: asyncio.Queue[Outgoing] = asyncio.Queue(self.outgoing_limit)
        # The retained messages in `_outgoing`, by topic: not yet handed to the client.
        self._retained_waiting: dict[str, Outgoing] = {}
        self._large_topics: set[str] = set()  # topics warned of for a message over the size
        # Messages taken by a sender whose connection ended before the broker acknowledged
        # them (by their `seq`): sent first on the next connection, so nothing queued is lost
        # when the broker restarts or the link is cut (the broker may see one twice).
        self._unacked: list[tuple[int, Outgoing]] = []
        self._queued = 0
        self._client: aiomqtt.Client | None = None
        self._connecting: aiomqtt.Client | None = None  # the client waiting for its CONNACK
        # Messages received while a connection's on_connect hook runs: delivered after it, so
        # that no request is handled before the owner has republished its retained state.
        self._held: list[tuple[str, bytes]] | None = None
        self.farewell_sent = False
        # A flood would otherwise write a line per message dropped on a full queue.
        self._log_drop = LogEvery(log, logging.WARNING, DROP_LOG_INTERVAL_S)
        # The probe sent on this connection and not back yet, and when it was sent (monotonic).
        self._probe_out: tuple[bytes, float] | None = None

    def delivering(self) -> bool:
        """Connected, and (with a `probe_topic`) no probe out longer than
        `delivery_suspect_s`: the broker still delivers to this link as far as can be told."""
        if not self.connected.is_set():
            return False
        out = self._probe_out
        return out is None or time.monotonic() - out[1] < self.delivery_suspect_s

    # ----- publishing (never blocks) -------------------------------------------------------
    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool = False,
        qos: int = 1,
        settled: Callable[[], None] | None = None,
    ) -> None:
        """Queue a message. A retained one replaces the payload of one to the same topic still
        queued (the broker would keep only the last): while the broker is slow or away, what
        waits is the latest state of each screen, not every state it went through, and the
        queue keeps its room for the answers and events, which are not states. `settled` is
        called when the message is off the link's hands for good (see `Outgoing`)."""
        if len(payload) > LARGE_MESSAGE_BYTES and topic not in self._large_topics:
            self._large_topics.add(topic)  # said once a topic: it is the hall's size, not news
            log.warning(
                "a message of %d bytes to %s: a broker whose max_packet_size is smaller ends "
                "the connection on it (the shipped Mosquitto configuration allows 1 MiB)",
                len(payload),
                topic,
            )
        if retain:
            waiting = self._retained_waiting.get(topic)
            # (one to be told of when settled is never replaced: its owner waits for it)
            unwatched = settled is None and (waiting is None or waiting.settled is None)
            if waiting is not None and waiting.qos == qos and unwatched:
                waiting.payload = payload
                self.stats.superseded += 1
                return
        try:
            self._queued += 1
            item = Outgoing(topic, payload, retain, qos, self._queued, settled)
            self._outgoing.put_nowait(item)
            if retain:
                self._retained_waiting[topic] = item
        except asyncio.QueueFull:
            self.stats.dropped_outgoing += 1
            log.warning(
                "outgoing queue full (%d): dropped a message to %s", self.outgoing_limit, topic
            )
            if settled is not None:
                settled()

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
            # paho's own limit would have it scan every message in flight at each
            # acknowledgement; `_pump` keeps to `max_in_flight` itself.
            max_inflight_messages=0,
            max_queued_outgoing_messages=self.outgoing_limit,
            timeout=10,
            logger=mqtt_log,
        )
        # Many publishes in flight is the normal case here, not a warning sign.
        client.pending_calls_threshold = self.max_in_flight * 2
        quick_pubacks(client._client)  # private, see `_pump`
        no_garbage_per_message(client._client)
        if self.merge_writes:
            merged_writes(client._client)
        if self.write_promptly:
            prompt_writes(client._client, asyncio.get_running_loop())
        self._refused_when_closed(client)
        return client

    def _refused_when_closed(self, client: aiomqtt.Client) -> None:
        """A connection the broker closes before accepting it (no CONNACK: an address that
        takes TCP and then hangs up, a proxy with no broker behind it) ends the attempt at
        once. aiomqtt ignores such a close and waits out its whole connect timeout (10 s)."""
        paho = client._client  # private, as in `_pump`
        aiomqtt_on_disconnect = paho.on_disconnect

        def on_disconnect(*args: Any) -> None:
            connected = client._connected
            if self._connecting is client and not connected.done():
                connected.set_exception(
                    aiomqtt.MqttError("the connection was closed before the broker accepted it")
                )
            if aiomqtt_on_disconnect is not None:
                aiomqtt_on_disconnect(*args)

        paho.on_disconnect = on_disconnect

    async def _connection_loop(self) -> None:
        backoff = Backoff(RECONNECT_BASE_S, RECONNECT_CAP_S)
        while True:
            client = self._make_client()
            self._connecting = client
            try:
                async with client:
                    self._connecting = None
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
                self._connecting = None
                self._client = None
                self.connected.clear()
                _read_its_end(client)
            await asyncio.sleep(delay)

    async def _session(self, client: aiomqtt.Client, backoff: Backoff) -> None:
        async with asyncio.TaskGroup() as session:
            self._client = client
            # The receiver runs from the start: a lost connection ends its message
            # stream with an MqttError, which ends this session even mid-subscribe.
            self._held = []
            self._take_over_receiving(client)
            session.create_task(self._receive(client))
            probe = () if self.probe_topic is None else (self.probe_topic,)
            for topic in (*self.subscriptions, *probe):
                await client.subscribe(topic, qos=1)
            log.info("connected to %s as %s", self.endpoint, self.client_id)
            # The wait before the next attempt starts again from the shortest once this
            # connection has lasted: one the broker ends at once (a message over its packet
            # size, a login it takes and then drops) is tried again ever more slowly, not
            # ten times a second.
            session.create_task(_reset_when_lasted(backoff, CONNECTION_LASTED_S))
            session.create_task(self._pump(client))
            if self.probe_topic is not None:
                session.create_task(self._watch_delivery(client, self.probe_topic))
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
        """Take the messages the broker delivers until the connection ends (then raises).

        paho's client hands each message straight to `_arrived`, as it reads it: aiomqtt's
        message iterator makes a task and a wait per message and so passes one message on
        per turn of the loop, which left a request that arrived with others to be handled
        on its own. Its iterator is still followed here, for the end of the connection (it
        raises then), and for any message that comes through it all the same."""
        async for message in client.messages:
            self._arrived_through_aiomqtt(message)

    def _take_over_receiving(self, client: aiomqtt.Client) -> None:
        """Have paho hand messages to `_arrived`, after those aiomqtt queued already (a
        persistent session's, delivered at once on connecting): in the order they came."""
        queued = client._queue  # private, as in `_pump`
        while not queued.empty():
            self._arrived_through_aiomqtt(queued.get_nowait())
        client._client.on_message = self._on_paho_message

    def _arrived_through_aiomqtt(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        data = payload if isinstance(payload, bytes) else str(payload or "").encode()
        self._arrived(str(message.topic), data, message.retain)

    def _on_paho_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:  # a broker checks topics are UTF-8; this one did not
            self._drop_incoming("<a topic that is not UTF-8>")
            return
        try:
            self._arrived(topic, message.payload, message.retain)
        except Exception:  # raised into paho, it would end the reading of every message
            log.exception("a message to %s could not be taken in", topic)

    def _arrived(self, topic: str, data: bytes, retain: bool) -> None:
        self.stats.received += 1
        if topic == self.probe_topic:
            if self._probe_out is not None and data == self._probe_out[0]:
                self._probe_out = None
            return
        if retain and self.keep_retained is not None:
            if not self.keep_retained(topic, data):
                return
        if self.admit is not None and not self.admit(topic):
            return
        if self._held is None:
            self._take_in(topic, data)
        elif len(self._held) < self.incoming_limit:
            self._held.append((topic, data))
        else:
            self._drop_incoming(topic)

    async def _watch_delivery(self, client: aiomqtt.Client, probe_topic: str) -> None:
        """Send a probe to `probe_topic` every `probe_interval_s`, the next once the last is
        back; end the connection when one has not come back in `delivery_timeout_s`.

        Sent through paho directly, ahead of the queue: what is measured is the broker, not
        the link's backlog. A probe of an earlier connection that arrives late matches none.
        """
        paho = client._client  # private, as in `_pump`
        self._probe_out = None
        nonce = secrets.token_hex(4)
        sent = 0
        while True:
            await asyncio.sleep(self.probe_interval_s)
            if self._probe_out is not None:
                waited = time.monotonic() - self._probe_out[1]
                if waited < self.delivery_timeout_s:
                    continue
                self.stats.delivery_timeouts += 1
                raise aiomqtt.MqttCodeError(
                    MQTTErrorCode.MQTT_ERR_CONN_LOST,
                    f"the broker has not delivered this link's probe for {waited:.0f} s",
                )
            sent += 1
            token = b'{"probe":"%s-%d"}' % (nonce.encode(), sent)  # JSON, as every payload
            info = paho.publish(probe_topic, token, 1, False)
            if info.rc in _CONNECTION_GONE:
                raise aiomqtt.MqttCodeError(info.rc, "Could not publish the probe")
            self._probe_out = (token, time.monotonic())

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
        """Counted every time; logged at most every DROP_LOG_INTERVAL_S."""
        self.stats.dropped_incoming += 1
        self._log_drop(
            "incoming queue full (%d): dropped a message to %s", self.incoming_limit, topic
        )

    async def _pump(self, client: aiomqtt.Client) -> None:
        """Hand the queued messages to the client in order, up to `max_in_flight` waiting for
        the broker's acknowledgement at once.

        The ones the last connection left unacknowledged go first, then the queue. Each is
        given to paho's client directly and followed here by its message id until the broker
        acknowledges it: aiomqtt's `publish` waits on an event of its own per message and
        scans every pending call each time, which cost more than the rest of a publish.
        An acknowledgement that never comes ends with the connection: when no more may be
        in flight and the oldest has waited `ack_timeout_s`, the connection is dropped (a
        broker under a flood has been seen to leave some unacknowledged for good, which
        would stop the hub's publishing). What is then still unacknowledged is kept for the
        next one (the broker may see it twice). A message the client refuses for itself
        (too large, say) is dropped and counted.
        """
        paho = client._client  # private, see above (aiomqtt < 3 is pinned)
        in_flight: dict[int, Outgoing] = {}
        sent_at: dict[int, float] = {}  # monotonic, in the order sent: the first is the oldest
        room = asyncio.Event()
        room.set()
        aiomqtt_on_publish = paho.on_publish

        def on_publish(*args: Any) -> None:
            item = in_flight.pop(args[2], None)  # (client, userdata, mid, reason, properties)
            sent_at.pop(args[2], None)
            if item is None:  # one of aiomqtt's own publishes (the farewell, `publish_now`)
                if aiomqtt_on_publish is not None:
                    aiomqtt_on_publish(*args)
                return
            self.stats.published += 1
            room.set()
            item.settle()

        paho.on_publish = on_publish
        try:
            while True:
                if len(in_flight) >= self.max_in_flight:
                    room.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.ack_timeout_s / 4):
                            await room.wait()
                    oldest = next(iter(sent_at.values()), None)
                    if oldest is not None and time.monotonic() - oldest >= self.ack_timeout_s:
                        self.stats.ack_timeouts += 1
                        raise aiomqtt.MqttCodeError(
                            MQTTErrorCode.MQTT_ERR_CONN_LOST,
                            f"{len(in_flight)} messages unacknowledged, the oldest for "
                            f"{self.ack_timeout_s:g} s",
                        )
                    continue
                if self._unacked:
                    item = heapq.heappop(self._unacked)[1]
                else:
                    item = await self._outgoing.get()
                    if item.retain and self._retained_waiting.get(item.topic) is item:
                        del self._retained_waiting[item.topic]  # a newer one is queued anew
                info = paho.publish(item.topic, item.payload, item.qos, item.retain)
                if info.rc in _CONNECTION_GONE:
                    heapq.heappush(self._unacked, (item.seq, item))
                    raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
                if info.rc != 0:
                    self.stats.publish_failures += 1
                    log.warning("publish to %s refused (rc %s): dropped", item.topic, info.rc)
                    item.settle()
                elif item.qos == 0:
                    self.stats.published += 1
                    item.settle()
                else:
                    in_flight[info.mid] = item
                    sent_at[info.mid] = time.monotonic()
        finally:
            paho.on_publish = aiomqtt_on_publish
            for item in in_flight.values():
                heapq.heappush(self._unacked, (item.seq, item))

    async def publish_now(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish and wait for the broker's acknowledgement (used at shutdown)."""
        if self._client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await self._client.publish(topic, payload, qos=1, retain=retain, timeout=3)


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
