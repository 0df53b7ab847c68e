"""A clerk signs in at a window with staff number and PIN (or a staff card): a wrong or
missing PIN is answered `bad_credentials`, repeated failures lock the staff number for a
while (`account_locked` with `retry_after_s`), and the PIN is never echoed or stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hall.hub.runtime import Running
from hall.hub.staff import LOCK_AFTER, card_digest
from hall.web.asyncapi import schema_for
from hall.web.sessions import hash_password
from tests.support import hall_document, write_hall_config

from .contract_client import ContractClient
from .halls import hall_with_client

pytestmark = pytest.mark.integration

PIN, CARD = "4711", "card-00042"


def hall_file(tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, **more: Any) -> Path:
    devices = hall_document(hall_id, mqtt_url, redis_url)["devices"]
    clerk = {
        "name": "li",
        "password_hash": hash_password("not-for-the-dashboard"),
        "role": "clerk",
        "staff": "1001",
        "pin_hash": hash_password(PIN),
        "card_hash": card_digest(CARD),
    }
    return write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        users=[clerk],
        devices=[{**d, "card_reader": True} if d["id"] == "pad-1" else d for d in devices],
        **more,
    )


@pytest.fixture
async def hall(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> AsyncIterator[tuple[Running, ContractClient]]:
    async with hall_with_client(hall_file(tmp_path, hall_id, mqtt_url, redis_url), hall_id) as h:
        yield h


async def test_a_clerk_signs_in_with_staff_number_and_pin(
    hall: tuple[Running, ContractClient],
) -> None:
    _hub, client = hall
    assert await client.error("pad-2", "window.open", {"staff": "1001"}) == "bad_credentials"
    wrong = await client.request("pad-2", "window.open", {"staff": "1001", "pin": "0000"})
    assert wrong["error"]["code"] == "bad_credentials"
    jsonschema.validate(wrong, schema_for(client.topic("res", "pad-2"), client.hall) or {})
    result = await client.ok("pad-2", "window.open", {"staff": "1001", "pin": PIN})
    assert result["window"]["staff"] == "1001" and result["window"]["state"] == "open"
    # Nobody holds staff number 7: without [staff] require_pin it signs in as before.
    assert (await client.ok("pad-3", "window.open", {"staff": "7"}))["window"]["state"] == "open"
    for topic, messages in client.messages.items():
        if not topic.endswith("/req"):  # the pad's own requests hold it, nothing else does
            assert f'"{PIN}"' not in json.dumps(messages), topic


async def test_repeated_failures_lock_the_staff_number_for_a_while(
    hall: tuple[Running, ContractClient],
) -> None:
    hub, client = hall
    for attempt in range(LOCK_AFTER):
        args = {"staff": "1001", "pin": f"99{attempt:02d}"}
        assert await client.error("pad-2", "window.open", args) == "bad_credentials"
    locked = await client.request("pad-2", "window.open", {"staff": "1001", "pin": PIN})
    assert locked["error"]["code"] == "account_locked", locked
    assert 0 < locked["error"]["retry_after_s"] <= 15 * 60
    audit = await hub.hub.staff.users.audit_log()
    assert [e["event"] for e in audit[:2]] == ["locked", "sign_in_failed"]
    assert all(PIN not in json.dumps(e) for e in audit)
    # Unlocked (as the manager's unlock does), the right PIN signs in again.
    await hub.hub.staff.unlock("1001")
    assert (await client.ok("pad-2", "window.open", {"staff": "1001", "pin": PIN}))["window"]


async def test_a_staff_card_signs_in_only_where_a_card_reader_is_bound(
    hall: tuple[Running, ContractClient],
) -> None:
    _hub, client = hall
    assert await client.ok("pad-1", "window.open", {"staff": "1001", "staff_card": CARD})
    args = {"staff": "1001", "staff_card": CARD}
    assert await client.error("pad-2", "window.open", args) == "bad_credentials"
    args = {"staff": "1001", "staff_card": "card-other"}
    assert await client.error("pad-1", "window.open", args) == "bad_credentials"


async def test_the_hall_may_require_a_pin_of_every_staff_number(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    path = hall_file(tmp_path, hall_id, mqtt_url, redis_url, staff={"require_pin": True})
    async with hall_with_client(path, hall_id) as (_hub, client):
        assert await client.error("pad-2", "window.open", {"staff": "7"}) == "bad_credentials"
        args = {"staff": "7", "pin": PIN}
        assert await client.error("pad-2", "window.open", args) == "bad_credentials"
        assert await client.ok("pad-2", "window.open", {"staff": "1001", "pin": PIN})


async def test_guesses_sent_at_once_lock_at_the_same_count_and_then_refuse_the_right_pin(
    hall: tuple[Running, ContractClient],
) -> None:
    """Wrong PINs published together from several devices, each device's last request the
    right PIN: the staff number locks at the LOCK_AFTER-th failure and stays locked."""
    hub, client = hall
    devices, wrong_each = ("pad-2", "pad-3", "pad-4", "caller-1"), 11
    marks = {d: client.count(client.topic("res", d)) for d in devices}
    sent: dict[str, list[str]] = {d: [] for d in devices}
    for n in range(wrong_each + 1):
        for device in devices:
            pin = PIN if n == wrong_each else f"{n:02d}{len(sent[device]):02d}"
            request_id = f"guess-{device}-{n}"
            body = {"id": request_id, "op": "window.open", "args": {"staff": "1001", "pin": pin}}
            await client.send_raw(device, json.dumps(body))
            sent[device].append(request_id)
    codes: dict[str, list[str]] = {}
    for device, ids in sent.items():
        answers = [await client.response_to(device, i, marks[device]) for i in ids]
        assert not any(a["ok"] for a in answers), answers
        codes[device] = [a["error"]["code"] for a in answers]
    every = [code for device_codes in codes.values() for code in device_codes]
    assert every.count("bad_credentials") == LOCK_AFTER, codes
    assert every.count("account_locked") == len(every) - LOCK_AFTER, codes
    assert all(device_codes[-1] == "account_locked" for device_codes in codes.values())
    audit = [e["event"] for e in await hub.hub.staff.users.audit_log()]
    assert audit.count("sign_in_failed") == LOCK_AFTER and audit.count("locked") == 1
    assert "sign_in" not in audit
    # Still locked afterwards: the right PIN alone is refused too.
    again = await client.request("pad-2", "window.open", {"staff": "1001", "pin": PIN})
    assert again["error"]["code"] == "account_locked", again
