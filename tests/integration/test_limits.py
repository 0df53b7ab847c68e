"""What a flood costs: requests over a device's limit are refused before the store, retained
requests are never carried out, refusals are kept a minute (not a day), and a full Redis
refuses a write whole, losing nothing acknowledged."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from hall.hub.runtime import Running
from hall.store.commit import ANSWER_TTL_S, IDEMPOTENCY_TTL_S
from hall.store.keys import HallKeys
from tests.conftest import PrivateRedisFactory
from tests.support import eventually, hall_document, write_hall_config

from .conftest import running_hub
from .contract_client import ContractClient
from .halls import hall_with_client

KIOSK_BURST = 10
FLOOD = 999
FLOOD_S = 2.0


@pytest.fixture
async def limited(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, redis_client: aredis.Redis
) -> AsyncIterator[tuple[Running, ContractClient]]:
    """The demo hall with its kiosks held to 1 request a second after a burst of 10."""
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        rate_limits={"kiosk": {"per_s": 1.0, "burst": KIOSK_BURST}},
    )
    async with hall_with_client(path, hall_id) as (running, client):
        yield running, client


async def test_a_kiosk_flooding_takes_is_refused_after_its_burst_while_others_are_served(
    limited: tuple[Running, ContractClient],
) -> None:
    running, c = limited
    await c.ok("pad-1", "window.open", {"staff": "S001"})
    started = time.monotonic()
    for n in range(FLOOD):  # 999 numbers asked for within about two seconds
        body = {"id": f"flood-{n}", "op": "ticket.take", "args": {"service": "A"}}
        await c.client.publish(c.topic("req", "kiosk-1"), json.dumps(body), qos=0)
        await asyncio.sleep(max(0.0, started + FLOOD_S * n / FLOOD - time.monotonic()))
    # Another kiosk and the pad are served meanwhile.
    other = await c.ok("kiosk-2", "ticket.take", {"service": "A"})
    assert other["ticket"]["no"].startswith("A")
    called = await c.ok("pad-1", "call.next")
    assert called["ticket"] is not None
    # Every flood request the broker delivered was answered; only the burst (and what the
    # bucket refilled in the flood's seconds) issued tickets.
    res = c.topic("res", "kiosk-1")

    def answers() -> list[dict[str, object]]:
        return [r for r in c.messages.get(res, []) if str(r.get("id", "")).startswith("flood-")]

    await c.request("kiosk-1", "ticket.status", {"no": "Z999"}, timeout=10)
    issued = [r for r in answers() if r["ok"]]
    refused = [r for r in answers() if not r["ok"]]
    elapsed = time.monotonic() - started
    assert KIOSK_BURST <= len(issued) <= KIOSK_BURST + int(elapsed) + 1, len(issued)
    assert refused and all(r["error"]["code"] == "rate_limited" for r in refused)  # type: ignore[index]
    assert all(r["error"]["retry_after_s"] > 0 for r in refused)  # type: ignore[index]
    assert len(running.hub.state.tickets) == len(issued) + 1
    metrics = running.hub.render_metrics()
    assert 'code="rate_limited"' in metrics


async def test_a_page_acting_as_a_kiosk_has_the_same_limit(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, redis_client: aredis.Redis
) -> None:
    token = "kiosk-1-token-0123456789"
    devices = [dict(d) for d in hall_document(hall_id, mqtt_url, redis_url)["devices"]]
    for device in devices:
        if device["id"] == "kiosk-1":
            device["token"] = token
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        devices=devices,
        rate_limits={"kiosk": {"per_s": 0.01, "burst": 3}},
    )
    async with running_hub(path) as running:
        url = f"{running.http_url}/ws/device/kiosk-1?token={token}"
        codes: list[str] = []
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            for n in range(5):
                request = {"id": f"w{n}", "op": "ticket.take", "args": {"service": "A"}}
                await ws.send_str(json.dumps(request))
                while True:
                    reply = json.loads((await ws.receive(timeout=10)).data)
                    if reply.get("id") == f"w{n}":
                        break
                codes.append("ok" if reply["ok"] else reply["error"]["code"])
        assert codes == ["ok", "ok", "ok", "rate_limited", "rate_limited"]


async def test_a_repeat_past_the_limit_gets_its_stored_answer_and_takes_nothing_of_the_limit(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, redis_client: aredis.Redis
) -> None:
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        rate_limits={"kiosk": {"per_s": 0.01, "burst": 2}},
    )
    async with hall_with_client(path, hall_id) as (running, c):
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        taken = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="t1")
        refused = await c.request("kiosk-1", "ticket.take", {"service": "Q"}, request_id="t2")
        assert taken["ok"] and refused["error"]["code"] == "unknown_service", refused
        over = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="t3")
        assert over["error"]["code"] == "rate_limited", over
        # The device retries its first two (a lost answer): the same answers, nothing twice.
        for _ in range(3):
            assert await c.request("kiosk-1", "ticket.take", {"service": "A"}, "t1") == taken
            assert await c.request("kiosk-1", "ticket.take", {"service": "Q"}, "t2") == refused
        assert len(running.hub.state.tickets) == 1
        # A request refused as over the limit was never answered otherwise: still refused, and
        # the repeats above took nothing of the limit (nor gave any).
        again = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="t3")
        assert again["error"]["code"] == "rate_limited", again
        new = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="t4")
        assert new["error"]["code"] == "rate_limited", new
        assert len(running.hub.state.tickets) == 1


async def test_a_retained_request_is_never_carried_out(
    tmp_path: Path,
    hall_id: str,
    mqtt_url: str,
    mqtt_host_port: tuple[str, int],
    redis_url: str,
    redis_client: aredis.Redis,
) -> None:
    path = write_hall_config(tmp_path, hall_id, mqtt_url, redis_url)
    topic = f"hall/{hall_id}/dev/kiosk-1/req"
    body = json.dumps({"id": "kept", "op": "ticket.take", "args": {"service": "A"}})
    host, port = mqtt_host_port
    try:
        # Published with the retain flag before the hub runs: the broker keeps it and hands it
        # to the hub's subscription when the hub starts.
        async with ContractClient(host, port, hall_id, f"early-{hall_id}") as early:
            await early.client.publish(topic, body, qos=1, retain=True)
        async with hall_with_client(path, hall_id) as (running, c):
            await c.request("kiosk-1", "ticket.status", {"no": "Z999"})
            assert "hall_retained_requests_total 1" in running.hub.render_metrics()
            assert running.hub.state.tickets == {}
            assert (await c.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"][
                "no"
            ] == "A001"
    finally:
        async with ContractClient(host, port, hall_id, f"clean-{hall_id}") as cleaner:
            await cleaner.client.publish(topic, b"", qos=1, retain=True)


async def test_a_refusal_is_kept_a_minute_and_a_change_a_day(
    hub: Running, client: ContractClient, redis_client: aredis.Redis, hall_id: str
) -> None:
    keys = HallKeys(hall_id)
    assert await client.error("kiosk-1", "ticket.take", {"service": "Q"}, request_id="no") == (
        "unknown_service"
    )
    await client.ok("kiosk-1", "ticket.take", {"service": "A"}, request_id="yes")
    refused_ttl = await redis_client.ttl(keys.idempotency("kiosk-1", "no"))
    kept_ttl = await redis_client.ttl(keys.idempotency("kiosk-1", "yes"))
    assert 0 < refused_ttl <= ANSWER_TTL_S
    assert IDEMPOTENCY_TTL_S - 60 < kept_ttl <= IDEMPOTENCY_TTL_S
    # Within the minute the repeat gets the same answer.
    again = await client.request("kiosk-1", "ticket.take", {"service": "Q"}, request_id="no")
    assert again["error"]["code"] == "unknown_service"


async def test_a_full_redis_refuses_the_write_whole_and_loses_nothing(
    tmp_path: Path, hall_id: str, mqtt_url: str, private_redis: PrivateRedisFactory
) -> None:
    server = private_redis("--maxmemory-policy noeviction")
    path = write_hall_config(tmp_path, hall_id, mqtt_url, server.url)
    admin = aredis.Redis.from_url(server.url)
    try:
        async with hall_with_client(path, hall_id) as (running, c):
            first = await c.ok("kiosk-1", "ticket.take", {"service": "A"}, request_id="t1")
            await admin.config_set("maxmemory", 1)  # every write is now over the limit
            refused = await c.request("kiosk-1", "ticket.take", {"service": "A"}, request_id="t2")
            # Nothing was written; the device may send it again (the same id) once Redis has
            # room: the retryable `unavailable`, with its hint.
            assert not refused["ok"] and refused["error"]["code"] == "unavailable", refused
            assert refused["error"]["retry_after_s"] > 0
            await admin.config_set("maxmemory", 0)
            second = await c.ok("kiosk-1", "ticket.take", {"service": "A"}, request_id="t2")
            assert first["ticket"]["no"] == "A001" and second["ticket"]["no"] == "A002"
            stored = await admin.hgetall(HallKeys(hall_id).tickets(running.hub.state.day))
            assert {k.decode() if isinstance(k, bytes) else k for k in stored} == {"A001", "A002"}
    finally:
        await admin.aclose()


async def test_a_kiosk_far_over_its_limit_is_dropped_on_arrival_and_others_go_first(
    limited: tuple[Running, ContractClient],
) -> None:
    """Beyond ten times its limit a device's requests are not even queued: a flood as fast as
    the broker takes it is mostly dropped unanswered (and counted), and another kiosk's
    request does not wait behind it."""
    running, c = limited
    started = time.monotonic()
    for n in range(5_000):
        body = {"id": f"storm-{n}", "op": "ticket.status", "args": {"no": "A001"}}
        await c.client.publish(c.topic("req", "kiosk-1"), json.dumps(body), qos=0)
    other = await c.ok("kiosk-2", "ticket.take", {"service": "A"})
    assert other["ticket"]["no"].startswith("A")

    def answered() -> int:
        res = c.messages.get(c.topic("res", "kiosk-1"), [])
        return sum(1 for r in res if str(r["id"]).startswith("storm-"))

    def shed() -> float:
        (count,) = [
            float(line.split()[1])
            for line in running.hub.render_metrics().splitlines()
            if line.startswith("hall_requests_shed_total ")
        ]
        return count

    # The flood is over for the hub once nothing more of it is answered or dropped for a
    # while (the broker itself may drop some of a QoS 0 flood: not every one is counted).
    seen: list[tuple[int, float]] = []

    async def settled() -> bool:
        seen.append((answered(), shed()))
        await asyncio.sleep(0.5)
        return len(seen) >= 3 and seen[-1] == seen[-3]

    await eventually(settled, "the flood handled", timeout=60)
    elapsed = time.monotonic() - started
    # The gate's bucket: 100 at once, then 20 a second (ten times the kiosk's 1/s and 10).
    assert 0 < answered() <= 100 + 20 * elapsed + 1, (answered(), elapsed)
    assert shed() > 0 and shed() + answered() <= 5_000
