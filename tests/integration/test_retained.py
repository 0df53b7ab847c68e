"""Retained topics: what a device or screen that joins late gets at once on subscribing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from datetime import datetime
from typing import Any

import aiomqtt
import pytest

from hall.hub.runtime import Running

from .contract_client import NODELAY, ContractClient
from .halls import outside_client

pytestmark = pytest.mark.usefixtures("redis_client")

WINDOW_1_DEVICES = ("pad-1", "caller-1", "eval-1", "led-1")


def is_online(data: Any) -> bool:
    return isinstance(data, dict) and data.get("state") == "online"


async def test_a_late_joiner_gets_the_hall_as_it_is(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    for _ in range(14):
        await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await c.ok("kiosk-2", "ticket.take", {"service": "C"})
    for n in range(1, 13):
        assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == f"A{n:03d}"
    # What the hub has published last, as the client that watched it all saw it.
    status = await c.wait_latest(c.topic("hub/status"), is_online)
    await c.wait_latest(c.topic("state", "led-1"), lambda d: d["ticket"] == "A012")
    await c.wait_latest(c.topic("board"), lambda d: d["calls"][0]["ticket"] == "A012")
    await c.wait_latest(
        c.topic("services"),
        lambda d: [s["waiting"] for s in d["services"]] == [2, 0, 1],
    )

    async with outside_client(hub, c.hall, "late") as late:
        hub_status = await late.wait_latest(late.topic("hub/status"), is_online)
        assert hub_status == {**hub_status, "state": "online", "epoch": status["epoch"]}
        assert isinstance(hub_status["epoch"], int) and hub_status["epoch"] >= 1

        # Every device bound to window 1 gets the same state, with the LED text.
        states = {
            device: await late.wait_latest(late.topic("state", device), lambda d: True)
            for device in WINDOW_1_DEVICES
        }
        first = states["pad-1"]
        assert first == {
            **first,
            "window": "1",
            "state": "open",
            "ticket": "A012",
            "text": "请A012号",
        }
        assert all(state == first for state in states.values()), states
        closed = await late.wait_latest(late.topic("state", "led-2"), lambda d: True)
        assert closed == {**closed, "window": "2", "state": "closed", "ticket": None}
        assert isinstance(closed["text"], str)

        # The board: the 10 newest calls, newest first, and who waits.
        board = await late.wait_latest(late.topic("board"), lambda d: True)
        assert [call["ticket"] for call in board["calls"]] == [
            f"A{n:03d}" for n in range(12, 2, -1)
        ]
        assert {call["window"] for call in board["calls"]} == {"1"}
        moments = [datetime.fromisoformat(call["at"]) for call in board["calls"]]
        assert moments == sorted(moments, reverse=True)
        assert board["waiting"] == {"A": 2, "B": 0, "C": 1}

        # Guidance: each service with its waiting count, estimate and whether it is open.
        services = await late.wait_latest(late.topic("services"), lambda d: True)
        by_code = {s["code"]: s for s in services["services"]}
        assert set(by_code) == {"A", "B", "C"}
        for code, waiting, is_open in (("A", 2, True), ("B", 0, True), ("C", 1, False)):
            service = by_code[code]
            assert service["waiting"] == waiting and service["open"] is is_open, service
            if is_open and service["eta_s"] is None:
                # Open, but further than the forecast plays out: a hub started seconds ago
                # reads the burst of A tickets as the rate of the hour to come, and window 1
                # prefers A to B. Never "no window" for a service a window serves.
                assert service["eta_reason"] == "beyond_horizon", service
            elif is_open:
                assert isinstance(service["eta_s"], int) and service["eta_s"] >= 0, service
                assert "eta_reason" not in service, service
            else:  # no window with a clerk signed in serves it: no estimate, and why
                assert service["eta_s"] is None, service
                assert service["eta_reason"] == "no_window_open", service

        # All of it came as retained messages, not as news.
        for topic in (
            late.topic("hub/status"),
            late.topic("board"),
            late.topic("services"),
            *(late.topic("state", device) for device in (*WINDOW_1_DEVICES, "led-2")),
        ):
            assert topic in late.retained, f"{topic} was not retained"


async def test_a_device_that_drops_off_is_left_offline(
    hub: Running, client: ContractClient
) -> None:
    c = client
    status_topic = c.topic("status", "pad-2")
    offline = json.dumps({"state": "offline"})
    will = aiomqtt.Will(status_topic, offline, qos=1, retain=True)
    endpoint = hub.endpoint
    device = aiomqtt.Client(
        endpoint.host, endpoint.port, identifier="pad-2", will=will, socket_options=NODELAY
    )
    await device.__aenter__()
    try:
        await device.publish(status_topic, json.dumps({"state": "online"}), qos=1, retain=True)
        await c.wait_latest(status_topic, is_online)
        # The device is still a device: the hub answers it.
        assert (await c.ok("pad-2", "window.open", {"staff": "S002"}))["window"]["id"] == "2"

        # Power cut: the connection ends without a DISCONNECT, so the broker sends the will.
        sock = device._client.socket()
        assert sock is not None
        sock.shutdown(socket.SHUT_RDWR)
        await c.wait_latest(status_topic, lambda d: d == {"state": "offline"}, timeout=10)
    finally:
        # The device's own goodbye fails: its connection is gone.
        with contextlib.suppress(aiomqtt.MqttError, OSError):
            await device.__aexit__(None, None, None)
        # The lost connection is what this test is about: take its error, nobody else will.
        with contextlib.suppress(aiomqtt.MqttError):
            await asyncio.wait_for(device._disconnected, 5)

    async with outside_client(hub, c.hall, "late") as late:
        seen = await late.wait_latest(status_topic, lambda d: True)
        assert seen == {"state": "offline"}
        assert late.retained.get(status_topic) == {"state": "offline"}
