"""The MQTT link against the real broker: many messages in flight leave in the order they were
published, and nothing received during the owner's on_connect hook is handled before it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from paho.mqtt.exception import MalformedPacket

from hall.contract.link import Endpoint, MqttLink, quick_pubacks
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
