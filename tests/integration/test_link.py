"""The MQTT link against the real broker: many messages in flight leave in the order they were
published, whole when written together, and nothing received during the owner's on_connect
hook is handled before it ends."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from paho.mqtt import client as mqtt_client
from paho.mqtt.exception import MalformedPacket

from hall.contract.link import (
    MERGE_LIMIT,
    Endpoint,
    MqttLink,
    _merge,
    merged_writes,
    no_garbage_per_message,
    prompt_writes,
    quick_pubacks,
)
from tests.support import background, eventually

pytestmark = pytest.mark.integration
COUNT = 800  # below Mosquitto's default max_queued_messages (1000) for one subscriber


@contextlib.asynccontextmanager
async def running(
    link: MqttLink, handler: Callable[[str, bytes], Awaitable[None]]
) -> AsyncIterator[MqttLink]:
    async with background(link.run(handler), link.connected):
        yield link


def collector(
    count: int,
) -> tuple[list[bytes], asyncio.Event, Callable[[str, bytes], Awaitable[None]]]:
    """A handler keeping the payloads, and an event set once `count` have come."""
    payloads: list[bytes] = []
    enough = asyncio.Event()

    async def handler(topic: str, payload: bytes) -> None:
        payloads.append(payload)
        if len(payloads) >= count:
            enough.set()

    return payloads, enough, handler


@contextlib.asynccontextmanager
async def reader_and_writer(
    host_port: tuple[str, int], topic: str, count: int
) -> AsyncIterator[tuple[str, MqttLink, list[bytes], asyncio.Event]]:
    """Two running links: one subscribed to `topic`, keeping what comes, and one to publish.
    Gives (topic, the writer, the payloads received, an event set once `count` have come)."""
    endpoint = Endpoint(*host_port)
    received, all_in, on_message = collector(count)
    reader = MqttLink(endpoint, f"{topic}-reader", subscriptions=[topic])
    writer = MqttLink(endpoint, f"{topic}-writer")
    async with running(reader, on_message), running(writer, collector(0)[2]):
        yield topic, writer, received, all_in


class WatchCount:
    """How many times, from now on, paho has asked for `link`'s socket to be watched for
    writing (what aiomqtt does for a write that has to wait)."""

    def __init__(self, link: MqttLink) -> None:
        self.times = 0
        paho = link._client._client  # type: ignore[union-attr]
        hook = paho.on_socket_register_write

        def counted(*args: object) -> None:
            self.times += 1
            hook(*args)

        paho.on_socket_register_write = counted


async def test_messages_in_flight_leave_in_order(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/order"
    received, all_in, on_message = collector(COUNT)
    reader = MqttLink(endpoint, f"{hall_id}-reader", subscriptions=[topic])
    writer = MqttLink(endpoint, f"{hall_id}-writer", max_in_flight=50)
    async with running(reader, on_message), running(writer, collector(0)[2]):
        for n in range(COUNT):
            writer.publish(topic, str(n).encode())
        await asyncio.wait_for(all_in.wait(), 20)
    assert [int(payload) for payload in received] == list(range(COUNT))
    assert writer.stats.publish_failures == 0 and writer.stats.dropped_outgoing == 0


async def test_messages_written_together_arrive_whole_and_in_order(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    # Small and large messages (some larger than what is written together at once), and
    # QoS 0 ones between them, which are never joined to others: each arrives as it was sent,
    # those of each QoS in the order they were sent (MQTT orders no more than that).
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/mixed"
    sizes = [10, 3_000, MERGE_LIMIT + 5, 1, 70_000, 200, MERGE_LIMIT * 2, 7] * 25
    sent = [bytes([65 + n % 26]) * size + str(n).encode() for n, size in enumerate(sizes)]
    received, all_in, on_message = collector(len(sent))
    reader = MqttLink(endpoint, f"{hall_id}-reader", subscriptions=[topic])
    writer = MqttLink(endpoint, f"{hall_id}-writer", max_in_flight=50)
    async with running(reader, on_message), running(writer, collector(0)[2]):
        for n, payload in enumerate(sent):
            writer.publish(topic, payload, qos=0 if n % 5 == 0 else 1)
        await asyncio.wait_for(all_in.wait(), 30)
    assert sorted(received) == sorted(sent)
    at_qos_1 = {payload for n, payload in enumerate(sent) if n % 5}
    assert [p for p in received if p in at_qos_1] == [p for p in sent if p in at_qos_1]


def _packet(command: int, size: int, qos: int = 1, pos: int = 0) -> dict[str, object]:
    body = bytes([command]) + bytes(size - 1)
    return {
        "command": command,
        "mid": 1,
        "qos": qos,
        "pos": pos,
        "to_process": size - pos,
        "packet": body,
        "info": None,
    }


def test_packets_are_joined_up_to_one_paho_must_see_written_alone() -> None:
    publish_q1, publish_q0, puback, disconnect = 0x32, 0x30, 0x40, 0xE0
    first = _packet(publish_q1, 10, pos=4)  # partly written already: the rest is joined
    joinable = [first, _packet(puback, 4), _packet(publish_q1, 6)]
    after = [_packet(publish_q0, 5, qos=0), _packet(publish_q1, 3), _packet(disconnect, 2)]
    queue = collections.deque([*joinable, *after])
    _merge(queue)
    joined = queue[0]
    assert joined["command"] == 0 and joined["pos"] == 0
    rest_of_first = bytes(6)
    assert joined["packet"] == rest_of_first + bytes([puback, 0, 0, 0, publish_q1, 0, 0, 0, 0, 0])
    assert joined["to_process"] == 6 + 4 + 6
    # The QoS 0 PUBLISH and what follows it are left as they were.
    assert [p["command"] for p in list(queue)[1:]] == [publish_q0, publish_q1, disconnect]
    # One packet alone, or one paho must see, is left untouched.
    alone = collections.deque([_packet(publish_q1, 8)])
    _merge(alone)
    assert alone[0]["command"] == publish_q1
    head_disconnect = collections.deque([_packet(disconnect, 2), _packet(puback, 4)])
    _merge(head_disconnect)
    assert [p["command"] for p in head_disconnect] == [disconnect, puback]
    # No more than MERGE_LIMIT bytes (give or take the last packet) go together.
    many = collections.deque(_packet(publish_q1, 1_000) for _ in range(200))
    _merge(many)
    assert MERGE_LIMIT <= many[0]["to_process"] < MERGE_LIMIT + 1_000
    assert len(many) == 200 - many[0]["to_process"] // 1_000 + 1


class _Socket:
    """What paho writes to, as a non-blocking socket: takes `room` bytes more at most, then
    would block; records each call that took something."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.writes: list[bytes] = []

    def send(self, data: bytes) -> int:
        if not self.room:
            raise BlockingIOError
        taken = bytes(data[: self.room])
        self.room -= len(taken)
        self.writes.append(taken)
        return len(taken)

    def close(self) -> None:
        pass


def test_paho_writes_its_waiting_packets_with_one_call_and_keeps_what_did_not_fit() -> None:
    paho = mqtt_client.Client(mqtt_client.CallbackAPIVersion.VERSION2)
    assert merged_writes(paho)
    paho.on_socket_register_write = lambda *_args: None  # written below, not at once
    sock = _Socket(room=100)
    paho._sock = sock
    packets = [bytes([0x32, n]) * 20 for n in range(7)]  # seven 40-byte "messages"
    for n, packet in enumerate(packets):
        paho._packet_queue(0x32, packet, n + 1, 1)
    paho._packet_write()
    assert sock.writes == [b"".join(packets)[:100]]  # one call, cut short by the socket
    sock.room = 10_000
    paho._packet_write()
    assert b"".join(sock.writes) == b"".join(packets) and len(sock.writes) == 2


async def test_large_messages_written_in_parts_arrive_whole(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """Messages far larger than the socket takes or gives at once: what a write leaves is
    written when the socket can take more (aiomqtt's watch), merged packets and all; none
    lost or torn, small ones between them in order too."""
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/large"
    count = 6
    received, all_in, on_message = collector(2 * count)
    reader = MqttLink(endpoint, f"{hall_id}-reader", subscriptions=[topic, f"{topic}/small"])
    writer = MqttLink(endpoint, f"{hall_id}-writer")
    bodies = [bytes([65 + n]) * (3_000_000 + n) for n in range(count)]
    async with running(reader, on_message), running(writer, collector(0)[2]):
        watched = WatchCount(writer)
        for n, body in enumerate(bodies):
            writer.publish(topic, body)
            writer.publish(f"{topic}/small", b"small-%d" % n)
        await asyncio.wait_for(all_in.wait(), 60)
    assert watched.times > 0  # the socket did not take it all at once
    assert [p for p in received if len(p) > 100] == bodies
    assert [p for p in received if len(p) <= 100] == [b"small-%d" % n for n in range(count)]
    assert writer.stats.publish_failures == 0


async def test_a_retained_message_still_queued_takes_the_newer_payload_in_its_place(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """While the broker is away, a screen's states do not pile up in the queue: the latest
    waits, where the first of them was queued; an answer or an event is never replaced."""
    endpoint = Endpoint(*mqtt_host_port)
    state, event = f"hall/{hall_id}/dev/led-1/state", f"hall/{hall_id}/events"
    writer = MqttLink(endpoint, f"{hall_id}-writer")  # not connected yet: everything waits
    writer.publish(state, b"1", retain=True)
    writer.publish(event, b"e1")
    writer.publish(state, b"2", retain=True)
    writer.publish(event, b"e2")
    writer.publish(state, b"3", retain=True)
    assert writer.backlog == 3 and writer.stats.superseded == 2
    received: list[tuple[str, bytes]] = []

    async def on_message(topic: str, payload: bytes) -> None:
        received.append((topic, payload))

    reader = MqttLink(endpoint, f"{hall_id}-reader", subscriptions=[state, event])
    async with running(reader, on_message), running(writer, collector(0)[2]):

        async def three_came() -> bool:
            return len(received) >= 3

        await eventually(three_came, "the queued messages", timeout=10)
        assert received == [(state, b"3"), (event, b"e1"), (event, b"e2")]
        writer.publish(state, b"4", retain=True)  # the last one left: queued anew

        async def fourth_came() -> bool:
            return len(received) >= 4

        await eventually(fourth_came, "the state published after", timeout=10)
    assert received[3] == (state, b"4")
    await asyncio.sleep(0.2)
    assert len(received) == 4


async def link_to_a_broker_that_ends_it(*, accepted: bool, run_s: float) -> tuple[int, MqttLink]:
    """Run a link for `run_s` against an address that takes each connection, reads the
    CONNECT's first bytes, answers a CONNACK (`accepted`) or nothing, and closes it; how many
    connections the link made, and the link."""
    connections = 0

    async def broker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readexactly(2)  # CONNECT: its type and (short) length ...
            if accepted:
                writer.write(b"\x20\x02\x00\x00")  # ... answered CONNACK, accepted
                await writer.drain()
                await asyncio.sleep(0.05)
        writer.close()

    server = await asyncio.start_server(broker, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = MqttLink(Endpoint("127.0.0.1", port), "ended-test")
    async with server:
        runner = asyncio.create_task(link.run(collector(0)[2]))
        await asyncio.sleep(run_s)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    return connections, link


async def test_a_broker_that_ends_every_connection_at_once_is_tried_ever_more_slowly() -> None:
    """A broker that takes the connection and ends it at once (as Mosquitto does for a
    message over its packet size) is not tried again ten times a second: the backoff starts
    again from the shortest wait only once a connection has lasted."""
    connections, _link = await link_to_a_broker_that_ends_it(accepted=True, run_s=4)
    # Waits drawn from [0, 0.2], [0, 0.4], [0, 0.8] ... s: a handful of attempts in 4 s, where
    # a backoff reset on every connection made it about 30.
    assert 2 <= connections <= 12, connections


async def test_nothing_is_handled_before_on_connect_ends(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/in"
    device = MqttLink(endpoint, f"{hall_id}-device")
    witnessed, witness_has_all, on_witnessed = collector(3)
    witness = MqttLink(endpoint, f"{hall_id}-witness", subscriptions=[topic])
    received_during_hook: list[int] = []
    hook_ended = False

    async def on_connect() -> None:
        """Publish three requests to the hub and stay in the hook until they have arrived."""
        nonlocal hook_ended
        async with running(witness, on_witnessed):
            for n in range(3):
                device.publish(topic, str(n).encode())
            await asyncio.wait_for(witness_has_all.wait(), 10)
        received_during_hook.append(hub.stats.received)
        hook_ended = True

    handled: list[tuple[bool, bytes]] = []
    all_handled = asyncio.Event()

    async def handler(topic: str, payload: bytes) -> None:
        handled.append((hook_ended, payload))
        if len(handled) == 3:
            all_handled.set()

    hub = MqttLink(endpoint, f"{hall_id}-hub", subscriptions=[topic], on_connect=on_connect)
    async with running(device, collector(0)[2]), running(hub, handler):
        await asyncio.wait_for(all_handled.wait(), 10)
    assert witnessed == [b"0", b"1", b"2"]
    assert received_during_hook == [3]  # all three came in while the hook ran ...
    assert handled == [(True, b"0"), (True, b"1"), (True, b"2")]  # ... and waited for its end


async def test_pubacks_are_followed_without_paho_s_objects_and_odd_ones_by_paho(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """`quick_pubacks`: every QoS 1 message the broker acknowledges is counted as published
    (the window of messages in flight moves on), and a PUBACK it does not take (here one of
    the wrong length) goes to paho's own handler, which refuses it as malformed."""
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/acks"
    writer = MqttLink(endpoint, f"{hall_id}-acks", max_in_flight=4)
    async with running(writer, collector(0)[2]):
        client = writer._client
        assert client is not None
        paho = client._client
        assert paho._handle_pubackcomp.__qualname__.startswith("quick_pubacks")
        for n in range(200):  # fifty times the window: only acknowledgements move it on
            writer.publish(topic, str(n).encode())

        async def all_acknowledged() -> bool:
            return writer.stats.published >= 200

        await eventually(all_acknowledged, "200 PUBACKs followed", timeout=20)
        assert writer.stats.publish_failures == 0
        paho._in_packet["packet"] = b"\x00\x01\x00"  # three bytes: not a 3.1.1 PUBACK
        with pytest.raises(MalformedPacket):  # paho's own verdict
            paho._handle_pubackcomp("PUBACK")


def test_quick_pubacks_leaves_an_mqtt5_client_to_paho() -> None:
    import paho.mqtt.client as paho_client

    v5 = paho_client.Client(paho_client.CallbackAPIVersion.VERSION2, protocol=paho_client.MQTTv5)
    own = v5._handle_pubackcomp
    assert not quick_pubacks(v5)
    assert v5._handle_pubackcomp == own
    v311 = paho_client.Client(paho_client.CallbackAPIVersion.VERSION2)
    assert quick_pubacks(v311)


async def test_a_connection_whose_acknowledgements_stop_is_dropped_and_nothing_lost(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """A broker that leaves messages unacknowledged (seen under a flood) would stop the link's
    publishing for good once the window is full: after `ack_timeout_s` the connection is
    dropped and what was in flight is sent again on the next one."""
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/unacked"
    received, all_in, on_message = collector(10)
    reader = MqttLink(endpoint, f"{hall_id}-reader", subscriptions=[topic])
    writer = MqttLink(endpoint, f"{hall_id}-writer", max_in_flight=4, ack_timeout_s=1.0)
    async with running(reader, on_message), running(writer, collector(0)[2]):
        client = writer._client
        assert client is not None
        client._client._handle_pubackcomp = lambda cmd: 0  # this connection's PUBACKs: lost
        for n in range(10):
            writer.publish(topic, str(n).encode())

        async def all_acknowledged() -> bool:
            return writer.stats.published == 10

        await eventually(all_acknowledged, "every message acknowledged", timeout=20)
        await asyncio.wait_for(all_in.wait(), 10)
    assert writer.stats.ack_timeouts == 1 and writer.stats.reconnects == 1
    assert sorted(set(int(p) for p in received)) == list(range(10))  # some twice: QoS 1


async def test_a_connection_the_broker_stops_delivering_to_is_dropped_and_nothing_lost(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """Mosquitto 2.0.11 has been seen, after a flood of QoS 0 messages, to stop delivering
    QoS 1 messages to a client for good while the connection lives: the link's probe does not
    come back within `delivery_timeout_s`, the connection is dropped, and the broker delivers
    what it held on the next one (the session is kept)."""
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/requests"
    received, all_in, on_message = collector(5)
    link = MqttLink(
        endpoint,
        f"{hall_id}-hub",
        subscriptions=[topic],
        persistent_session=True,
        probe_topic=f"hall/{hall_id}/hub/probe/x",
        probe_interval_s=0.2,
        delivery_timeout_s=3.0,
        delivery_suspect_s=0.6,
    )
    sender = MqttLink(endpoint, f"{hall_id}-device")
    async with running(link, on_message), running(sender, collector(0)[2]):
        await asyncio.sleep(0.5)  # probes come back while the broker delivers
        assert link.stats.delivery_timeouts == 0 and link.delivering()
        client = link._client
        assert client is not None
        paho = client._client
        own = paho._handle_publish

        def held_back() -> int:
            """This connection's QoS 1 messages: neither taken nor acknowledged."""
            if (paho._in_packet["command"] & 0x06) == 0x02:
                return 0
            return own()  # type: ignore[no-any-return]

        paho._handle_publish = held_back
        for n in range(5):
            sender.publish(topic, str(n).encode())
        # Said before the connection is given up (what the hub's /healthz reports)...
        await eventually(lambda: not link.delivering(), "said not delivering", timeout=2.5)
        assert link.stats.delivery_timeouts == 0
        await asyncio.wait_for(all_in.wait(), 20)
        # ...and delivering again on the next connection.
        await eventually(link.delivering, "delivering again", timeout=5)
    assert link.stats.delivery_timeouts == 1 and link.stats.reconnects == 1
    assert sorted(set(int(p) for p in received)) == list(range(5))


async def test_queued_packets_are_written_at_the_loop_s_turn_and_the_rest_watched() -> None:
    paho = mqtt_client.Client(mqtt_client.CallbackAPIVersion.VERSION2)
    assert merged_writes(paho)
    assert prompt_writes(paho, asyncio.get_running_loop())
    watched: list[str] = []  # aiomqtt's hooks: watch the socket for writing, or stop
    paho.on_socket_register_write = lambda *_args: watched.append("watch")
    paho.on_socket_unregister_write = lambda *_args: watched.append("unwatch")
    sock = _Socket(room=100)
    paho._sock = sock
    packets = [bytes([0x32, n]) * 20 for n in range(7)]
    for n, packet in enumerate(packets):
        paho._packet_queue(0x32, packet, n + 1, 1)
    assert sock.writes == [] and watched == []  # nothing yet: the rest of this turn may add
    for _ in range(3):
        await asyncio.sleep(0)
    # One write of all seven, cut short by the socket; the rest left to aiomqtt's watch.
    assert sock.writes == [b"".join(packets)[:100]]
    assert watched == ["watch"]
    paho._packet_queue(0x32, b"late", 8, 1)  # queued while watched: the watch writes it
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(sock.writes) == 1
    sock.room = 10_000
    paho.loop_write()  # what aiomqtt does once the socket can take more
    assert b"".join(sock.writes) == b"".join(packets) + b"late"
    assert watched == ["watch", "unwatch"]
    # Asked from another thread (paho connecting), the watch is asked at once.
    thread = threading.Thread(target=paho._packet_queue, args=(0x32, b"x", 9, 1))
    thread.start()
    thread.join()
    assert watched == ["watch", "unwatch", "watch"]


async def test_the_link_writes_without_having_the_socket_watched(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    async with reader_and_writer(mqtt_host_port, f"hall/{hall_id}/prompt", 200) as pair:
        topic, writer, received, all_in = pair
        watched = WatchCount(writer)
        for burst in range(20):
            for n in range(10):
                writer.publish(topic, f"{burst}-{n}".encode())
            await asyncio.sleep(0.01)
        await asyncio.wait_for(all_in.wait(), 20)
    assert len(received) == 200
    # Every burst, and the PUBACKs, written at the loop's turn: the socket never watched.
    assert watched.times == 0


async def test_messages_received_leave_no_reference_cycles_behind(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """paho's search for callbacks by topic made a cycle per message, which only the garbage
    collector frees (the hub's event loop held while it does); the link has it skipped."""
    async with reader_and_writer(mqtt_host_port, f"hall/{hall_id}/cycles", 200) as pair:
        topic, writer, received, all_in = pair
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage
        try:
            for n in range(200):
                writer.publish(topic, str(n).encode())
            await asyncio.wait_for(all_in.wait(), 20)
            gc.collect()
            searches = [o for o in gc.garbage if "iter_match" in getattr(o, "__qualname__", "")]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert len(received) == 200
    assert searches == []


def test_paho_s_search_by_topic_still_finds_callbacks_added_for_a_topic() -> None:
    paho = mqtt_client.Client(mqtt_client.CallbackAPIVersion.VERSION2)
    assert no_garbage_per_message(paho)
    matcher = paho._on_message_filtered
    assert list(matcher.iter_match("a/b")) == []
    paho.message_callback_add("a/+", print)
    assert list(matcher.iter_match("a/b")) == [print]
    assert list(matcher.iter_match("c/d")) == []


async def test_a_message_is_settled_once_acknowledged_or_dropped(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    """`settled` is told when a message is off the link's hands for good: acknowledged by the
    broker, or dropped on a full queue (at once)."""
    endpoint = Endpoint(*mqtt_host_port)
    topic = f"hall/{hall_id}/events"
    link = MqttLink(endpoint, f"{hall_id}-settled", outgoing_limit=2)
    settled: list[str] = []
    for name in ("first", "second", "dropped"):
        link.publish(topic, name.encode(), settled=lambda name=name: settled.append(name))
    assert settled == ["dropped"] and link.stats.dropped_outgoing == 1
    async with running(link, collector(0)[2]):
        await eventually(lambda: len(settled) == 3, "both acknowledged", timeout=10)
        assert settled == ["dropped", "first", "second"]
        assert link.stats.published == 2


async def test_an_address_that_hangs_up_before_accepting_is_tried_again_within_the_backoff() -> (
    None
):
    """An address that takes the TCP connection and closes it without a CONNACK (a proxy with
    no broker behind it) ends the attempt at once, not after the 10 s connect timeout."""
    connections, link = await link_to_a_broker_that_ends_it(accepted=False, run_s=3)
    assert connections >= 2 and link.stats.reconnects >= 2, (connections, link.stats)
