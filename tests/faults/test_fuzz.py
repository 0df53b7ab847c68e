"""100,000 mutated payloads on every device topic (`req` and `status` of every device of the
hall file, and of devices it does not know) and through the WebSocket bridge: the hub's memory
is measured before and after (and reported), and the hub then still answers correctly."""

from __future__ import annotations

import asyncio
import os
import tomllib
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
import pytest

from tests.integration.contract_client import ContractClient
from tests.support import hall_run

from .conftest import FaultHall
from .mutations import payloads

TOTAL = 100_000
OVER_WEBSOCKET = 5_000  # of them, sent through /ws/device/<id>
SEED = 20240501
RSS_GROWTH_LIMIT_KIB = 128 * 1024  # a leak of a few hundred bytes a message would pass this
ANSWER_S = 120.0  # the first answer after the flood: the hub works through it in order


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def online(data: Any) -> bool:
    return isinstance(data, dict) and data.get("state") == "online"


async def settle(c: ContractClient) -> None:
    """An answered request: everything sent before it on that topic was taken in."""
    answer = await c.request("pad-2", "ticket.status", {"no": "Z999"}, timeout=ANSWER_S)
    assert answer["ok"] is False and answer["error"]["code"] == "not_found", answer


async def flood_mqtt(hall: FaultHall, topics: list[str], count: int) -> None:
    async with aiomqtt.Client(hall.mosquitto.host, hall.mosquitto.port) as fuzzer:
        for n, payload in enumerate(payloads(SEED, count)):
            await fuzzer.publish(topics[n % len(topics)], payload, qos=0)
            if n % 500 == 0:
                await asyncio.sleep(0)  # let the client's loop write


async def flood_websocket(http: str, devices: list[str], count: int) -> int:
    sent = 0
    async with aiohttp.ClientSession() as session:
        sockets = []
        for device in devices:
            try:
                sockets.append(await session.ws_connect(f"{http}/ws/device/{device}"))
            except aiohttp.WSServerHandshakeError:
                continue  # a device with a token: not reachable without it
        assert sockets, "no device page could connect"
        for n, payload in enumerate(payloads(SEED + 1, count)):
            ws = sockets[n % len(sockets)]
            if n % 2:
                await ws.send_bytes(payload)
            else:
                await ws.send_str(payload.decode("utf-8", "replace"))
            sent += 1
        for ws in sockets:
            await ws.close()
    return sent


async def test_a_fuzz_flood_leaves_the_hub_answering(
    fault_hall: FaultHall, capsys: pytest.CaptureFixture[str]
) -> None:
    hall = fault_hall
    with hall.config.open("rb") as f:
        doc = tomllib.load(f)
    devices = [d["id"] for d in doc["devices"]]
    root = f"hall/{hall.hall_id}"
    topics = [
        f"{root}/dev/{d}/{leaf}"
        for d in [*devices, "ghost", "x" * 40]
        for leaf in ("req", "status")
    ]
    http = f"http://{doc['http']['listen']}"
    client = ContractClient(
        hall.mosquitto.host, hall.mosquitto.port, hall.hall_id, f"fz-{os.getpid()}"
    )
    async with hall_run(hall.config, hall.log) as hub, client as c:
        await c.wait_latest(c.topic("hub/status"), online, 15)
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await settle(c)
        before = rss_kib(hub.pid)
        await flood_mqtt(hall, topics, TOTAL - OVER_WEBSOCKET)
        sent = await flood_websocket(
            http, ["kiosk-1", "pad-1", "web-kiosk", "web-pad-5"], OVER_WEBSOCKET
        )
        assert sent == OVER_WEBSOCKET
        await settle(c)
        after = rss_kib(hub.pid)
        assert hub.returncode is None, hall.log_tail()

        # Still answering correctly: a ticket, its status, a call.
        ticket = (await c.ok("kiosk-1", "ticket.take", {"service": "B"}, timeout=30))["ticket"]
        status = (await c.ok("kiosk-1", "ticket.status", {"no": ticket["no"]}))["ticket"]
        assert status["no"] == ticket["no"] and status["state"] == "waiting"
        again = await c.request("kiosk-1", "ticket.take", {"service": "B"}, request_id="same")
        assert (
            await c.request("kiosk-1", "ticket.take", {"service": "B"}, request_id="same") == again
        )
        assert await c.error("kiosk-1", "ticket.take", {"service": "Q"}) == "unknown_service"
    growth = after - before
    with capsys.disabled():
        print(
            f"\nfuzz: {TOTAL} mutated payloads ({OVER_WEBSOCKET} over WebSockets); hub RSS "
            f"{before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
            f"({growth / 1024:+.1f} MiB)"
        )
    assert growth < RSS_GROWTH_LIMIT_KIB, f"RSS grew by {growth} KiB"
