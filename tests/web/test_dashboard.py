"""Sign-in and the manager dashboard over /ws/dashboard, against a real hub."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
import redis.asyncio as aredis
from yarl import URL

from hall.hub.runtime import Running
from tests.integration.contract_client import ContractClient

from .conftest import PASSWORD, Inbox, next_message, open_dashboard, sign_in, waiting, ws_url


async def test_a_wrong_password_is_401_with_the_form_and_the_right_one_sets_the_cookie(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    for name, password in (("admin", "wrong"), ("nobody", PASSWORD), ("admin", "")):
        async with http.post(
            web_hub.http_url + "/login", data={"name": name, "password": password}
        ) as response:
            assert response.status == 401
            assert "用户名或密码错误" in await response.text()
    assert not http.cookie_jar.filter_cookies(URL(web_hub.http_url))
    async with http.post(
        web_hub.http_url + "/login",
        data={"name": "admin", "password": PASSWORD},
        allow_redirects=False,
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/dashboard"
        set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("hall_session=")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
    assert len(set_cookie.split(";")[0].split("=", 1)[1]) >= 43  # 32 random bytes, base64
    async with http.get(web_hub.http_url + "/login") as response:
        assert response.status == 200 and "用户名或密码错误" not in await response.text()


async def test_the_dashboard_page_needs_a_session(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    async with http.get(web_hub.http_url + "/dashboard", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == "/login"
    await sign_in(http, web_hub)
    async with http.get(web_hub.http_url + "/dashboard", allow_redirects=False) as response:
        # The page itself is written separately: served when installed.
        assert response.status in (200, 404)
        if response.status == 200:
            assert response.content_type == "text/html"


async def test_the_dashboard_socket_needs_a_session_and_the_hubs_own_origin(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    url = ws_url(web_hub, "/ws/dashboard")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, origin=web_hub.http_url)
    assert refused.value.status == 403
    await sign_in(http, web_hub)
    for origin in ("http://evil.example", "http://127.0.0.1:1", None):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url, origin=origin)
        assert refused.value.status == 403, origin
    async with aiohttp.ClientSession() as stranger:  # a made-up cookie
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await stranger.ws_connect(
                url, origin=web_hub.http_url, headers={"Cookie": "hall_session=made-up"}
            )
        assert refused.value.status == 403
    async with await open_dashboard(http, web_hub) as ws:
        snapshot = await next_message(ws, "snapshot")
        data = snapshot["data"]
        assert data["hall"]["id"] == web_hub.hub.config.hall.id
        assert data["notice"] == "欢迎光临"
        assert [s["code"] for s in data["services"]] == ["A", "B", "C"]
        assert [w["id"] for w in data["windows"]] == ["1", "2", "3", "4", "5"]
        assert data["kpis"]["arrivals"] == 0


async def test_a_ticket_taken_over_mqtt_shows_in_the_next_snapshot_and_the_log(
    web_hub: Running, http: aiohttp.ClientSession, mqtt: ContractClient
) -> None:
    await sign_in(http, web_hub)
    async with await open_dashboard(http, web_hub) as ws:
        # An inbox: the snapshot and the events may come in either order, none is lost.
        inbox = Inbox(ws)
        first = await inbox.next("snapshot")
        assert waiting(first, "A") == 0
        taken = (await mqtt.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        event = await inbox.next("event", lambda m: m["event"]["type"] == "ticket.taken")
        assert event["event"]["ticket"]["no"] == taken["no"] and event["event"]["seq"] >= 1
        snapshot = await inbox.next("snapshot", lambda m: waiting(m, "A") == 1)
        data = snapshot["data"]
        service_a = next(s for s in data["services"] if s["code"] == "A")
        assert service_a["longest_wait_s"] >= 0 and service_a["open"] is False  # no window open
        assert data["kpis"]["arrivals"] == 1
        # waiting_yellow = 1 in this hall: an alarm, raised in the log too.
        assert [a["id"] for a in data["alarms"]] == ["waiting:A"]
        await inbox.next("event", lambda m: m["event"]["type"] == "alarm.raised")


async def test_acknowledging_an_alarm(
    web_hub: Running,
    http: aiohttp.ClientSession,
    mqtt: ContractClient,
    redis_client: aredis.Redis,
) -> None:
    await sign_in(http, web_hub)
    await mqtt.ok("kiosk-1", "ticket.take", {"service": "B"})
    async with await open_dashboard(http, web_hub) as ws:
        await next_message(ws, "snapshot", lambda m: "waiting:B" in ids(m))
        await ws.send_json({"type": "ack", "ref": "r1", "alarm": "waiting:B"})
        seen: list[dict[str, object]] = []
        result = await next_message(ws, "result", seen=seen)
        assert result == {"type": "result", "ref": "r1", "ok": True}
        acked = await next_message(
            ws, "event", lambda m: m["event"]["type"] == "alarm.acked", seen=seen
        )
        assert acked["event"]["alarm"]["acked_by"] == "admin"
        snapshot = await next_message(
            ws, "snapshot", lambda m: alarm(m, "waiting:B").get("acked") is True
        )
        assert alarm(snapshot, "waiting:B")["acked_by"] == "admin"
        stored = await redis_client.hget(web_hub.store.keys.alarm_acks, "waiting:B")
        assert stored is not None and json.loads(stored)["by"] == "admin"
        # An alarm that is not listed cannot be acknowledged.
        await ws.send_json({"type": "ack", "ref": "r2", "alarm": "waiting:Z"})
        result = await next_message(ws, "result", lambda m: m["ref"] == "r2")
        assert result["ok"] is False and result["error"]["code"] == "not_found"


def ids(snapshot: dict[str, object]) -> list[str]:
    return [a["id"] for a in snapshot["data"]["alarms"]]  # type: ignore[index]


def alarm(snapshot: dict[str, object], alarm_id: str) -> dict[str, object]:
    for item in snapshot["data"]["alarms"]:  # type: ignore[index]
        if item["id"] == alarm_id:
            return dict(item)
    return {}


async def test_closing_and_reopening_a_service_from_the_dashboard(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    async def accepting(code: str) -> bool:
        async with http.get(web_hub.http_url + "/api/services") as response:
            services = (await response.json())["services"]
        return bool(next(s for s in services if s["code"] == code)["accepting"])

    await sign_in(http, web_hub)
    async with await open_dashboard(http, web_hub) as ws:
        await next_message(ws, "snapshot")
        await ws.send_json({"type": "service", "ref": "c1", "action": "close", "code": "C"})
        assert await next_message(ws, "result") == {"type": "result", "ref": "c1", "ok": True}
        assert await accepting("C") is False
        event = await next_message(ws, "event", lambda m: m["event"]["type"] == "catalogue.changed")
        assert event["event"]["device"] == "dashboard-admin"
        snapshot = await next_message(
            ws,
            "snapshot",
            lambda m: not next(s for s in m["data"]["services"] if s["code"] == "C")["accepting"],
        )
        assert snapshot["data"]["services"][2]["code"] == "C"
        await ws.send_json({"type": "service", "ref": "c2", "action": "reopen", "code": "C"})
        assert (await next_message(ws, "result"))["ok"] is True
        assert await accepting("C") is True
        for bad in (
            {"type": "service", "ref": "c3", "action": "delete", "code": "C"},
            {"type": "service", "ref": "c3", "action": "close", "code": "Q"},
            {"type": "dance", "ref": "c3"},
        ):
            await ws.send_json(bad)
            result = await next_message(ws, "result")
            assert result["ref"] == "c3" and result["ok"] is False, bad
            assert (
                result["error"]["code"] in ("bad_request", "unknown_service")
                and result["error"]["message"]
            )
        await ws.send_str("not json")
        result = await next_message(ws, "result")
        assert result["ref"] is None and result["error"]["code"] == "bad_request"


async def test_the_notice_reaches_the_screens(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub)
    async with (
        await open_dashboard(http, web_hub) as ws,
        http.ws_connect(ws_url(web_hub, "/ws/screen")) as screen,
    ):
        assert (await next_message(screen, "screen"))["notice"] == "欢迎光临"
        await ws.send_json({"type": "notice", "ref": "n1", "text": "今日16:00闭厅"})
        assert (await next_message(ws, "result"))["ok"] is True
        await next_message(screen, "screen", lambda m: m["notice"] == "今日16:00闭厅")
        await next_message(ws, "snapshot", lambda m: m["data"]["notice"] == "今日16:00闭厅")
        await ws.send_json({"type": "notice", "ref": "n2", "text": "长" * 201})
        result = await next_message(ws, "result")
        assert result["ref"] == "n2" and result["error"]["code"] == "bad_request"
        await ws.send_json({"type": "notice", "ref": "n3", "text": ""})
        assert (await next_message(ws, "result"))["ok"] is True
        await next_message(screen, "screen", lambda m: m["notice"] == "")


async def test_a_viewer_looks_but_may_not_act(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub, "guest")
    async with await open_dashboard(http, web_hub) as ws:
        await next_message(ws, "snapshot")
        for n, action in enumerate(
            (
                {"type": "ack", "alarm": "waiting:A"},
                {"type": "service", "action": "close", "code": "A"},
                {"type": "notice", "text": "x"},
            )
        ):
            await ws.send_json({**action, "ref": f"v{n}"})
            result = await next_message(ws, "result")
            assert result["ref"] == f"v{n}" and result["ok"] is False
            assert result["error"]["code"] == "forbidden"
    assert web_hub.hub.notice() == "欢迎光临"
    assert web_hub.hub.state.service("A").open  # type: ignore[union-attr]


async def test_signing_out_ends_the_session(web_hub: Running, http: aiohttp.ClientSession) -> None:
    await sign_in(http, web_hub)
    async with await open_dashboard(http, web_hub) as ws:
        await next_message(ws, "snapshot")
        async with http.post(web_hub.http_url + "/logout", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"
        # The pages of that session close.
        closing = await asyncio.wait_for(ws.receive(), 5)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1008
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await open_dashboard(http, web_hub)
    assert refused.value.status == 403
