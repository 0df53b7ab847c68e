"""/ws/screen and the device bridge /ws/device/<device>, against a real hub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import websockets

from hall.hub.runtime import Running
from hall.web.pages import STATIC_DIR
from tests.integration.contract_client import ContractClient

from .conftest import KIOSK_TOKEN, device_page, next_message, ws_url


async def test_the_screen_shows_calls_and_announces_them_after_the_board(
    web_hub: Running, mqtt: ContractClient
) -> None:
    # An independent client: the `websockets` library, as a browser would connect.
    async with websockets.connect(ws_url(web_hub, "/ws/screen")) as screen:
        first = json.loads(await asyncio.wait_for(screen.recv(), 5))
        assert first["type"] == "screen"
        assert first["hall"] == {"name": "示例市政务服务中心", "timezone": "Asia/Shanghai"}
        assert first["board"] == {"calls": [], "waiting": {"A": 0, "B": 0, "C": 0}}
        assert [s["code"] for s in first["services"]] == ["A", "B", "C"]
        assert first["notice"] == "欢迎光临" and first["speak"] is False
        assert first["now"].endswith("+08:00")

        await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
        taken = (await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        await mqtt.ok("pad-1", "call.next")
        await mqtt.ok("pad-1", "call.recall")
        seen: list[dict[str, Any]] = []

        async def until_second_announcement() -> None:
            while sum(1 for m in seen if m["type"] == "announce") < 2:
                seen.append(json.loads(await screen.recv()))

        await asyncio.wait_for(until_second_announcement(), 10)
    announcements = [m for m in seen if m["type"] == "announce"]
    mqtt_announce = await mqtt.wait_for(mqtt.topic("announce"), lambda d: d["repeat"] == 0)
    assert announcements[0] == {"type": "announce", **mqtt_announce}  # exactly as on MQTT
    assert announcements[0]["ticket"] == taken["no"]
    assert announcements[0]["text"] == f"请{taken['no']}号到1号窗口办理"
    assert announcements[1]["repeat"] == 1
    # The board that shows the call came before its announcement.
    first_call = seen.index(announcements[0])
    boards = [m for m in seen[:first_call] if m["type"] == "screen"]
    assert boards and boards[-1]["board"]["calls"][0]["ticket"] == taken["no"]
    assert boards[-1]["board"]["calls"][0]["window"] == "1"


async def test_a_kiosk_page_takes_a_ticket_through_the_bridge(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    async with device_page(http, web_hub, "kiosk-1") as (ws, page):
        device = await page.next("device")
        assert device == {
            "type": "device",
            "id": "kiosk-1",
            "kind": "kiosk",
            "window": None,
            "window_name": None,
            "hall_name": "示例市政务服务中心",
            "timezone": "Asia/Shanghai",  # the page's clock shows the hall's time
            "id_reader": False,  # no card reader: no ID card prompt
            "idle_s": 60,  # the page resets itself after a minute untouched
            "public_url": None,  # no [http] public_url: its QR codes name this address
        }
        services = await page.next("services")
        assert [s["code"] for s in services["services"]] == ["A", "B", "C"]
        assert web_hub.hub.presence().online["kiosk-1"] is True  # counted online while connected

        request = {"id": "k1", "op": "ticket.take", "args": {"service": "B"}}
        await ws.send_json(request)
        response = await page.next("response")
        assert response["id"] == "k1" and response["ok"] is True
        ticket = response["result"]["ticket"]
        assert ticket["no"] == "B001" and ticket["state"] == "waiting" and ticket["ahead"] == 0
        assert set(response) == {"type", "id", "ok", "result"}
        # Decided by the same engine: the same id again is answered the same, not done twice.
        await ws.send_json(request)
        assert await page.next("response") == response
        # Everything else sees it as an MQTT request's effects.
        event = await mqtt.wait_for(mqtt.topic("events"), lambda e: e["type"] == "ticket.taken")
        assert event["ticket"]["no"] == "B001" and event["device"] == "kiosk-1"
        job = await mqtt.wait_for(mqtt.topic("cmd", "printer-1"))
        assert job["ticket"]["no"] == "B001"
        guidance = await next_message(
            ws, "services", lambda m: next(s for s in m["services"] if s["code"] == "B")["waiting"]
        )
        assert next(s for s in guidance["services"] if s["code"] == "B")["waiting"] == 1
        assert len(web_hub.hub.state.tickets) == 1

        # Errors are the contract's.
        await ws.send_json({"id": "k2", "op": "call.next"})
        refused = await page.next("response")
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
        await ws.send_json({"id": "k3", "op": "ticket.take", "args": {"service": "Q"}})
        assert (await page.next("response"))["error"]["code"] == "unknown_service"
        await ws.send_str('{"id": "k4", "op": ')
        bad = await page.next("response")
        assert bad["id"] == "k4" and bad["error"]["code"] == "bad_request"
        await ws.send_str("[1, 2]")  # no id to answer: dropped, the page goes on
        await ws.send_json({"id": "k5", "op": "ticket.status", "args": {"no": "B001"}})
        assert (await page.next("response"))["id"] == "k5"
        offline = asyncio.Event()
        web_hub.hub.subscribe(
            lambda e: offline.set() if e == {**e, "device": "kiosk-1", "online": False} else None
        )
    await asyncio.wait_for(offline.wait(), 5)  # online no more once the page is gone
    assert web_hub.hub.presence().online["kiosk-1"] is False


async def test_a_pad_page_opens_its_window_and_calls(
    web_hub: Running, mqtt: ContractClient, http: aiohttp.ClientSession
) -> None:
    async with device_page(http, web_hub, "pad-1") as (ws, page):
        device = await page.next("device")
        assert (device["kind"], device["window"], device["window_name"]) == (
            "window_pad",
            "1",
            "1号窗口",
        )
        state = await page.next("state")
        assert state["state"]["window"] == "1" and state["state"]["state"] == "closed"
        await ws.send_json({"id": "p1", "op": "window.open", "args": {"staff": "S007"}})
        opened = await page.next("response")
        assert opened["ok"] is True and opened["result"]["window"]["staff"] == "S007"
        state = await page.next("state", lambda m: m["state"]["state"] == "open")
        assert state["state"]["staff"] == "S007"

        taken = (await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        await ws.send_json({"id": "p2", "op": "call.next"})
        called = await page.next("response")
        assert called["result"]["ticket"]["no"] == taken["no"]
        assert called["result"]["ticket"]["window"] == "1"
        state = await page.next("state", lambda m: m["state"]["ticket"] == taken["no"])
        assert state["state"]["ticket_state"] == "called"
        assert state["state"]["text"] == f"请{taken['no']}号"
        # The LED strip of the same window, on MQTT, shows the same.
        led = await mqtt.wait_latest(
            mqtt.topic("state", "led-1"), lambda d: d["ticket"] == taken["no"]
        )
        assert led == state["state"]
        # A change made elsewhere (the wired caller of window 1) reaches the page too.
        await mqtt.ok("caller-1", "ticket.start")
        await page.next("state", lambda m: m["state"]["ticket_state"] == "serving")


async def test_unknown_devices_and_missing_tokens_are_refused_before_the_upgrade(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    for path, status in (
        ("/ws/device/kiosk-9", 404),
        ("/ws/device/kiosk-2", 403),
        (f"/ws/device/kiosk-2?token={KIOSK_TOKEN}x", 403),
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url(web_hub, path))
        assert refused.value.status == status, path
    async with http.ws_connect(ws_url(web_hub, f"/ws/device/kiosk-2?token={KIOSK_TOKEN}")) as ws:
        assert (await next_message(ws, "device"))["id"] == "kiosk-2"
        await ws.send_json({"id": "t1", "op": "ticket.take", "args": {"service": "C"}})
        assert (await next_message(ws, "response"))["ok"] is True


async def test_the_pages_are_served_for_known_devices_only(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    for path in ("/kiosk/pad-1", "/kiosk/nothing", "/pad/kiosk-1", "/pad/led-1"):
        async with http.get(web_hub.http_url + path) as response:
            assert response.status == 404, path
    for path in ("/kiosk/kiosk-1", "/pad/pad-1", "/screen", "/t/A001"):
        async with http.get(web_hub.http_url + path) as response:
            # The pages are written separately: served when installed, else 404.
            assert response.status in (200, 404), path
    for path in (
        "/static/../sessions.py",
        "/static/%2e%2e/sessions.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/nothing.css",
    ):
        async with http.get(web_hub.http_url + path) as response:
            assert response.status == 404, path
    if (STATIC_DIR / "static" / "app.css").is_file():  # the pages' own files, when installed
        for path in ("/static/app.css", "/static/static/app.css"):
            async with http.get(web_hub.http_url + path) as response:
                assert response.status == 200 and response.content_type == "text/css", path
