"""Broker logins and topic rules, on a real Mosquitto with the files `hall acl` writes and on
the embedded broker: a device publishes only its own requests, reads only its own answers,
cannot take another's client id, and the hub works."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hall.cli.main import main
from hall.contract.access import mosquitto_hash
from tests.conftest import PrivateMosquittoFactory
from tests.support import free_port, write_hall_config

from .conftest import running_hub

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
PASSWORDS = {"kiosk-1": "k1-secret", "kiosk-2": "k2-secret", "pad-1": "p1-secret"}
MONITOR_PASSWORD = "monitor-secret"
HUB_PASSWORD = "hub-secret"
QUIET_S = 1.0  # how long "nothing arrives" is watched for, after an answer that came later


def secured_devices() -> list[dict[str, Any]]:
    devices: list[dict[str, Any]] = [
        {"id": "kiosk-1", "kind": "kiosk"},
        {"id": "kiosk-2", "kind": "kiosk"},
        {"id": "pad-1", "kind": "window_pad", "window": "1"},
    ]
    for device in devices:
        device["password_hash"] = mosquitto_hash(PASSWORDS[device["id"]])
    return devices


def write_secured_hall(
    tmp_path: Path, hall_id: str, broker: dict[str, Any], redis_url: str
) -> Path:
    """The hall with three devices and an integration account, each with its password hash;
    `broker` is merged into `[broker]` (`"url": None` for the embedded broker)."""
    monitor = {
        "name": "monitor",
        "role": "integration",
        "password_hash": mosquitto_hash(MONITOR_PASSWORD),
    }
    return write_hall_config(
        tmp_path,
        hall_id,
        "mqtt://127.0.0.1:1",
        redis_url,
        broker={**broker, "accounts": [monitor]},
        devices=secured_devices(),
    )


@pytest.fixture(params=["mosquitto", "embedded"])
async def secured(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    hall_id: str,
    redis_url: str,
    private_mosquitto: PrivateMosquittoFactory,
) -> AsyncIterator[int]:
    """A hub on a broker that holds every login to its rules; yields the broker's port."""
    if request.param == "mosquitto":
        port = free_port()
        url = f"mqtt://hub:{HUB_PASSWORD}@127.0.0.1:{port}"
        config = write_secured_hall(tmp_path, hall_id, {"url": url}, redis_url)
        out = tmp_path / "acl"
        assert main(["acl", "--config", str(config), "--out", str(out)]) == 0
        broker = private_mosquitto(
            "allow_anonymous false\n"
            f"password_file {out / 'hall.passwd'}\n"
            f"acl_file {out / 'hall.acl'}\n"
            "use_username_as_clientid true\n"
        )
        # The broker chose its own free port: point the hall file at it.
        config.write_text(
            config.read_text(encoding="utf-8").replace(f":{port}", f":{broker.port}"),
            encoding="utf-8",
        )
        port = broker.port
    else:
        port = free_port()
        broker_table = {"url": None, "listen": f"127.0.0.1:{port}"}
        config = write_secured_hall(tmp_path, hall_id, broker_table, redis_url)
    async with running_hub(config) as running:
        await asyncio.wait_for(running.hub.ready.wait(), 10)
        yield port


@contextlib.asynccontextmanager
async def login(
    port: int, user: str | None, password: str | None, client_id: str | None = None
) -> AsyncIterator[aiomqtt.Client]:
    client = aiomqtt.Client(
        "127.0.0.1",
        port,
        identifier=client_id if client_id is not None else user,
        username=user,
        password=password,
        socket_options=NODELAY,
        timeout=5,
    )
    async with client:
        yield client


class Inbox:
    """Every message a client receives, collected in the background."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.got: list[tuple[str, Any]] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            with contextlib.suppress(ValueError):
                self.got.append((str(message.topic), json.loads(payload) if payload else None))

    def on(self, topic: str) -> list[Any]:
        return [data for t, data in self.got if t == topic]

    async def answer(self, topic: str, request_id: str, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for data in self.on(topic):
                    if isinstance(data, dict) and data.get("id") == request_id:
                        return data
                await asyncio.sleep(0.02)

    def stop(self) -> None:
        self._task.cancel()


def req(request_id: str, op: str, args: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"id": request_id, "op": op, "args": args or {}}).encode()


async def test_anonymous_and_wrong_passwords_are_refused(secured: int) -> None:
    for user, password in ((None, None), ("kiosk-1", "wrong"), ("nobody", "x")):
        with pytest.raises(aiomqtt.MqttError):
            async with login(secured, user, password, client_id=user or "anonymous-1"):
                pass


async def test_each_device_reaches_only_its_own_topics(secured: int, hall_id: str) -> None:
    root = f"hall/{hall_id}"
    async with (
        login(secured, "kiosk-1", PASSWORDS["kiosk-1"]) as kiosk1,
        login(secured, "kiosk-2", PASSWORDS["kiosk-2"]) as kiosk2,
        login(secured, "monitor", MONITOR_PASSWORD) as monitor,
    ):
        own, spy, watch = Inbox(kiosk1), Inbox(kiosk2), Inbox(monitor)
        await kiosk1.subscribe(f"{root}/dev/kiosk-1/res", qos=1)
        # kiosk-2 tries to listen to kiosk-1's answers and to every request; the broker refuses
        # the subscriptions or delivers nothing on them.
        for topic in (f"{root}/dev/kiosk-1/res", f"{root}/dev/+/req", f"{root}/events"):
            with contextlib.suppress(aiomqtt.MqttError):
                await kiosk2.subscribe(topic, qos=1)
        await monitor.subscribe(f"{root}/events", qos=1)
        # kiosk-2 publishes a request in kiosk-1's name: never carried out.
        await kiosk2.publish(
            f"{root}/dev/kiosk-1/req", req("forged", "ticket.take", {"service": "A"}), qos=1
        )
        await kiosk1.publish(
            f"{root}/dev/kiosk-1/req", req("genuine", "ticket.take", {"service": "A"}), qos=1
        )
        answer = await own.answer(f"{root}/dev/kiosk-1/res", "genuine")
        assert answer["ok"], answer
        assert answer["result"]["ticket"]["no"] == "A001"  # the forged take issued nothing
        await asyncio.sleep(QUIET_S)
        assert [d["id"] for d in own.on(f"{root}/dev/kiosk-1/res")] == ["genuine"]
        assert spy.got == [], spy.got
        # The integration account reads the events, devices do not.
        assert any(e.get("type") == "ticket.taken" for e in watch.on(f"{root}/events"))
        for inbox in (own, spy, watch):
            inbox.stop()


async def test_no_login_takes_another_ones_session(secured: int, hall_id: str) -> None:
    root = f"hall/{hall_id}"
    async with login(secured, "kiosk-1", PASSWORDS["kiosk-1"]) as kiosk1:
        own = Inbox(kiosk1)
        await kiosk1.subscribe(f"{root}/dev/kiosk-1/res", qos=1)
        for taken_id in ("kiosk-1", f"hub-{hall_id}"):
            # kiosk-2's login with another's client id: refused, or given its own session.
            with contextlib.suppress(aiomqtt.MqttError):
                async with login(secured, "kiosk-2", PASSWORDS["kiosk-2"], client_id=taken_id):
                    await asyncio.sleep(0.3)
        # kiosk-1's connection and the hub's are both still there: a request is answered.
        await kiosk1.publish(
            f"{root}/dev/kiosk-1/req", req("after", "ticket.take", {"service": "A"}), qos=1
        )
        answer = await own.answer(f"{root}/dev/kiosk-1/res", "after")
        assert answer["ok"], answer
        own.stop()
