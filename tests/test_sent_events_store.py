"""The stored mark of the events the broker has, and the events after it, on a real Redis."""

from __future__ import annotations

import uuid

import redis.asyncio as aredis

from hall.hub.sent_events import EventMarks
from hall.store import sent_events
from hall.store.hall_store import HallStore


async def test_the_events_after_the_mark_come_oldest_first_in_the_contract_s_json(
    redis_url: str,
) -> None:
    hall_id = f"sent-{uuid.uuid4().hex[:8]}"
    client = aredis.from_url(redis_url)
    store = HallStore(client, hall_id)
    stored = store.sent_events()
    try:
        assert await stored.mark() is None and await stored.last_seq() == 0
        count = sent_events.PAGE * 2 + 7  # read back over several pages
        for seq in range(1, count + 1):
            body = f'{{"type":"ticket.taken","at":"t","ticket":{{"no":"A{seq:03d}"}}}}'
            await client.xadd(store.keys.events, {"seq": seq, "e": body})
        await client.set(store.keys.event_seq, count)
        assert await stored.last_seq() == count

        after = await stored.after(count - 3, limit=100)
        assert [seq for seq, _ in after] == [count - 2, count - 1, count]
        assert after[0][1] == (
            b'{"seq":%d,"type":"ticket.taken","at":"t","ticket":{"no":"A%03d"}}'
            % (count - 2, count - 2)
        )
        many = await stored.after(5, limit=10_000)
        assert [seq for seq, _ in many] == list(range(6, count + 1))
        newest = await stored.after(0, limit=600)  # more than the limit: the newest
        assert [seq for seq, _ in newest] == list(range(count - 599, count + 1))
        assert await stored.after(count, limit=100) == []
    finally:
        await client.delete(store.keys.events, store.keys.event_seq, store.keys.events_sent)
        await client.aclose()


async def test_the_mark_only_rises(redis_url: str) -> None:
    hall_id = f"sent-{uuid.uuid4().hex[:8]}"
    client = aredis.from_url(redis_url)
    stored = HallStore(client, hall_id).sent_events()
    try:
        await stored.raise_mark(0)
        assert await stored.mark() == 0
        await stored.raise_mark(12)
        await stored.raise_mark(7)  # a slower hub's older mark
        assert await stored.mark() == 12
    finally:
        await client.delete(HallStore(client, hall_id).keys.events_sent)
        await client.aclose()


async def test_a_hub_taking_the_hall_sends_again_only_what_is_past_the_mark(
    redis_url: str,
) -> None:
    """No mark yet (a store written before marks were kept): nothing is sent again and the
    mark starts at the last event; a mark behind the last event: the events after it."""
    hall_id = f"sent-{uuid.uuid4().hex[:8]}"
    client = aredis.from_url(redis_url)
    store = HallStore(client, hall_id)
    try:
        for seq in range(1, 6):
            await client.xadd(store.keys.events, {"seq": seq, "e": '{"type":"t"}'})
        await client.set(store.keys.event_seq, 5)
        first = EventMarks(store.sent_events())
        assert await first.take_over() == []
        assert first.tracker is not None and first.tracker.upto == 5
        await first.write()
        assert await store.sent_events().mark() == 5
        # The first hub hands events 6 and 7 to the link; only 6 is acknowledged.
        for seq in (6, 7):
            await client.xadd(store.keys.events, {"seq": seq, "e": '{"type":"t"}'})
        await client.set(store.keys.event_seq, 7)
        first.tracker.published(6)()
        first.tracker.published(7)
        await first.write()
        second = EventMarks(store.sent_events())
        assert await second.take_over() == [(7, b'{"seq":7,"type":"t"}')]
        assert second.sent_again == 1
        assert second.tracker is not None and second.tracker.upto == 6
    finally:
        keys = (store.keys.events, store.keys.event_seq, store.keys.events_sent)
        await client.delete(*keys)
        await client.aclose()
