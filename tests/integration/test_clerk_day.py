"""The clerk's operations end to end over MQTT, through the contract only: the window's
list, calling a chosen ticket, recalls to the cap, a no-show requeued, transfers to a clerk,
a window and a service at the front or back, finishing with the services done, and the
manager's pause and close from the dashboard's path."""

from __future__ import annotations

import uuid
from typing import Any

import jsonschema

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.runtime import Running
from hall.web.asyncapi import QUEUE, schema_for

from .contract_client import ContractClient


async def _queue(c: ContractClient, pad: str) -> list[str]:
    result = await c.ok(pad, "window.queue")
    jsonschema.validate(result, QUEUE)
    return [t["no"] for t in result["tickets"]]


async def _take(c: ContractClient, service: str, n: int = 1) -> list[str]:
    return [
        (await c.ok("kiosk-1", "ticket.take", {"service": service}))["ticket"]["no"]
        for _ in range(n)
    ]


async def test_a_clerks_day_through_the_contract(hub: Running, client: ContractClient) -> None:
    c = client
    await c.ok("pad-1", "window.open", {"staff": "S001"})  # window 1: A, B
    await c.ok("pad-2", "window.open", {"staff": "S002"})  # window 2: A
    await c.ok("pad-4", "window.open", {"staff": "S004"})  # window 4: C, A, B
    await _take(c, "A", 4)
    await _take(c, "B", 1)
    assert await _queue(c, "pad-1") == ["A001", "A002", "A003", "A004", "B001"]
    bounded = await c.ok("pad-1", "window.queue", {"limit": 2})
    assert bounded["total"] == 5 and len(bounded["tickets"]) == 2

    # Call a chosen ticket; refusals name what is wrong.
    assert (await c.ok("pad-1", "call.ticket", {"no": "A003"}))["ticket"]["window"] == "1"
    assert await c.error("pad-2", "call.ticket", {"no": "A003"}) == "not_waiting"
    assert await c.error("pad-2", "call.ticket", {"no": "B001"}) == "not_window_service"
    led = await c.wait_latest(c.topic("state", "led-1"), lambda d: d["ticket"] == "A003")
    assert (led["recalls"], led["recall_cap"]) == (0, 3)

    # Recall to the cap: the pad's state counts, the fourth is refused.
    for n in (1, 2, 3):
        await c.ok("pad-1", "call.recall")
        await c.wait_latest(c.topic("state", "pad-1"), lambda d, n=n: d["recalls"] == n)
    assert await c.error("pad-1", "call.recall") == "invalid_state"

    # A no-show, requeued: back after three of those waiting (the hall's default).
    assert (await c.ok("pad-1", "call.no_show"))["ticket"]["state"] == "no_show"
    requeued = (await c.ok("pad-2", "ticket.requeue", {"no": "A003"}))["ticket"]
    assert requeued["state"] == "waiting" and requeued["visit"] == 2 and requeued["ahead"] == 3
    assert await _queue(c, "pad-2") == ["A001", "A002", "A004", "A003"]
    await c.wait_for(c.topic("events"), lambda e: e["type"] == "ticket.requeued")

    # Transfer to a clerk: only the window that clerk is signed in at calls it.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    moved = await c.ok("pad-1", "ticket.transfer", {"staff": "S004", "position": "back"})
    assert moved["ticket"]["for_window"] == "4" and moved["ticket"]["service"] == "A"
    event = await c.wait_for(c.topic("events"), lambda e: e["type"] == "ticket.transferred")
    assert event["from"] == {"service": "A", "window": "1", "staff": "S001"}
    assert event["to"] == {"service": "A", "window": "4", "staff": "S004", "position": "back"}
    assert "A001" not in await _queue(c, "pad-2")
    # Window 4 calls C, then A, then B: the transferred ticket is last of the A tickets.
    assert await _queue(c, "pad-4") == ["A002", "A004", "A003", "A001", "B001"]
    assert await c.error("pad-1", "ticket.transfer", {"staff": "S009"}) == "no_ticket"
    assert (await c.ok("pad-4", "call.ticket", {"no": "A001"}))["ticket"]["no"] == "A001"
    assert await c.error("pad-4", "ticket.transfer", {"staff": "S009"}) == "no_window"
    # To a service at the front: window 1 calls it before the waiting B tickets.
    await _take(c, "B", 1)
    front = await c.ok("pad-4", "ticket.transfer", {"service": "B", "position": "front"})
    assert front["ticket"]["ahead"] == 0 and front["ticket"]["origin_service"] == "A"

    # Finish with two services done: on the ticket and in the event.
    assert (await c.ok("pad-2", "call.next"))["ticket"]["no"] == "A002"
    assert await c.error("pad-2", "ticket.finish", {"services_done": ["A", "Q"]}) == (
        "unknown_service"
    )
    done = (await c.ok("pad-2", "ticket.finish", {"services_done": ["A", "C"]}))["ticket"]
    assert done["services_done"] == ["A", "C"]
    finished = await c.wait_for(
        c.topic("events"),
        lambda e: e["type"] == "ticket.finished" and e["ticket"]["no"] == "A002",
    )
    assert finished["ticket"]["services_done"] == ["A", "C"]

    # The manager pauses then closes window 2 from the dashboard: its pad sees it at once.
    manager = Actor.manager("admin")
    pause = Request(f"dash-{uuid.uuid4().hex}", "window.pause", {"window": "2", "reason": "值班长"})
    assert (await hub.hub.submit(manager, pause)).code == "ok"
    pad = await c.wait_latest(c.topic("state", "pad-2"), lambda d: d["state"] == "paused")
    assert pad["paused_reason"] == "值班长"
    close = Request(f"dash-{uuid.uuid4().hex}", "window.close", {"window": "2"})
    assert (await hub.hub.submit(manager, close)).code == "ok"
    await c.wait_latest(c.topic("state", "pad-2"), lambda d: d["state"] == "closed")
    closed = await c.wait_for(c.topic("events"), lambda e: e["type"] == "window.close")
    assert closed["device"] == "dashboard-admin"
    assert await c.error("pad-2", "call.next") == "window_closed"

    # Every message of the day matches the published AsyncAPI document.
    for topic, messages in c.messages.items():
        schema: dict[str, Any] | None = schema_for(topic, c.hall)
        assert schema is not None, topic
        for message in messages:
            jsonschema.validate(message, schema)
