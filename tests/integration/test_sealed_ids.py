"""ID numbers sealed to the hub's published key, and no appointment oracle: an ID number
checks in a booking only from a kiosk with a card reader, and anywhere else the answer is the
one a request without it gets."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

from hall.contract.sealing import ALG, HubKey, Opener, seal
from hall.domain.catalogue import id_number_hash
from hall.hub.runtime import Running
from hall.web.asyncapi import schema_for
from tests.support import hall_document, write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client

pytestmark = pytest.mark.integration

TOKEN = "portal-token-0123456789"
HASH_KEY = "hall-id-hash-key-0123"
ID_NO = "11010519491231002X"
READER_KIOSK, PLAIN_KIOSK = "kiosk-1", "kiosk-2"


def hall_file(tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, **more: Any) -> Path:
    devices = hall_document(hall_id, mqtt_url, redis_url)["devices"]
    return write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        api_clients=[{"id": "portal", "token": TOKEN}],
        appointments={"id_hash_key": HASH_KEY, "early_s": 1800, **more},
        devices=[{**d, "id_reader": True} if d["id"] == READER_KIOSK else d for d in devices],
    )


@pytest.fixture
async def hall(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> AsyncIterator[tuple[Running, ContractClient]]:
    async with hall_with_client(hall_file(tmp_path, hall_id, mqtt_url, redis_url), hall_id) as h:
        yield h


async def book(hub: Running, code: str, service: str = "B", id_no: str = ID_NO) -> None:
    now = time.time()
    body = {
        "code": code,
        "service": service,
        "slot_start": datetime.fromtimestamp(now - 60, UTC).isoformat(),
        "slot_end": datetime.fromtimestamp(now + 1800, UTC).isoformat(),
        "id_hash": id_number_hash(HASH_KEY.encode(), id_no),
    }
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with http.post(f"{hub.http_url}/api/appointments", json=body, headers=headers) as r:
            assert r.status == 201, await r.text()


async def hub_key(client: ContractClient) -> HubKey:
    message = await client.wait_latest(client.topic("hub/key"), lambda d: isinstance(d, dict))
    return HubKey.from_message(message)


def shape(response: dict[str, Any]) -> Any:
    """What an answer says, less what differs between any two tickets."""
    if not response["ok"]:
        return response["error"]["code"]
    ticket = dict(response["result"]["ticket"])
    for varying in ("no", "issued_at", "ahead", "eta_s"):
        ticket.pop(varying, None)
    return sorted(response["result"]), ticket


async def test_the_hub_publishes_its_key_retained_and_keeps_it_across_restarts(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    path = hall_file(tmp_path, hall_id, mqtt_url, redis_url)
    async with hall_with_client(path, hall_id) as (hub, client):
        first = await hub_key(client)
        raw = client.messages[client.topic("hub/key")][-1]
        assert raw["alg"] == ALG and raw["kid"] == first.kid and len(first.public) == 32
        schema = schema_for(client.topic("hub/key"), hall_id)
        assert schema is not None
        jsonschema.validate(raw, schema)  # as the AsyncAPI document says
        secret = await hub.store.client.get(hub.store.keys.sealing_key)
        assert Opener(secret).key == first
    async with hall_with_client(path, hall_id) as (_hub, client):
        assert await hub_key(client) == first  # the same key: what kiosks sealed still opens


async def test_a_sealed_id_from_the_card_reader_kiosk_checks_in(
    hall: tuple[Running, ContractClient],
) -> None:
    hub, client = hall
    await book(hub, "CARD1")
    sealed = seal(await hub_key(client), ID_NO)
    ticket = (await client.ok(READER_KIOSK, "ticket.take", {"id_sealed": sealed}))["ticket"]
    assert ticket["service"] == "B" and ticket["priority"] == "appointment"
    assert ticket["appointment"] == {"code": "CARD1", "late": False}
    for topic, messages in client.messages.items():
        assert ID_NO not in json.dumps(messages, ensure_ascii=False), topic


async def test_an_id_number_alone_does_not_tell_whether_a_booking_exists(
    hall: tuple[Running, ContractClient],
) -> None:
    """An outside device: the same request with a booked ID number, an unbooked one and none
    at all gets answers that differ only by the ticket's number."""
    hub, client = hall
    await book(hub, "BOOKED")
    key = await hub_key(client)
    unbooked = "110105194912310021"
    for args in ({"service": "B"}, {}):
        answers = [
            await client.request(PLAIN_KIOSK, "ticket.take", {**args, **extra})
            for extra in (
                {},
                {"id_no": ID_NO},
                {"id_no": unbooked},
                {"id_sealed": seal(key, ID_NO)},
                {"id_sealed": seal(key, unbooked)},
            )
        ]
        assert len({json.dumps(shape(a), sort_keys=True) for a in answers}) == 1, answers
    # At the reader kiosk an unbooked card is a plain ticket, answered as one.
    plain = await client.request(READER_KIOSK, "ticket.take", {"service": "B"})
    unmatched = await client.request(
        READER_KIOSK, "ticket.take", {"service": "B", "id_sealed": seal(key, unbooked)}
    )
    assert shape(unmatched) == shape(plain)
    # The booking is still there for its holder's card.
    ticket = (await client.ok(READER_KIOSK, "ticket.take", {"id_sealed": seal(key, ID_NO)}))[
        "ticket"
    ]
    assert ticket["appointment"]["code"] == "BOOKED"


async def test_a_box_that_does_not_open_is_refused_and_never_echoed(
    hall: tuple[Running, ContractClient],
) -> None:
    _hub, client = hall
    other = Opener(bytes(range(32))).key  # not the hub's key
    for box in (seal(other, ID_NO), "not base64!", "QUJD"):
        response = await client.request(
            READER_KIOSK, "ticket.take", {"service": "A", "id_sealed": box}
        )
        assert response["error"]["code"] == "bad_request"
        assert "hub/key" in response["error"]["message"] and box not in json.dumps(response)


async def test_an_appointment_code_is_not_echoed(hall: tuple[Running, ContractClient]) -> None:
    """A citizen may type an ID number where the booking's code goes."""
    _hub, client = hall
    response = await client.request(PLAIN_KIOSK, "ticket.take", {"appointment": ID_NO})
    assert response["error"]["code"] == "not_found"
    assert ID_NO not in json.dumps(response)


async def test_a_hall_may_refuse_plain_id_numbers(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    path = hall_file(tmp_path, hall_id, mqtt_url, redis_url, accept_plain_id=False)
    async with hall_with_client(path, hall_id) as (hub, client):
        await book(hub, "CARD2")
        for kiosk in (READER_KIOSK, PLAIN_KIOSK):
            response = await client.request(kiosk, "ticket.take", {"service": "B", "id_no": ID_NO})
            assert response["error"]["code"] == "bad_request"
            assert "id_sealed" in response["error"]["message"]
        sealed = seal(await hub_key(client), ID_NO)
        ticket = (await client.ok(READER_KIOSK, "ticket.take", {"id_sealed": sealed}))["ticket"]
        assert ticket["appointment"]["code"] == "CARD2"
