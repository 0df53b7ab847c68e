"""The link between the hub and the broker, through the fault proxy: slowed, cut and
restored. The hub reconnects by itself; what devices asked while it was away is answered
(kept for its persistent session, or sent again by the device with the same id)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import aiohttp
import aiomqtt

from hall.contract.link import DELIVERY_SUSPECT_S, PROBE_INTERVAL_S, Endpoint, MqttLink
from hall.contract.ports import free_port
from tests.integration.contract_client import ContractClient
from tests.support import background, eventually, hall_run

from .conftest import FaultHall
from .proxy import fault_proxy

ANSWER_S = 30.0


def state_is(state: str) -> Any:
    return lambda data: isinstance(data, dict) and data.get("state") == state


async def test_a_cut_link_to_the_broker_is_mended_and_nothing_is_lost(
    fault_hall: FaultHall,
) -> None:
    hall = fault_hall
    async with fault_proxy(hall.mosquitto.host, hall.mosquitto.port) as proxy:
        config = hall.config_through(proxy.port)
        client = ContractClient(
            hall.mosquitto.host, hall.mosquitto.port, hall.hall_id, f"test-{os.getpid()}"
        )
        async with hall_run(config, hall.log), client as c:
            status = c.topic("hub/status")
            await c.wait_latest(status, state_is("online"), ANSWER_S)
            proxy.latency_s = 0.05
            first = await c.ok("kiosk-1", "ticket.take", {"service": "A"}, timeout=ANSWER_S)
            assert first["ticket"]["no"] == "A001"

            proxy.cut()
            await c.wait_latest(status, state_is("offline"), ANSWER_S)  # the hub's will
            asked = asyncio.create_task(
                c.request(
                    "kiosk-1", "ticket.take", {"service": "A"}, request_id="cut", timeout=ANSWER_S
                )
            )
            await asyncio.sleep(1.0)
            assert not asked.done(), "answered while the hub was cut off"
            proxy.restore()
            answered = await asked
            assert answered["ok"] and answered["result"]["ticket"]["no"] == "A002", answered
            await c.wait_latest(status, state_is("online"), ANSWER_S)
            again = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="cut")
            assert again == answered


async def test_messages_in_flight_when_the_link_is_cut_are_sent_again(
    fault_hall: FaultHall,
) -> None:
    """What the link had handed to the broker but not yet seen acknowledged when the
    connection went is published again on the next connection: a subscriber gets every
    message (perhaps one twice), none is lost."""
    hall = fault_hall
    count = 3_000
    topic = f"hall/{hall.hall_id}/events"
    async with (
        fault_proxy(hall.mosquitto.host, hall.mosquitto.port) as proxy,
        aiomqtt.Client(hall.mosquitto.host, hall.mosquitto.port, identifier="sub") as listener,
    ):
        await listener.subscribe(topic, qos=1)
        link = MqttLink(Endpoint("127.0.0.1", proxy.port), f"cut-{hall.hall_id}")
        received: set[bytes] = set()

        async def listen() -> None:
            async for message in listener.messages:
                assert isinstance(message.payload, bytes)
                received.add(message.payload)
                if len(received) == count:
                    return

        async def ignore(_topic: str, _payload: bytes) -> None:
            return None

        async with background(link.run(ignore), link.connected):
            proxy.latency_s = 0.01  # many messages wait for their acknowledgements at once
            for n in range(count):
                link.publish(topic, b"%d" % n)
            await eventually(lambda: link.stats.published >= count // 3, "a third sent", 30)
            proxy.cut()
            await eventually(lambda: not link.connected.is_set(), "the link noticed", 30)
            proxy.latency_s = 0.0
            proxy.restore()
            await asyncio.wait_for(listen(), 60)
    assert received == {b"%d" % n for n in range(count)}


async def test_healthz_says_the_broker_is_not_delivering_within_seconds(
    fault_hall: FaultHall,
) -> None:
    """A broker that keeps the connection open but no longer delivers (frozen, or its link
    a black hole): /healthz says so within the probe's interval and `DELIVERY_SUSPECT_S`,
    well before the connection is given up, and is "ok" again once it delivers."""
    hall = fault_hall
    http_port = free_port()
    url = f"http://127.0.0.1:{http_port}/healthz"

    async def health() -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as response:
            report: dict[str, Any] = await response.json()
            report["http_status"] = response.status
            return report

    async with fault_proxy(hall.mosquitto.host, hall.mosquitto.port) as proxy:
        config = hall.config_through(proxy.port, http_port=http_port)
        async with hall_run(config, hall.log):

            async def healthy() -> bool:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    return bool((await health())["status"] == "ok")
                return False

            await eventually(healthy, "the hub up", timeout=ANSWER_S)
            proxy.blackhole()
            frozen = time.monotonic()
            seen: dict[str, Any] = {}

            async def said() -> bool:
                seen.update(await health())
                return seen["broker"] is False

            await eventually(said, "/healthz saying the broker does not deliver", timeout=15)
            took = time.monotonic() - frozen
            assert took < PROBE_INTERVAL_S + DELIVERY_SUSPECT_S + 1.5, took
            assert seen["status"] == "degraded" and seen["http_status"] == 503, seen
            proxy.restore()
            await eventually(healthy, "the hub healthy again", timeout=ANSWER_S)
