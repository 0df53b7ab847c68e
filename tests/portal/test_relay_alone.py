"""The relay on its own (no hub): entries written as the hub's commit script writes them.

It stops whenever it is cancelled, and it rides out a Redis server that goes away and comes
back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from typing import Any

import pytest
import redis.asyncio as aredis
from redis.exceptions import ResponseError

from hall.domain.config import PortalConfig
from hall.store.outbox import GROUP, Outbox
from portal_link.relay import OutboxRelay
from tests.support import eventually

from .conftest import FAST, SECRET, STOP_S, OfficeServer

pytestmark = pytest.mark.usefixtures("redis_client")


def case_entry(hall_id: str, no: str) -> bytes:
    case_id = f"{hall_id}-2024-05-01-{no}"
    body = {"case_id": case_id, "hall": hall_id, "ticket": no, "service": "A", "outcome": "done"}
    return json.dumps({"kind": "case", "key": case_id, "body": body}).encode()


async def add(client: aredis.Redis, hall_id: str, no: str) -> None:
    await client.xadd(f"{{hall:{hall_id}}}:outbox", {"entry": case_entry(hall_id, no)})


def relay_for(client: aredis.Redis, hall_id: str, office: OfficeServer) -> OutboxRelay:
    portal = PortalConfig(office.portal_url, SECRET)
    return OutboxRelay(Outbox(client, hall_id), hall_id, portal, timings=FAST)


async def test_the_relay_stops_whenever_it_is_cancelled(
    redis_client: aredis.Redis, hall_id: str, back_office: OfficeServer
) -> None:
    rng = random.Random(7)
    for n in range(40):
        await add(redis_client, hall_id, f"A{n:03d}")
        relay = relay_for(redis_client, hall_id, back_office)
        task = asyncio.create_task(relay.run())
        await asyncio.sleep(rng.random() * 0.03)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_S)
        assert done, f"round {n}: the relay went on after being cancelled"
        assert task.cancelled()
    # Whatever was cut short is sent by the next relay, each case stored once.
    relay = relay_for(redis_client, hall_id, back_office)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: back_office.stored() == 40, "all 40 stored", tasks=[task])
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_S)
    assert back_office.arrival() == [("case", f"A{n:03d}") for n in range(40)]


async def test_the_relay_rides_out_a_redis_restart(
    private_redis: Any, hall_id: str, back_office: OfficeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "portal_link.relay")
    server = private_redis("--appendonly yes --appendfsync always")
    client = aredis.Redis.from_url(server.url)
    relay = relay_for(client, hall_id, back_office)
    task = asyncio.create_task(relay.run())
    try:
        await add(client, hall_id, "A001")
        await eventually(lambda: back_office.stored() == 1, "the first case", tasks=[task])
        await asyncio.to_thread(server.stop)
        await eventually(
            lambda: "store unavailable" in caplog.text, "the relay notices", tasks=[task]
        )
        await asyncio.to_thread(server.start)
        writer = aredis.Redis.from_url(server.url)  # the test's own, fresh connection
        try:
            await add(writer, hall_id, "A002")
        finally:
            await writer.aclose()
        await eventually(
            lambda: back_office.stored() == 2, "the case after the restart", tasks=[task]
        )
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_S)
        await client.aclose()
    assert back_office.arrival() == [("case", "A001"), ("case", "A002")]


async def test_entries_left_pending_by_another_relay_come_first(
    redis_client: aredis.Redis, hall_id: str, back_office: OfficeServer
) -> None:
    """A relay fenced just after it read entries leaves them pending with its name; they are
    older than whatever arrives next, so the running relay takes them over and sends them
    first."""
    key = f"{{hall:{hall_id}}}:outbox"
    relay = relay_for(redis_client, hall_id, back_office)
    task = asyncio.create_task(relay.run())

    async def registered() -> bool:
        with contextlib.suppress(ResponseError):
            consumers = await redis_client.xinfo_consumers(key, GROUP)
            return any(c["name"] == relay.consumer.encode() for c in consumers)
        return False

    try:
        await eventually(registered, "the relay reads the outbox")
        # In one transaction: two entries, read at once by another consumer, and a third.
        pipe = redis_client.pipeline(transaction=True)
        pipe.xadd(key, {"entry": case_entry(hall_id, "A001")})
        pipe.xadd(key, {"entry": case_entry(hall_id, "A002")})
        pipe.xreadgroup(GROUP, "fenced-relay", {key: ">"}, count=10)
        pipe.xadd(key, {"entry": case_entry(hall_id, "A003")})
        await pipe.execute()
        await eventually(lambda: relay.delivered == 3, "all three acknowledged", tasks=[task])
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_S)
    assert back_office.arrival() == [("case", "A001"), ("case", "A002"), ("case", "A003")]
    assert (await redis_client.xpending(key, GROUP))["pending"] == 0
