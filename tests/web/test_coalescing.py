"""Per-client coalescing: a burst of changes gives each dashboard at most ~4 snapshots a
second, and a client that never reads does not hold back the others."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from hall.hub.runtime import Running
from hall.web.live import LIVE, Live
from hall.web.mailbox import Mailbox
from tests.integration.contract_client import ContractClient

from .conftest import open_dashboard, sign_in, waiting

BURST = 200


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path], password_hash: str) -> Path:
    """A hall where every ticket waiting a second is an alarm: big snapshots, many events."""
    return hall_file(
        users=[{"name": "admin", "password_hash": password_hash, "role": "manager"}],
        supervision={"wait_target_s": 1},
    )


def live_of(hub: Running) -> Live:
    return hub.app[LIVE]


async def stalled_dashboard(hub: Running, cookie: str) -> asyncio.StreamWriter:
    """A dashboard connection that completes the handshake and then never reads."""
    parts = urlsplit(hub.http_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # a tiny TCP window
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/dashboard HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {hub.http_url}\r\nCookie: hall_session={cookie}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.startswith(b"HTTP/1.1 101"), status
    return writer  # from here on nothing is read


async def test_a_burst_gives_each_dashboard_at_most_about_4_snapshots_a_second(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    cookie = await sign_in(http, web_hub)
    stalled = await stalled_dashboard(web_hub, cookie)
    arrivals: list[float] = []
    async with await open_dashboard(http, web_hub) as ws:

        async def read_until_all_taken() -> None:
            async for message in ws:
                data = json.loads(message.data)
                if data["type"] == "snapshot":
                    arrivals.append(time.monotonic())
                    if waiting(data, "A") == BURST:
                        return

        reader = asyncio.create_task(read_until_all_taken())
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                mqtt.request("kiosk-2", "ticket.take", {"service": "A"}, request_id=f"b{n}")
                for n in range(BURST)
            )
        )
        burst_s = time.monotonic() - started
        await asyncio.wait_for(reader, 15)  # the last change reaches the client
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:3]
    during = [when for when in arrivals if when >= started]
    window = max(during[-1] - started, burst_s)
    # A behaviour check with a generous bound, not a benchmark.
    assert len(during) <= 4 * window + 2, (len(during), window)
    stalled.close()


async def test_a_stalled_client_does_not_delay_the_others(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    cookie = await sign_in(http, web_hub)
    stalled_writer = await stalled_dashboard(web_hub, cookie)
    live = live_of(web_hub)
    stalled: Mailbox = next(iter(live.dashboards))
    await asyncio.gather(
        *(mqtt.ok("kiosk-2", "ticket.take", {"service": "A"}) for _ in range(BURST))
    )
    async with await open_dashboard(http, web_hub) as ws:
        await next_snapshot(ws, lambda d: len(d["alarms"]) >= BURST)  # big snapshots now
        delays: list[float] = []
        for n in range(200):  # changes, each a new snapshot, until the stalled one is stuck
            sent = time.monotonic()
            await ws.send_json({"type": "notice", "ref": f"n{n}", "text": f"通知 {n}"})
            await next_snapshot(ws, lambda d, n=n: d["notice"] == f"通知 {n}")
            delays.append(time.monotonic() - sent)
            since = stalled.sending_since
            if since is not None and time.monotonic() - since > 1.0 and n >= 8:
                break
        else:
            pytest.fail("the stalled client never stalled: its buffers took everything")
    assert stalled.replaced >= 1  # it gets only the newest snapshot when it is ready again
    # Each change reached the reading client promptly although the other one is stuck.
    assert max(delays[-8:]) < 2.0, delays
    stalled_writer.close()


async def next_snapshot(
    ws: aiohttp.ClientWebSocketResponse, predicate: Any, timeout: float = 10.0
) -> dict[str, Any]:
    async def seek() -> dict[str, Any]:
        async for message in ws:
            data = json.loads(message.data)
            if data["type"] == "snapshot" and predicate(data["data"]):
                return dict(data["data"])
        raise AssertionError("the dashboard connection ended")

    return await asyncio.wait_for(seek(), timeout)
