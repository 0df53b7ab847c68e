"""Bounded HTTP against a real hub: thousands of idle sockets, the connection cap, a slowloris,
idle keep-alive and slow bodies; and the open-file limit and the quiet accept errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from hall.hub.http_server import FD_RESERVE, connection_cap, quiet_accept_errors
from hall.hub.runtime import Running
from tests.integration.conftest import running_hub
from tests.support import write_hall_config

from .conftest import PASSWORD, sign_in

IDLE_CONNECTIONS = 2000
CLOSE_WAIT_S = 10.0  # a bound for the hub to close a connection it should close


@contextlib.asynccontextmanager
async def hub_with_http(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str, **http: Any
) -> AsyncIterator[Running]:
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        http=http,
        users=[{"name": "admin", "password_hash": password_hash, "role": "manager"}],
    )
    async with running_hub(path) as running:
        yield running


def address(hub: Running) -> tuple[str, int]:
    parts = urlsplit(hub.http_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def open_idle(hub: Running, count: int) -> list[asyncio.StreamWriter]:
    """`count` connections that say nothing (opened in batches: the listen backlog)."""
    host, port = address(hub)
    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 200):
        opened = await asyncio.gather(
            *(asyncio.open_connection(host, port) for _ in range(min(200, count - start)))
        )
        writers.extend(writer for _reader, writer in opened)
    return writers


async def close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
    for writer in writers:
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def raw_request(hub: Running, request: bytes) -> bytes:
    """Send `request` on a new connection; everything the hub answers until it closes."""
    host, port = address(hub)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), CLOSE_WAIT_S)
    finally:
        writer.close()


async def test_2000_idle_connections_leave_the_hall_served(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * IDLE_CONNECTIONS + 2 * FD_RESERVE:
        pytest.skip(f"the open-file limit {soft} cannot hold both ends of 2,000 connections")
    async with hub_with_http(tmp_path, hall_id, mqtt_url, redis_url, password_hash) as hub:
        idle = await open_idle(hub, IDLE_CONNECTIONS)
        try:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                async with http.get(hub.http_url + "/healthz") as response:
                    assert response.status == 200
                    assert (await response.json())["status"] == "ok"
                await sign_in(http, hub, "admin", PASSWORD)
                ws_url = "ws" + hub.http_url[len("http") :] + "/ws/dashboard"
                async with http.ws_connect(ws_url, origin=hub.http_url) as ws:
                    first = await ws.receive_json(timeout=10)
                    assert first["type"] == "snapshot"
        finally:
            await close_all(idle)


async def test_at_the_cap_one_more_connection_is_answered_503_and_the_rest_are_served(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    async with hub_with_http(
        tmp_path, hall_id, mqtt_url, redis_url, password_hash, max_connections=16
    ) as hub:
        idle = await open_idle(hub, 16)
        try:
            answer = await raw_request(hub, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"Retry-After: 5" in answer
        finally:
            await close_all(idle)
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(hub.http_url + "/healthz") as response:
                        return response.status == 200
                return False

            for _ in range(50):  # the closed connections are let go as the hub notices them
                if await healthy():
                    break
                await asyncio.sleep(0.1)
            assert await healthy()


async def test_a_slowloris_is_closed_at_the_header_timeout(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    async with hub_with_http(
        tmp_path, hall_id, mqtt_url, redis_url, password_hash, header_timeout_s=0.5
    ) as hub:
        host, port = address(hub)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")

        async def dribble() -> None:
            with contextlib.suppress(ConnectionError):
                for n in range(1000):  # one header byte at a time, never the blank line
                    writer.write(b"X-Slow: " if n % 40 == 0 else b"a\r\n" if n % 40 == 39 else b"a")
                    await writer.drain()
                    await asyncio.sleep(0.05)

        dribbling = asyncio.create_task(dribble())
        try:
            # The hub closes it: EOF, no answer (or a reset).
            with contextlib.suppress(ConnectionError):
                assert await asyncio.wait_for(reader.read(), CLOSE_WAIT_S) == b""
        finally:
            dribbling.cancel()
            writer.close()
        # A prompt client is served as before.
        answer = await raw_request(
            hub, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 200 ")


async def test_an_idle_keep_alive_connection_is_closed_and_a_slow_body_gets_408(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    async with hub_with_http(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        password_hash,
        idle_timeout_s=0.5,
        body_timeout_s=0.5,
    ) as hub:
        host, port = address(hub)
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status = await asyncio.wait_for(reader.readline(), CLOSE_WAIT_S)
            assert status.startswith(b"HTTP/1.1 200 ")
            rest = await asyncio.wait_for(reader.read(), CLOSE_WAIT_S)  # until the hub closes
            assert b'"status"' in rest
        finally:
            writer.close()

        answer = await raw_request(
            hub,
            b"POST /login HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"name=admin",
        )
        assert answer.startswith(b"HTTP/1.1 408 ")


def test_the_cap_keeps_files_for_the_broker_and_redis() -> None:
    assert connection_cap(4096, 1024) == 1024 - FD_RESERVE
    assert connection_cap(4096, 65536) == 4096
    assert connection_cap(100, 100) == 16  # never below a usable minimum


def test_the_soft_open_file_limit_is_raised_to_the_hard_one() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
    code = (
        "import resource, logging\n"
        "logging.basicConfig(level=logging.INFO)\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({low}, resource.getrlimit("
        "resource.RLIMIT_NOFILE)[1]))\n"
        "from hall.hub.http_server import raise_file_limit\n"
        "print(raise_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    now, soft_now = (int(v) for v in done.stdout.split())
    expected = (1 << 20) if hard == resource.RLIM_INFINITY else hard
    assert now == soft_now == expected
    if low < expected:
        assert f"open files: limit raised from {low} to {expected}" in done.stderr


async def test_failed_accepts_are_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    undo = quiet_accept_errors(loop)
    try:
        with caplog.at_level(logging.ERROR, logger="hall.http"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(24, "Too many open files"),
                    }
                )
        assert len([r for r in caplog.records if r.name == "hall.http"]) == 1
    finally:
        undo()
