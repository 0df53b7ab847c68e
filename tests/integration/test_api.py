"""The back office's HTTP API: appointments checked in at the kiosk, the live catalogue,
ticket views, authentication."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.domain.catalogue import id_number_hash
from hall.hub.runtime import Running
from portal_link.webhooks import signed_headers
from tests.support import hall_document

from .conftest import running_hub
from .contract_client import ContractClient

TOKEN = "portal-token-0123456789"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HASH_KEY = "hall-id-hash-key-0123"
ID_NO = "11010519491231002X"


@pytest.fixture
def hall_config_path(hall_file: Callable[..., Path], hall_id: str) -> Path:
    """The demo hall with a back-office API client and appointments; kiosk-1 has an ID card
    reader: its ID numbers may check in an appointment."""
    devices = hall_document(hall_id, "mqtt://unused", "redis://unused")["devices"]
    return hall_file(
        api_clients=[{"id": "portal", "token": TOKEN, "secret": SECRET}],
        appointments={"id_hash_key": HASH_KEY, "early_s": 1800},
        devices=[{**d, "id_reader": True} if d["id"] == "kiosk-1" else d for d in devices],
    )


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def call_api(
    hub: Running, method: str, path: str, body: Any = None, *, auth: bool = True, **headers: str
) -> tuple[int, dict[str, Any]]:
    """One request to the hub's API (as the back office, unless `auth` is false): the status
    and the JSON answer."""
    if auth:
        headers = {"Authorization": f"Bearer {TOKEN}", **headers}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
        http.request(method, hub.http_url + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def post(
    hub: Running, path: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any]]:
    return await call_api(hub, "POST", path, body, **headers)


async def get(hub: Running, path: str, auth: bool = True) -> tuple[int, dict[str, Any]]:
    return await call_api(hub, "GET", path, auth=auth)


async def book(
    hub: Running, code: str, service: str, slot_s: tuple[float, float], **extra: str
) -> tuple[int, dict[str, Any]]:
    """Book appointment `code` of `service` for the slot from now + slot_s[0] to now +
    slot_s[1] seconds (and `extra` fields)."""
    now = time.time()
    start, end = (iso(now + offset) for offset in slot_s)
    body = {"code": code, "service": service, "slot_start": start, "slot_end": end, **extra}
    return await post(hub, "/api/appointments", body)


async def test_appointment_inside_its_slot_is_called_before_normal_tickets(
    hub: Running, client: ContractClient
) -> None:
    c = client
    status, booked = await book(hub, "YY0001", "A", (-60, 1200), name="张三丰")
    assert status == 201, booked
    assert booked["appointment"]["name_masked"] == "张*丰"
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]["no"] == "A001"
    checked_in = (await c.ok("kiosk-1", "ticket.take", {"appointment": "YY0001"}))["ticket"]
    assert checked_in["priority"] == "appointment" and checked_in["ahead"] == 0
    await c.ok("pad-2", "window.open", {"staff": "S2"})
    assert (await c.ok("pad-2", "call.next"))["ticket"]["no"] == checked_in["no"]
    # Checked in once only.
    assert await c.error("kiosk-1", "ticket.take", {"appointment": "YY0001"}) == "invalid_state"
    assert await c.error("kiosk-1", "ticket.take", {"appointment": "NOPE"}) == "not_found"


async def test_a_late_arrival_becomes_normal(hub: Running, client: ContractClient) -> None:
    status, _ = await book(hub, "LATE1", "A", (-120, -60))
    assert status == 201
    late = (await client.ok("kiosk-1", "ticket.take", {"appointment": "LATE1"}))["ticket"]
    assert late["priority"] == "normal" and late["appointment"]["late"] is True


async def test_id_card_finds_the_appointment_by_keyed_hash(
    hub: Running, client: ContractClient
) -> None:
    id_hash = id_number_hash(HASH_KEY.encode(), ID_NO)
    status, _ = await book(hub, "CARD1", "B", (-60, 1800), id_hash=id_hash)
    assert status == 201
    ticket = (await client.ok("kiosk-1", "ticket.take", {"id_no": ID_NO}))["ticket"]
    assert ticket["service"] == "B" and ticket["priority"] == "appointment"
    # The number is in no response, event or retained message (only in the kiosk's own
    # request, which the broker's access list lets nobody but the hub read).
    for topic, messages in client.messages.items():
        if not topic.endswith("/req"):
            assert ID_NO not in json.dumps(messages, ensure_ascii=False), topic


async def test_catalogue_change_is_seen_by_the_next_kiosk_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    status, changed = await post(hub, "/api/catalogue", {"action": "close", "code": "B"})
    assert status == 200 and changed["service"]["open"] is False
    assert await c.error("kiosk-1", "ticket.take", {"service": "B"}) == "service_closed"
    await c.wait_latest(
        c.topic("services"),
        lambda d: not next(s for s in d["services"] if s["code"] == "B")["accepting"],
    )
    status, _ = await post(hub, "/api/catalogue", {"action": "reopen", "code": "B"})
    assert status == 200
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "B"}))["ticket"]["no"] == "B001"

    status, _ = await post(
        hub, "/api/catalogue", {"action": "rename", "code": "A", "name": "社会保障"}
    )
    assert status == 200
    await c.wait_latest(c.topic("services"), lambda d: d["services"][0]["name"] == "社会保障")
    status, added = await post(
        hub,
        "/api/catalogue",
        {"action": "add", "code": "D", "name": "公积金", "windows": ["4"], "daily_cap": 1},
    )
    assert status == 200, added
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "D"}))["ticket"]["no"] == "D001"
    assert await c.error("kiosk-1", "ticket.take", {"service": "D"}) == "daily_cap_reached"
    # Window 4 serves C, A, B and now D, in that order of preference.
    await c.ok("pad-4", "window.open", {"staff": "S4"})
    assert (await c.ok("pad-4", "call.next"))["ticket"]["no"] == "B001"
    assert (await c.ok("pad-4", "call.next"))["ticket"]["no"] == "D001"


async def test_catalogue_survives_a_restart(hall_file: Callable[..., Path]) -> None:
    path = hall_file(api_clients=[{"id": "portal", "token": TOKEN}])
    async with running_hub(path) as first:
        status, _ = await post(first, "/api/catalogue", {"action": "close", "code": "C"})
        assert status == 200
    async with running_hub(path) as second:
        service = second.hub.state.service("C")
        assert service is not None and service.open is False


async def test_authentication_and_errors(hub: Running) -> None:
    async with aiohttp.ClientSession() as http:
        url = hub.http_url + "/api/catalogue"
        body = {"action": "close", "code": "A"}
        async with http.post(url, json=body) as r:
            assert r.status == 401
        async with http.post(url, json=body, headers={"Authorization": "Bearer wrong"}) as r:
            assert r.status == 401
        raw = json.dumps(body).encode()
        headers = signed_headers(SECRET, "msg_1", int(time.time()), raw)
        async with http.post(url, data=raw, headers=headers) as r:
            assert r.status == 200, await r.text()
        old = signed_headers(SECRET, "msg_2", int(time.time()) - 3600, raw)
        async with http.post(url, data=raw, headers=old) as r:
            assert r.status == 401 and "too old" in (await r.json())["error"]["message"]
        async with http.post(url, data=b"{nope", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 400
    status, body_unknown = await post(hub, "/api/catalogue", {"action": "close", "code": "Q"})
    assert status == 404 and body_unknown["error"]["code"] == "unknown_service"
    status, bad_time = await post(
        hub,
        "/api/appointments",
        {"code": "X", "service": "A", "slot_start": "tomorrow", "slot_end": "later"},
    )
    assert status == 400 and "RFC 3339" in bad_time["error"]["message"]


async def test_idempotency_key_makes_a_retry_safe(hub: Running) -> None:
    now = time.time()
    body = {"code": "IDEM1", "service": "A", "slot_start": iso(now), "slot_end": iso(now + 60)}
    first = await post(hub, "/api/appointments", body, **{"Idempotency-Key": "k-1"})
    again = await post(hub, "/api/appointments", body, **{"Idempotency-Key": "k-1"})
    assert first == again and first[0] == 201


async def test_ticket_views(hub: Running, client: ContractClient) -> None:
    await client.ok("kiosk-1", "ticket.take", {"service": "A"})
    status, public = await get(hub, "/api/public/tickets/A001", auth=False)
    assert status == 200 and public["ticket"]["state"] == "waiting"
    assert "staff" not in public["ticket"] and "kiosk" not in public["ticket"]
    status, _ = await get(hub, "/api/tickets/A001", auth=False)
    assert status == 401
    status, full = await get(hub, "/api/tickets/A001")
    assert status == 200 and full["ticket"]["kiosk"] == "kiosk-1"
    status, missing = await get(hub, "/api/public/tickets/Z999", auth=False)
    assert status == 404 and missing["error"]["code"] == "not_found"


async def test_the_public_ticket_names_its_window_as_the_hub_does(
    hub: Running, client: ContractClient
) -> None:
    await client.ok("kiosk-1", "ticket.take", {"service": "C"})
    status, public = await get(hub, "/api/public/tickets/C001", auth=False)
    assert status == 200 and "window_name" not in public["ticket"]
    await client.ok("pad-4", "window.open", {"staff": "S004"})
    await client.ok("pad-4", "call.next", {})
    status, public = await get(hub, "/api/public/tickets/C001", auth=False)
    # The hall file's name for window 4: the same name the board and the voice use.
    assert status == 200 and public["ticket"]["window_name"] == "综合窗口"
    board = await client.wait_latest(client.topic("board"), lambda d: bool(d["calls"]))
    assert board["calls"][0]["window_name"] == "综合窗口"
