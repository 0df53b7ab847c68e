"""Running the hall from the dashboard over HTTP, against a real hub, broker and Redis: a
change applies at once on the retained topics, is audited, survives a restart; bad input and
the wrong role are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient
from tests.integration.halls import online_client, running_hub

from .conftest import sign_in

SETTINGS = "/api/hall/settings"


async def post(
    http: aiohttp.ClientSession, hub: Running, args: dict[str, Any], origin: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Origin": origin or hub.http_url}
    async with http.post(hub.http_url + SETTINGS, json=args, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def changed(http: aiohttp.ClientSession, hub: Running, args: dict[str, Any]) -> None:
    status, body = await post(http, hub, args)
    assert status == 200, body


async def settings(http: aiohttp.ClientSession, hub: Running) -> dict[str, Any]:
    async with http.get(hub.http_url + SETTINGS) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


def service(payload: Any, code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in payload["services"] if s["code"] == code)
    return found


async def test_a_cap_and_a_windows_services_apply_at_once_on_the_retained_topics(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    await sign_in(http, web_hub)
    await changed(http, web_hub, {"action": "set_cap", "code": "A", "daily_cap": 1})
    guidance = await mqtt.wait_latest(
        mqtt.topic("services"), lambda p: service(p, "A")["daily_cap"] == 1
    )
    assert service(guidance, "A")["issued"] == 0
    assert (await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
    assert await mqtt.error("kiosk-1", "ticket.take", {"service": "A"}) == "daily_cap_reached"

    await changed(http, web_hub, {"action": "set_window", "window": "1", "services": ["B"]})
    state = await mqtt.wait_latest(
        mqtt.topic("state", "pad-1"), lambda p: p.get("services") == ["B"]
    )
    assert state["window"] == "1"
    await mqtt.ok("pad-1", "window.open", {"staff": "S001"})
    assert (await mqtt.ok("pad-1", "call.next"))["ticket"] is None  # A001 is not window 1's now

    await changed(
        http, web_hub, {"action": "set_documents", "code": "B", "documents": ["身份证", "产权证"]}
    )
    await changed(http, web_hub, {"action": "set_hours", "code": "B", "hours": ["00:00", "00:01"]})
    guidance = await mqtt.wait_latest(
        mqtt.topic("services"), lambda p: service(p, "B")["hours"] == ["00:00", "00:01"]
    )
    assert service(guidance, "B")["documents"] == ["身份证", "产权证"]


async def test_a_disabled_device_is_refused_and_a_moved_one_acts_for_its_new_window(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    await sign_in(http, web_hub)
    await changed(http, web_hub, {"action": "device_disable", "device": "kiosk-2"})
    assert await mqtt.error("kiosk-2", "ticket.take", {"service": "A"}) == "device_disabled"
    await changed(http, web_hub, {"action": "device_enable", "device": "kiosk-2"})
    await mqtt.ok("kiosk-2", "ticket.take", {"service": "A"})

    await changed(http, web_hub, {"action": "device_window", "device": "pad-3", "window": "2"})
    await mqtt.wait_latest(mqtt.topic("state", "pad-3"), lambda p: p.get("window") == "2")
    opened = await mqtt.ok("pad-3", "window.open", {"staff": "S009"})
    assert opened["window"]["id"] == "2"
    view = await settings(http, web_hub)
    pad = next(d for d in view["devices"] if d["id"] == "pad-3")
    assert pad == {
        "id": "pad-3",
        "kind": "window_pad",
        "window": "2",
        "name": None,
        "enabled": True,
    }


async def test_an_auditor_reads_and_may_not_change_and_nobody_else_may_read(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    status, body = await post(http, web_hub, {"action": "set_notice", "text": "x"})
    assert status == 401 and body["error"]["code"] == "unauthorized"
    async with http.get(web_hub.http_url + "/dashboard/hall", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == "/login"
    await sign_in(http, web_hub, "guest")
    view = await settings(http, web_hub)
    assert view["may_act"] is False and view["notice"] == "欢迎光临"
    status, body = await post(http, web_hub, {"action": "set_notice", "text": "x"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await settings(http, web_hub))["audit"] == []


async def test_bad_input_and_other_sites_are_refused_with_a_clear_error(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub)
    status, body = await post(http, web_hub, {"action": "set_hours", "code": "A", "hours": ["9"]})
    assert status == 400 and "hours" in body["error"]["message"]
    status, body = await post(http, web_hub, {"action": "set_cap", "code": "Q", "daily_cap": 3})
    assert status == 404 and body["error"]["code"] == "unknown_service"
    status, body = await post(
        http, web_hub, {"action": "set_notice", "text": "x"}, origin="http://evil.example"
    )
    assert status == 403
    headers = {"Origin": web_hub.http_url, "Content-Type": "application/json"}
    async with http.post(web_hub.http_url + SETTINGS, data=b"{", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "bad_request"
    view = await settings(http, web_hub)
    assert view["version"] == 0 and view["audit"] == []


async def test_changes_survive_a_restart_and_the_audit_keeps_who_what_before_and_after(
    hall_config_path: Path, hall_id: str, http: aiohttp.ClientSession
) -> None:
    async with running_hub(hall_config_path) as first:
        await sign_in(http, first)
        await changed(http, first, {"action": "set_cap", "code": "A", "daily_cap": 7})
        await changed(http, first, {"action": "set_window", "window": "4", "services": ["B", "C"]})
        await changed(http, first, {"action": "device_window", "device": "led-2", "window": "4"})
        await changed(http, first, {"action": "set_notice", "text": "午休 12:00-13:30"})

    async with running_hub(hall_config_path) as second, online_client(second, hall_id) as mqtt:
        view = await settings(http, second)  # the session is kept in the store too
        assert service(view, "A")["daily_cap"] == 7
        assert next(w for w in view["windows"] if w["id"] == "4")["services"] == ["B", "C"]
        assert view["notice"] == "午休 12:00-13:30" and view["version"] == 4
        await mqtt.wait_latest(mqtt.topic("state", "led-2"), lambda p: p.get("window") == "4")
        await mqtt.wait_latest(mqtt.topic("services"), lambda p: service(p, "A")["daily_cap"] == 7)
        audit = view["audit"]
        assert [a["what"] for a in audit] == [
            "set_notice",
            "device_window",
            "set_window",
            "set_cap",
        ]
        assert all(a["by"] == "admin" and a["at"] for a in audit)
        assert audit[3]["before"]["daily_cap"] == 300 and audit[3]["after"]["daily_cap"] == 7
        assert audit[2]["before"] == {"services": ["C", "A", "B"]}
        assert audit[2]["after"] == {"services": ["B", "C"]}
        assert audit[1]["before"]["window"] == "2"
        assert audit[1]["after"]["window"] == "4"
        assert audit[0]["after"] == {"notice": "午休 12:00-13:30"}
