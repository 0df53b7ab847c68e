"""Requests that arrive together are committed together, with the same answers as one by
one: repeated ids (before, and inside the batch) are never carried out twice, whether the
store is asked which ids were answered (after the hub took the hall) or the hub's own memory
of them tells (later), and even for a retry of what an earlier hub answered."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.hub.recent_requests import RecentRequests
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall


@pytest.fixture(params=["store asked", "own memory"])
async def engine(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[HallEngine]:
    hall_id = "gc-" + uuid.uuid4().hex[:10]
    client = aredis.from_url(redis_url)
    trust_after_s = 300.0 if request.param == "store asked" else 0.0
    recent = RecentRequests(trust_after_s=trust_after_s)
    hall = HallEngine(small_hall(hall_id), HallStore(client, hall_id), recent=recent)
    await hall.start()
    if request.param == "store asked":
        recent.took_hall()  # as when the answered index could not be read: ask the store
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


async def test_a_retry_of_what_an_earlier_hub_answered_is_never_carried_out_twice(
    engine: HallEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """A hub that trusts its own memory gets a retry of a request an earlier hub carried out
    longer ago than the answered index keeps: the commit finds it, the hall is read again,
    and the answers and the stored hall are as if it had been asked first."""
    kiosk = device(engine, "kiosk-1")
    first = await engine.handle(kiosk, Request("r0", "ticket.take", {"service": "A"}))
    await engine.store.client.delete(engine.store.keys.answered)  # r0 is older than it keeps
    later = HallEngine(
        engine.config,
        HallStore(engine.store.client, engine.config.hall.id),
        recent=RecentRequests(trust_after_s=0.0),
    )
    await later.start()
    handled = await later.handle_many(
        [
            (kiosk, Request("r1", "ticket.take", {"service": "A"})),
            (kiosk, Request("r0", "ticket.take", {"service": "A"})),  # the earlier hub's
            (kiosk, Request("r2", "ticket.take", {"service": "A"})),
        ]
    )
    assert handled[1].response == first.response
    assert "a grouped commit was refused; reloading the hall" in caplog.text  # found at commit
    numbers = [answer(h.response)["result"]["ticket"]["no"] for h in (handled[0], handled[2])]  # type: ignore[index]
    assert sorted(numbers) == ["A002", "A003"]
    stored = await later.store.load(later.state.day)
    assert sorted(stored.tickets) == ["A001", "A002", "A003"]
    assert later.state.tickets == stored.tickets


async def test_a_hub_that_takes_the_hall_knows_what_the_one_before_answered_lately(
    engine: HallEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """The answered index: a newer hub knows at once which requests the earlier one answered
    in the last minutes, so a retry of one in a group is answered as before without asking
    the store per group and without reading the hall again."""
    kiosk = device(engine, "kiosk-1")
    first = await engine.handle(kiosk, Request("k0", "ticket.take", {"service": "A"}))
    later = HallEngine(
        engine.config,
        HallStore(engine.store.client, engine.config.hall.id),
        recent=RecentRequests(trust_after_s=300.0),  # the store would be asked for minutes
    )
    await later.start()
    asked: list[object] = []
    original_seen = later.store.seen

    async def seen(requests: list[tuple[str, str]]) -> list[bool]:
        asked.append(requests)
        return await original_seen(requests)

    later.store.seen = seen  # type: ignore[method-assign]
    handled = await later.handle_many(
        [
            (kiosk, Request("k1", "ticket.take", {"service": "A"})),
            (kiosk, Request("k0", "ticket.take", {"service": "A"})),  # the earlier hub's
            (kiosk, Request("k2", "ticket.take", {"service": "A"})),
        ]
    )
    assert handled[1].response == first.response and handled[1].duplicate
    numbers = [answer(h.response)["result"]["ticket"]["no"] for h in (handled[0], handled[2])]  # type: ignore[index]
    assert numbers == ["A002", "A003"]
    assert asked == []  # its memory told
    assert "reloading the hall" not in caplog.text
    entries = await engine.store.client.zrange(engine.store.keys.answered, 0, -1)
    assert len(entries) == 3  # k0, k1, k2: each answer once


async def test_a_server_without_the_hall_s_epoch_is_waited_for_not_obeyed(
    engine: HallEngine,
) -> None:
    """For a moment in a failover the server reached may hold none of the hall's keys: the
    commit is held and carried out once the epoch is there again (one request, a group), and
    while it is missing the answer is `unavailable`, never a stop as if a newer hub claimed
    the hall."""
    kiosk = device(engine, "kiosk-1")
    client = engine.store.client
    epoch_key = engine.store.keys.epoch
    epoch = await client.get(epoch_key)
    assert epoch is not None

    async def back_after(delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await client.set(epoch_key, epoch)

    await client.delete(epoch_key)
    restore = asyncio.create_task(back_after(0.5))
    one = await engine.handle(kiosk, Request("e1", "ticket.take", {"service": "A"}))
    await restore
    assert answer(one.response)["result"]["ticket"]["no"] == "A001"  # type: ignore[index]

    await client.delete(epoch_key)
    restore = asyncio.create_task(back_after(0.5))
    group = await engine.handle_many(
        [(kiosk, Request(f"e{n}", "ticket.take", {"service": "A"})) for n in (2, 3)]
    )
    await restore
    numbers = [answer(h.response)["result"]["ticket"]["no"] for h in group]  # type: ignore[index]
    assert numbers == ["A002", "A003"]

    await client.delete(epoch_key)  # and this time it stays away past the ride-through
    refused = await engine.handle(kiosk, Request("e4", "ticket.take", {"service": "A"}))
    assert refused.code == "unavailable"
    await client.set(epoch_key, epoch)
    stored = await engine.store.load(engine.state.day)
    assert sorted(stored.tickets) == ["A001", "A002", "A003"]
    again = await engine.handle(kiosk, Request("e5", "ticket.take", {"service": "A"}))
    assert answer(again.response)["result"]["ticket"]["no"] == "A004"  # type: ignore[index]
