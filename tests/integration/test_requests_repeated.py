"""Requests and repeated requests (contract section 3), seen from outside: real broker, real
Redis, the real hub. A repeated request id is answered the same and carried out once."""

from __future__ import annotations

import json

import pytest

from hall.hub.runtime import Running

from .contract_client import ContractClient
from .payloads import envelope

# The shared Redis loses this test's keys when the test ends (after the hub has stopped).
pytestmark = pytest.mark.usefixtures("redis_client")


# ----- repeated requests ---------------------------------------------------------------------


async def test_a_repeated_take_gets_the_same_response_and_one_ticket(
    hub: Running, client: ContractClient
) -> None:
    c = client
    first = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="take-1")
    again = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="take-1")
    assert first["ok"] and first["result"]["ticket"]["no"] == "A001"
    assert again == first

    # Only one ticket was made: A002 does not exist, and the next new take gets it.
    assert await c.error("kiosk-1", "ticket.status", {"no": "A002"}) == "not_found"
    second = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert second["no"] == "A002" and second["ahead"] == 1

    # One print job and one event for A001: what is published for A002 comes after them.
    await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A002")
    jobs = [d["ticket"]["no"] for d in c.messages[c.topic("cmd", "printer-1")]]
    assert jobs == ["A001", "A002"]
    await c.wait_for(
        c.topic("events"),
        lambda d: d["type"] == "ticket.taken" and d["ticket"]["no"] == "A002",
    )
    taken = [
        e["ticket"]["no"] for e in c.messages[c.topic("events")] if e["type"] == "ticket.taken"
    ]
    assert taken == ["A001", "A002"]


async def test_a_request_sent_twice_back_to_back_is_carried_out_once(
    hub: Running, client: ContractClient
) -> None:
    """As a QoS 1 duplicate arrives: the second copy before the first is answered."""
    c = client
    res = c.topic("res", "kiosk-1")
    mark = c.count(res)
    payload = envelope("dup-1", "ticket.take", {"service": "B"})
    await c.send_raw("kiosk-1", payload)
    await c.send_raw("kiosk-1", payload)
    await c.wait_latest(res, lambda _: len(c.since(res, mark)) >= 2)
    first, second = c.since(res, mark)[:2]
    assert first == second and first["id"] == "dup-1" and first["ok"], (first, second)
    assert first["result"]["ticket"]["no"] == "B001"
    assert (await c.ok("kiosk-2", "ticket.take", {"service": "B"}))["ticket"]["no"] == "B002"
    assert c.since(res, mark)[2:] == []


async def test_a_repeated_call_next_is_carried_out_once(
    hub: Running, client: ContractClient
) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})
    await c.ok("kiosk-1", "ticket.take", {"service": "A"})

    first = await c.request("pad-1", "call.next", request_id="next-1")
    assert first["ok"] and first["result"]["ticket"]["no"] == "A001"
    # Carried out twice, the second "next" would end A001 and call A002.
    again = await c.request("pad-1", "call.next", request_id="next-1")
    assert again == first
    a001 = (await c.ok("kiosk-1", "ticket.status", {"no": "A001"}))["ticket"]
    assert a001["state"] == "called" and a001["window"] == "1"
    a002 = (await c.ok("kiosk-1", "ticket.status", {"no": "A002"}))["ticket"]
    assert a002["state"] == "waiting" and a002["ahead"] == 0

    # A new call.next goes on from there; A001 was announced once.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A002"
    await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "A002")
    announced = [(a["ticket"], a["repeat"]) for a in c.messages[c.topic("announce")]]
    assert announced == [("A001", 0), ("A002", 0)]


async def test_the_same_id_from_another_device_is_another_request(
    hub: Running, client: ContractClient
) -> None:
    c = client
    one = await c.ok("kiosk-1", "ticket.take", {"service": "A"}, request_id="same")
    two = await c.ok("kiosk-2", "ticket.take", {"service": "A"}, request_id="same")
    assert (one["ticket"]["no"], two["ticket"]["no"]) == ("A001", "A002")
    opened = await c.ok("pad-1", "window.open", {"staff": "S001"}, request_id="same")
    assert opened["window"]["state"] == "open"
    assert (await c.ok("pad-1", "call.next", request_id="same-2"))["ticket"]["no"] == "A001"
    assert (await c.ok("caller-1", "call.recall", request_id="same-2"))["ticket"]["recalls"] == 1


async def test_optional_arguments(hub: Running, client: ContractClient) -> None:
    """`priority` and `id_no` at the kiosk, `outcome` at the window; the ID number
    is never echoed to the hall (PIPL: only the kiosk's own request carries it)."""
    c = client
    id_no = "110101199003071234"
    args = {"service": "A", "priority": "green", "id_no": id_no}
    green = (await c.ok("kiosk-1", "ticket.take", args))["ticket"]
    assert green == {**green, "no": "A001", "priority": "green", "state": "waiting"}
    plain = await c.ok("kiosk-1", "ticket.take", {"service": "A", "priority": "normal"})
    assert plain["ticket"]["priority"] == "normal"
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    finished = (await c.ok("pad-1", "ticket.finish", {"outcome": "done"}))["ticket"]
    assert finished["no"] == "A001" and finished["state"] == "done"
    await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A002")
    await c.wait_latest(c.topic("events"), lambda e: e["type"] == "ticket.finished")
    leaks = [
        topic
        for topic, messages in c.messages.items()
        if not topic.endswith("/req") and any(id_no in json.dumps(m) for m in messages)
    ]
    assert leaks == []
