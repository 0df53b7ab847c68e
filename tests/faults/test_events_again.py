"""Events a killed hub had not handed to the broker are sent by the hub that takes the hall
after it: an integration following `hall/<id>/events` misses no `seq`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiomqtt

from hall.contract.ports import free_port
from tests.support import eventually, hall_document, hall_run

from .conftest import FaultHall
from .proxy import fault_proxy

TOKEN = "kiosk-1-page-token-0123456789"
UP_S = 30.0


@contextlib.asynccontextmanager
async def events_seen(hall: FaultHall) -> AsyncIterator[dict[int, dict[str, Any]]]:
    """Every event on the hall's events topic, by seq, as the broker delivers them."""
    seen: dict[int, dict[str, Any]] = {}
    host, port = hall.mosquitto.host, hall.mosquitto.port
    async with aiomqtt.Client(host, port, identifier=f"{hall.hall_id}-integration") as client:
        await client.subscribe(f"hall/{hall.hall_id}/events", qos=1)

        async def listen() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                event = json.loads(message.payload)
                seen[int(event["seq"])] = event

        task = asyncio.create_task(listen())
        try:
            yield seen
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def take_on_the_page(http_port: int, request_id: str) -> str:
    """A ticket taken by the kiosk's page over the hub's WebSocket (not through the broker)."""
    url = f"http://127.0.0.1:{http_port}/ws/device/kiosk-1?token={TOKEN}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        request = {"id": request_id, "op": "ticket.take", "args": {"service": "A"}}
        await ws.send_str(json.dumps(request))
        while True:
            reply = json.loads((await ws.receive(timeout=10)).data)
            if reply.get("id") == request_id:
                assert reply["ok"], reply
                return str(reply["result"]["ticket"]["no"])


async def test_events_a_killed_hub_had_not_sent_are_sent_by_the_next(
    fault_hall: FaultHall,
) -> None:
    hall = fault_hall
    http_port = free_port()
    async with fault_proxy(hall.mosquitto.host, hall.mosquitto.port) as proxy:
        devices = [
            dict(d)
            for d in hall_document(hall.hall_id, hall.mosquitto.url, hall.redis.url)["devices"]
        ]
        for device in devices:
            if device["id"] == "kiosk-1":
                device["token"] = TOKEN
        config = hall.config_through(proxy.port, http_port=http_port, devices=devices)
        async with events_seen(hall) as seen:
            async with hall_run(config, hall.log) as first:

                async def up() -> bool:
                    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                        await take_on_the_page(http_port, "before-1")
                        return True
                    return False

                await eventually(up, "the first hub serving", timeout=UP_S)
                await take_on_the_page(http_port, "before-2")
                await eventually(lambda: len(seen) == 2, "the first two events", timeout=UP_S)
                await asyncio.sleep(1.5)  # the hub keeps the mark of what the broker has
                # The broker stops getting anything from the hub; the page still takes tickets.
                proxy.blackhole()
                unsent = [await take_on_the_page(http_port, f"unsent-{n}") for n in range(3)]
                await asyncio.sleep(0.5)
                assert len(seen) == 2, seen
                first.send_signal(signal.SIGKILL)
                await asyncio.wait_for(first.wait(), 10)
            proxy.restore()
            async with hall_run(config, hall.log):
                await eventually(lambda: len(seen) >= 5, "the unsent events", timeout=UP_S)
                after = await take_on_the_page(http_port, "after")
                await eventually(lambda: len(seen) >= 6, "the next hub's own event", timeout=UP_S)
                metrics_url = f"http://127.0.0.1:{http_port}/metrics"
                async with aiohttp.ClientSession() as session, session.get(metrics_url) as r:
                    metrics = await r.text()
    # The three unsent, and the two before if the mark of them had not been written yet.
    again = next(line for line in metrics.splitlines() if line.startswith("hall_events_sent_again"))
    assert 3 <= float(again.split()[1]) <= 5, again
    assert sorted(seen) == list(range(1, 7)), sorted(seen)
    taken = [seen[seq]["ticket"]["no"] for seq in sorted(seen)]
    assert taken[2:5] == unsent and taken[5] == after, taken
    assert all(seen[seq]["type"] == "ticket.taken" for seq in seen)
