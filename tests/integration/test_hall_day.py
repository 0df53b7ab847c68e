"""A whole hall day through the contract only: real broker, real Redis, the real hub."""

from __future__ import annotations

import jsonschema

from hall.hub.runtime import Running
from hall.web.asyncapi import schema_for

from .contract_client import ContractClient


async def test_a_hall_day(hub: Running, client: ContractClient) -> None:
    c = client
    status = await c.wait_latest(c.topic("hub/status"), lambda d: d.get("state") == "online")
    assert status["epoch"] >= 1

    window = (await c.ok("pad-1", "window.open", {"staff": "S001"}))["window"]
    assert window == {**window, "id": "1", "state": "open", "staff": "S001", "ticket": None}

    first = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert first["no"] == "A001" and first["state"] == "waiting" and first["ahead"] == 0
    assert isinstance(first["eta_s"], int) and first["issued_at"].endswith("+08:00")
    second = (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
    assert second["no"] == "A002" and second["ahead"] == 1
    green = (await c.ok("kiosk-2", "ticket.take", {"service": "B", "priority": "green"}))["ticket"]
    assert green["no"] == "B001" and green["priority"] == "green"

    # The kiosk's printer gets the ticket as a print job.
    job = await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A001")
    assert job["job"] == "print"

    # Window 1 serves A then B; the green ticket goes first.
    called = (await c.ok("pad-1", "call.next"))["ticket"]
    assert called["no"] == "B001" and called["state"] == "called" and called["window"] == "1"
    led = await c.wait_latest(c.topic("state", "led-1"), lambda d: d["ticket"] == "B001")
    assert led["text"] == "请B001号" and led["window"] == "1"
    announce = await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "B001")
    assert announce["text"] == "请B001号到1号窗口办理" and announce["repeat"] == 0
    board = await c.wait_latest(
        c.topic("board"),
        lambda d: (
            bool(d["calls"])
            and d["calls"][:1] == [{**d["calls"][0], "ticket": "B001", "window": "1"}]
        ),
    )
    assert board["waiting"]["A"] == 2

    recalled = (await c.ok("pad-1", "call.recall"))["ticket"]
    assert recalled["recalls"] == 1
    await c.wait_for(c.topic("announce"), lambda d: d["ticket"] == "B001" and d["repeat"] == 1)
    assert (await c.ok("pad-1", "ticket.start"))["ticket"]["state"] == "serving"
    done = (await c.ok("pad-1", "ticket.finish"))["ticket"]
    assert done["state"] == "done"
    evaluation = await c.ok("eval-1", "eval.submit", {"ticket": "B001", "level": 5})
    assert evaluation["evaluation"]["level"] == 5
    assert await c.error("eval-1", "eval.submit", {"ticket": "B001", "level": 4}) == "invalid_state"

    # A001 is called, does not show up.
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
    assert (await c.ok("pad-1", "call.no_show"))["ticket"]["state"] == "no_show"

    # A002 is transferred to C and keeps its place ahead of later C arrivals.
    later_c = (await c.ok("kiosk-1", "ticket.take", {"service": "C"}))["ticket"]
    assert (await c.ok("pad-1", "call.next"))["ticket"]["no"] == "A002"
    moved = (await c.ok("pad-1", "ticket.transfer", {"service": "C"}))["ticket"]
    assert moved["state"] == "waiting" and moved["service"] == "C" and moved["ahead"] == 0
    status_later = (await c.ok("kiosk-1", "ticket.status", {"no": later_c["no"]}))["ticket"]
    assert status_later["ahead"] == 1

    await c.ok("pad-3", "window.open", {"staff": "S003"})
    assert (await c.ok("pad-3", "call.next"))["ticket"]["no"] == "A002"

    paused = (await c.ok("pad-1", "window.pause", {"reason": "午休"}))["window"]
    assert paused["state"] == "paused"
    assert await c.error("pad-1", "call.next") == "window_paused"
    await c.wait_latest(c.topic("state", "led-1"), lambda d: d["state"] == "paused")
    assert (await c.ok("pad-1", "window.resume"))["window"]["state"] == "open"
    assert (await c.ok("pad-1", "window.close"))["window"]["state"] == "closed"
    assert await c.error("pad-1", "call.next") == "window_closed"

    services = await c.wait_latest(c.topic("services"), lambda d: True)
    codes = {s["code"]: s for s in services["services"]}
    assert set(codes) == {"A", "B", "C"}
    events = c.messages[c.topic("events")]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    # Every message of the day matches the published AsyncAPI document.
    checked = 0
    for topic, messages in c.messages.items():
        schema = schema_for(topic, c.hall)
        assert schema is not None, f"{topic} is not in the AsyncAPI document"
        for message in messages:
            jsonschema.validate(message, schema)
            checked += 1
    assert checked > 50
