"""The history's consumer on the real Redis outbox: at least once, never counted twice, and
never taking an entry away from the back office's relay."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis.asyncio as aredis

from hall.history.archive import Archive
from hall.history.consumer import BATCH, PIECE, HistoryConsumer
from hall.history.records import record_of
from hall.history.reports import read_report
from hall.store.outbox import GROUP, Outbox
from hall.store.outbox_history import HISTORY_GROUP, HistoryOutbox

from .month import DAYS, FIRST_DAY, expected, raw_entries, simulated_month

LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)
NOW = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC).timestamp()


async def filled_outbox(client: aredis.Redis, hall: str, days: int = 3) -> tuple[str, list[str]]:
    """The outbox stream holding the first `days` days of the simulated month: key, ids."""
    key = f"{{hall:{hall}}}:outbox"
    visits = [
        v for v in simulated_month(hall) if v.day < (FIRST_DAY + dt.timedelta(days)).isoformat()
    ]
    ids = [_text(await client.xadd(key, {"entry": raw})) for raw in raw_entries(visits, hall)]
    return key, ids


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def consumer(client: aredis.Redis, archive: Archive, name: str) -> HistoryConsumer:
    feed = HistoryOutbox(client, archive.config.hall.id)
    return HistoryConsumer(feed, archive, consumer=name, clock=lambda: NOW, block_ms=10)


async def drain(c: HistoryConsumer) -> None:
    while await c.step():
        pass


async def test_killed_between_writing_and_acknowledging_counts_once(
    redis_client: aredis.Redis, archive: Archive
) -> None:
    hall = archive.config.hall.id
    key, ids = await filled_outbox(redis_client, hall)
    first = consumer(redis_client, archive, "first")
    await first.feed.ensure_group()
    # The first hub reads a batch and writes it, then is killed before acknowledging it.
    taken = await first.feed.take_new("first", 50, 10)
    assert len(taken) == 50
    await archive.write([r for r in (record_of(t.raw) for t in taken) if r is not None])
    # The next hub takes the batch over, writes it again and goes on to the end.
    second = consumer(redis_client, archive, "second")
    await drain(second)
    assert await redis_client.xlen(key) == 0  # no relay: the history alone decides
    assert (await redis_client.xpending(key, HISTORY_GROUP))["pending"] == 0
    visits = [v for v in simulated_month(hall) if v.day < (FIRST_DAY + dt.timedelta(3)).isoformat()]
    await archive.roll_up_due()  # as a report does before reading
    report = await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")
    view = report.total.view()
    assert {k: view[k] for k in ("tickets", "served", "ratings")} == {
        k: expected(visits)[k] for k in ("tickets", "served", "ratings")
    }
    # Replayed: every entry added again (a retry put them back) changes nothing.
    await filled_outbox(redis_client, hall)
    await drain(second)
    await archive.roll_up_due()
    again = (await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")).total
    assert again.view() == view
    assert len(ids) > 50


async def test_an_entry_stays_until_the_relay_and_the_history_both_took_it(
    redis_client: aredis.Redis, archive: Archive
) -> None:
    hall = archive.config.hall.id
    relay = Outbox(redis_client, hall)
    await relay.ensure_group()
    key, ids = await filled_outbox(redis_client, hall, days=1)
    history = consumer(redis_client, archive, "h")
    await history.feed.ensure_group()
    await drain(history)
    assert await redis_client.xlen(key) == len(ids)  # the back office has not had them yet
    # The relay delivers the first half: those leave; the rest wait for the back office.
    half = len(ids) // 2
    taken = await relay.take("relay-1", half, 10)
    for t in taken:
        await relay.ack(t, "")
    assert await redis_client.xlen(key) == len(ids) - half
    assert (await relay.stats()).backlog == len(ids) - half
    # And the other way round: delivered first, written to the history after.
    await redis_client.xgroup_destroy(key, HISTORY_GROUP)
    await history.feed.ensure_group()  # from the start of what is left
    rest = await relay.take("relay-1", len(ids), 10)
    assert [t.stream_id for t in rest] == ids[half:]
    for t in rest:
        await relay.ack(t, "")
    assert await redis_client.xlen(key) == len(ids) - half  # held for the history
    stats = await relay.stats()  # the relay's backlog is only what it has not settled
    assert stats.backlog == 0 and stats.oldest_ms is None
    await drain(history)
    assert await redis_client.xlen(key) == 0
    assert (await redis_client.xpending(key, GROUP))["pending"] == 0


async def test_a_backlog_is_read_in_small_pieces_and_written_in_batches(
    redis_client: aredis.Redis, archive: Archive
) -> None:
    """The hub's loop is never held by a long read: every read asks for at most a piece, a
    batch is written in one go, and a backlog is worked through without the pause taken
    once the history has caught up."""
    hall = archive.config.hall.id
    key, ids = await filled_outbox(redis_client, hall, days=DAYS)
    assert len(ids) > 2 * BATCH
    feed = HistoryOutbox(redis_client, hall)
    asked: list[int] = []
    written: list[int] = []
    take_new, take_pending, write = feed.take_new, feed.take_pending, archive.write

    async def counting_take_new(consumer: str, count: int, block_ms: int | None) -> list[Any]:
        asked.append(count)
        return await take_new(consumer, count, block_ms)

    async def counting_take_pending(consumer: str, count: int) -> list[Any]:
        asked.append(count)
        return await take_pending(consumer, count)

    async def counting_write(records: list[Any], *, roll_up: bool = True) -> int:
        written.append(len(records))
        return await write(records, roll_up=roll_up)

    feed.take_new, feed.take_pending = counting_take_new, counting_take_pending  # type: ignore[method-assign]
    archive.write = counting_write  # type: ignore[method-assign]
    c = HistoryConsumer(feed, archive, consumer="pieces", clock=lambda: NOW, block_ms=10)
    await feed.ensure_group()
    steps = []
    while taken := await c.step():
        steps.append((taken, c._caught_up))
    assert max(asked) == PIECE
    assert sum(taken for taken, _ in steps) == len(ids)
    assert max(written) <= BATCH and len(written) < len(ids) / PIECE  # batches, not pieces
    assert not any(caught_up for _, caught_up in steps[:-1]) and steps[-1][1]
    assert await redis_client.xlen(key) == 0


async def test_a_busy_consumer_marks_days_due_and_rolls_them_up_now_and_then(
    redis_client: aredis.Redis, archive: Archive
) -> None:
    """Rolling a day up reads the whole day: batches only mark their days due, the consumer
    rolls them up at most every `rollup_interval_s`, and a report's `roll_up_due` is exact
    whenever it is asked."""
    hall = archive.config.hall.id
    _key, ids = await filled_outbox(redis_client, hall, days=DAYS)
    assert len(ids) > 2 * BATCH
    feed = HistoryOutbox(redis_client, hall)
    c = HistoryConsumer(
        feed, archive, consumer="rare", clock=lambda: NOW, block_ms=10, rollup_interval_s=3600
    )
    await feed.ensure_group()
    rolled: list[int] = []
    roll_up_due = archive.roll_up_due

    async def counting_roll_up_due(first: str | None = None, last: str | None = None) -> int:
        rolled.append(await roll_up_due(first, last))
        return rolled[-1]

    archive.roll_up_due = counting_roll_up_due  # type: ignore[method-assign]
    await drain(c)
    assert len(rolled) == 1  # once, after the first batch; not after every batch
    due = await archive.due_days()
    assert len(due) >= 2 and due == sorted(due) and due[-1] == LAST_DAY.isoformat()
    visits = simulated_month(hall)
    lagging = (await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")).total
    assert lagging.view()["tickets"] < expected(visits)["tickets"]
    # A report's rollup of its range: only the days asked for, then every day due.
    assert await archive.roll_up_due(due[-1], due[-1]) == 1
    assert await archive.due_days() == due[:-1]
    assert await archive.roll_up_due() == len(due) - 1 and await archive.due_days() == []
    exact = (await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")).total
    assert {k: exact.view()[k] for k in ("tickets", "served", "ratings")} == {
        k: expected(visits)[k] for k in ("tickets", "served", "ratings")
    }
    # Written again (a retry): due again, and rolled up by a consumer (at start, at once).
    await filled_outbox(redis_client, hall, days=1)
    eager = HistoryConsumer(
        feed, archive, consumer="eager", clock=lambda: NOW, block_ms=10, rollup_interval_s=0
    )
    await drain(eager)
    assert await archive.due_days() == []
    again = (await read_report(archive.db, (hall,), FIRST_DAY, LAST_DAY, "service")).total
    assert again.view() == exact.view()
