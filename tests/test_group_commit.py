"""Requests that arrive together are committed together, with the same answers as one by
one: repeated ids (before, and inside the batch) are never carried out twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall


@pytest.fixture
async def engine(redis_url: str) -> AsyncIterator[HallEngine]:
    hall_id = "gc-" + uuid.uuid4().hex[:10]
    client = aredis.from_url(redis_url)
    hall = HallEngine(small_hall(hall_id), HallStore(client, hall_id))
    await hall.start()
    yield hall
    keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def device(engine: HallEngine, device_id: str) -> Actor:
    found = engine.config.device(device_id)
    assert found is not None
    return Actor.of_device(found)


def answer(handled_response: bytes) -> dict[str, object]:
    data: dict[str, object] = json.loads(handled_response)
    return data


async def test_a_batch_matches_one_by_one(engine: HallEngine) -> None:
    kiosk, pad = device(engine, "kiosk-1"), device(engine, "pad-1")
    first = await engine.handle(kiosk, Request("t0", "ticket.take", {"service": "A"}))
    assert first.code == "ok"
    batch = [
        (kiosk, Request("t1", "ticket.take", {"service": "A"})),
        (kiosk, Request("t0", "ticket.take", {"service": "A"})),  # seen before
        (kiosk, Request("t2", "ticket.take", {"service": "B", "priority": "green"})),
        (kiosk, Request("t1", "ticket.take", {"service": "A"})),  # twice in the batch
        (pad, Request("o1", "window.open", {"staff": "S1"})),
        (pad, Request("n1", "call.next", {})),
        (pad, Request("n2", "ticket.finish", {})),
        (kiosk, Request("bad", "ticket.take", {"service": "Q"})),
    ]
    handled = await engine.handle_many(batch)
    assert answer(handled[0].response)["result"]["ticket"]["no"] == "A002"  # type: ignore[index]
    assert handled[1].response == first.response and handled[1].duplicate
    assert answer(handled[2].response)["result"]["ticket"]["no"] == "B001"  # type: ignore[index]
    assert handled[3].response == handled[0].response
    assert answer(handled[5].response)["result"]["ticket"]["no"] == "B001"  # type: ignore[index]
    assert handled[6].code == "ok"
    assert handled[7].code == "unknown_service"
    # What is stored is what was answered: a restart sees the same hall.
    stored = await engine.store.load(engine.state.day)
    assert sorted(stored.tickets) == ["A001", "A002", "B001"]
    assert stored.tickets["B001"].state == "done"
    assert engine.state.tickets == stored.tickets
