"""The back office's HTTP API: appointments checked in at the kiosk, the live catalogue,
ticket views, authentication."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hall.domain.catalogue import id_number_hash
from hall.runtime import Running
from portal_link.webhooks import signed_headers
from tests.support import write_hall_config

from .conftest import running_hub
from .contract_client import ContractClient

TOKEN = "portal-token-0123456789"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HASH_KEY = "hall-id-hash-key-0123"
ID_NO = "11010519491231002X"


@pytest.fixture
async def api_hub(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> AsyncIterator[Running]:
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        api_clients=[{"id": "portal", "token": TOKEN, "secret": SECRET}],
        appointments={"id_hash_key": HASH_KEY, "early_s": 1800},
    )
    async with running_hub(path) as running:
        yield running


@pytest.fixture
async def api_client(api_hub: Running, hall_id: str) -> AsyncIterator[ContractClient]:
    e = api_hub.endpoint
    async with ContractClient(e.host, e.port, hall_id, f"api-test-{hall_id}") as outside:
        yield outside


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def post(
    hub: Running, path: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        hdrs = {"Authorization": f"Bearer {TOKEN}", **headers}
        async with http.post(hub.http_url + path, json=body, headers=hdrs) as response:
            return response.status, await response.json()


async def get(hub: Running, path: str, auth: bool = True) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        hdrs = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
        async with http.get(hub.http_url + path, headers=hdrs) as response:
            return response.status, await response.json()


async def test_appointment_inside_its_slot_is_called_before_normal_tickets(
    api_hub: Running, api_client: ContractClient
) -> None:
    c, now = api_client, time.time()
    status, booked = await post(
        api_hub,
        "/api/appointments",
        {
            "code": "YY0001",
            "service": "A",
            "slot_start": iso(now - 60),
            "slot_end": iso(now + 1200),
            "name": "张三丰",
        },
    )
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


async def test_a_late_arrival_becomes_normal(api_hub: Running, api_client: ContractClient) -> None:
    now = time.time()
    status, _ = await post(
        api_hub,
        "/api/appointments",
        {
            "code": "LATE1",
            "service": "A",
            "slot_start": iso(now - 120),
            "slot_end": iso(now - 60),
        },
    )
    assert status == 201
    late = (await api_client.ok("kiosk-1", "ticket.take", {"appointment": "LATE1"}))["ticket"]
    assert late["priority"] == "normal" and late["appointment"]["late"] is True


async def test_id_card_finds_the_appointment_by_keyed_hash(
    api_hub: Running, api_client: ContractClient
) -> None:
    now = time.time()
    id_hash = id_number_hash(HASH_KEY.encode(), ID_NO)
    status, _ = await post(
        api_hub,
        "/api/appointments",
        {
            "code": "CARD1",
            "service": "B",
            "slot_start": iso(now - 60),
            "slot_end": iso(now + 1800),
            "id_hash": id_hash,
        },
    )
    assert status == 201
    ticket = (await api_client.ok("kiosk-1", "ticket.take", {"id_no": ID_NO}))["ticket"]
    assert ticket["service"] == "B" and ticket["priority"] == "appointment"
    # The number is in no response, event or retained message (only in the kiosk's own
    # request, which the broker's access list lets nobody but the hub read).
    for topic, messages in api_client.messages.items():
        if not topic.endswith("/req"):
            assert ID_NO not in json.dumps(messages, ensure_ascii=False), topic


async def test_catalogue_change_is_seen_by_the_next_kiosk_request(
    api_hub: Running, api_client: ContractClient
) -> None:
    c = api_client
    status, changed = await post(api_hub, "/api/catalogue", {"action": "close", "code": "B"})
    assert status == 200 and changed["service"]["open"] is False
    assert await c.error("kiosk-1", "ticket.take", {"service": "B"}) == "service_closed"
    await c.wait_latest(
        c.topic("services"),
        lambda d: not next(s for s in d["services"] if s["code"] == "B")["accepting"],
    )
    status, _ = await post(api_hub, "/api/catalogue", {"action": "reopen", "code": "B"})
    assert status == 200
    assert (await c.ok("kiosk-1", "ticket.take", {"service": "B"}))["ticket"]["no"] == "B001"

    status, _ = await post(
        api_hub, "/api/catalogue", {"action": "rename", "code": "A", "name": "社会保障"}
    )
    assert status == 200
    await c.wait_latest(c.topic("services"), lambda d: d["services"][0]["name"] == "社会保障")
    status, added = await post(
        api_hub,
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


async def test_catalogue_survives_a_restart(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    path = write_hall_config(
        tmp_path, hall_id, mqtt_url, redis_url, api_clients=[{"id": "portal", "token": TOKEN}]
    )
    async with running_hub(path) as first:
        status, _ = await post(first, "/api/catalogue", {"action": "close", "code": "C"})
        assert status == 200
    async with running_hub(path) as second:
        service = second.hub.state.service("C")
        assert service is not None and service.open is False


async def test_authentication_and_errors(api_hub: Running) -> None:
    async with aiohttp.ClientSession() as http:
        url = api_hub.http_url + "/api/catalogue"
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
    status, body_unknown = await post(api_hub, "/api/catalogue", {"action": "close", "code": "Q"})
    assert status == 404 and body_unknown["error"]["code"] == "unknown_service"
    status, bad_time = await post(
        api_hub,
        "/api/appointments",
        {"code": "X", "service": "A", "slot_start": "tomorrow", "slot_end": "later"},
    )
    assert status == 400 and "RFC 3339" in bad_time["error"]["message"]


async def test_idempotency_key_makes_a_retry_safe(api_hub: Running) -> None:
    now = time.time()
    body = {"code": "IDEM1", "service": "A", "slot_start": iso(now), "slot_end": iso(now + 60)}
    first = await post(api_hub, "/api/appointments", body, **{"Idempotency-Key": "k-1"})
    again = await post(api_hub, "/api/appointments", body, **{"Idempotency-Key": "k-1"})
    assert first == again and first[0] == 201


async def test_ticket_views(api_hub: Running, api_client: ContractClient) -> None:
    await api_client.ok("kiosk-1", "ticket.take", {"service": "A"})
    status, public = await get(api_hub, "/api/public/tickets/A001", auth=False)
    assert status == 200 and public["ticket"]["state"] == "waiting"
    assert "staff" not in public["ticket"] and "kiosk" not in public["ticket"]
    status, _ = await get(api_hub, "/api/tickets/A001", auth=False)
    assert status == 401
    status, full = await get(api_hub, "/api/tickets/A001")
    assert status == 200 and full["ticket"]["kiosk"] == "kiosk-1"
    status, missing = await get(api_hub, "/api/public/tickets/Z999", auth=False)
    assert status == 404 and missing["error"]["code"] == "not_found"
