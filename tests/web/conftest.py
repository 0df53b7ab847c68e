"""A real hub (real broker and Redis) on a hall with dashboard users, and helpers for its web
side."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.hub.runtime import Running
from hall.web.sessions import hash_password
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client
from tests.support import DEMO_HALL

PASSWORD = "正确的马 battery staple"
API_TOKEN = "watch-token-0123456789"
KIOSK_TOKEN = "kiosk-2-token-0123456789"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


def demo_devices(**tokens: str) -> list[dict[str, Any]]:
    """The demo hall's devices, with `token` set on the named ones."""
    with DEMO_HALL.open("rb") as f:
        devices: list[dict[str, Any]] = tomllib.load(f)["devices"]
    for device in devices:
        if device["id"] in tokens:
            device["token"] = tokens[device["id"]]
    return devices


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path], password_hash: str) -> Path:
    """The demo hall with dashboard users, an API client, a kiosk's token, a screen notice and
    low thresholds for the waiting alarms."""
    return hall_file(
        users=[
            {"name": "admin", "password_hash": password_hash, "role": "manager"},
            {"name": "guest", "password_hash": password_hash, "role": "viewer"},
        ],
        api_clients=[{"id": "watcher", "token": API_TOKEN}],
        supervision={"waiting_yellow": 1, "waiting_orange": 5, "waiting_red": 300},
        screen={"notice": "欢迎光临"},
        devices=demo_devices(**{"kiosk-2": KIOSK_TOKEN}),
    )


@pytest.fixture
def web_hub(hub: Running) -> Running:
    """The hub whose web side the test looks at."""
    return hub


@pytest.fixture
async def mqtt(web_hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    async with online_client(web_hub, hall_id, "web") as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: keep cookies from an IP-address host (the hub listens on 127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(
    http: aiohttp.ClientSession, hub: Running, name: str = "admin", password: str = PASSWORD
) -> str:
    """Sign in; the session cookie's value (also kept in the session's jar)."""
    async with http.post(
        hub.http_url + "/login",
        data={"name": name, "password": password},
        allow_redirects=False,
    ) as response:
        assert response.status == 303, await response.text()
        return response.cookies["hall_session"].value


def ws_url(hub: Running, path: str) -> str:
    return "ws" + hub.http_url[len("http") :] + path


async def open_dashboard(
    http: aiohttp.ClientSession, hub: Running
) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(ws_url(hub, "/ws/dashboard"), origin=hub.http_url)


async def closed_by_hub(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> bool:
    """Does the hub close this socket (the messages before the close are skipped)?"""

    async def seek() -> bool:
        while True:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                return message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

    return await asyncio.wait_for(seek(), timeout)


async def next_message(
    ws: aiohttp.ClientWebSocketResponse,
    kind: str,
    predicate: Callable[[dict[str, Any]], bool] = lambda _m: True,
    timeout: float = 10.0,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The next message of type `kind` that satisfies `predicate` (others are skipped and,
    when `seen` is given, collected there)."""

    async def seek() -> dict[str, Any]:
        while True:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"the connection ended: {message}")
            data: dict[str, Any] = json.loads(message.data)
            if seen is not None:
                seen.append(data)
            if data.get("type") == kind and predicate(data):
                return data

    return await asyncio.wait_for(seek(), timeout)


class Inbox:
    """Every message of a connection, kept: `next` finds the first one not yet taken of a
    type (and predicate), whether it already came or is still to come."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.taken: set[int] = set()

    async def next(
        self,
        kind: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _m: True,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        async def seek() -> dict[str, Any]:
            index = 0
            while True:
                while index < len(self.seen):
                    data = self.seen[index]
                    if index not in self.taken and data.get("type") == kind and predicate(data):
                        self.taken.add(index)
                        return data
                    index += 1
                message = await self.ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"the connection ended: {message}")
                self.seen.append(json.loads(message.data))

        return await asyncio.wait_for(seek(), timeout)


@contextlib.asynccontextmanager
async def device_page(
    http: aiohttp.ClientSession, hub: Running, device: str
) -> AsyncIterator[tuple[aiohttp.ClientWebSocketResponse, Inbox]]:
    """A page acting as the contract device `device` (/ws/device/<device>), with the inbox of
    what it receives."""
    async with http.ws_connect(ws_url(hub, f"/ws/device/{device}")) as ws:
        yield ws, Inbox(ws)


def waiting(snapshot: dict[str, Any], code: str) -> int:
    return int(next(s["waiting"] for s in snapshot["data"]["services"] if s["code"] == code))
