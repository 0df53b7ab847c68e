"""The MQTT link against the real broker: many messages in flight leave in the order they were
published, and nothing received during the owner's on_connect hook is handled before it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hall.contract.link import Endpoint, MqttLink
from tests.support import background

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
