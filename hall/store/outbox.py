"""The outbox streams in Redis: what the relay takes, acknowledges and sets aside.

The hub's commit script appends one stream entry per case or rating to ``{hall:<id>}:outbox``
(field ``entry``: the JSON ``{"kind", "key", "body"}``) in the same step as the change that
caused it. This module is the relay's (and ``hall outbox``'s) side of those keys:

``{hall:<id>}:outbox``             entries not yet accepted by the back office, oldest first;
                                   consumer group ``relay``; an accepted entry is acknowledged
                                   and deleted in one transaction, so the stream *is* the backlog
                                   (the history's group, ``outbox_history.py``, reads it too: an
                                   entry stays until both have acknowledged it)
``{hall:<id>}:outbox:dead``        the dead-letter stream: entries refused, too old or held back,
                                   each with its reason, HTTP status, attempts and time
``{hall:<id>}:outbox:dead:keys``   set: the case ids that have an entry in the dead-letter stream
``{hall:<id>}:outbox:requeued``    hash: case id -> how many of its entries were put back into
                                   the outbox (by ``hall outbox retry``) and are not yet settled

Order per ticket across the dead-letter stream: entries are delivered in stream order, so a
ticket's case is always tried before its rating. When the case goes to the dead-letter stream,
every later entry with the same case id is *held* there behind it (``dead:keys``) instead of
being sent. ``retry`` puts a case id's dead entries back at the end of the outbox, in their
order, marked ``requeued``; an entry of that case id still waiting in the outbox from before
(not marked) is then moved behind them (``requeued`` counts what is still ahead of it). So an
evaluation never reaches the back office before its case, whatever the operator does when.

Every move between the streams is one MULTI/EXEC transaction (redis-py's
``client.transaction``); the ones that read the set or the hash first WATCH them, so a
concurrent ``retry`` makes the move start over rather than work from a stale view. The key
names come from `keys.py`, as the hub's own do. Every failure to reach Redis is raised as
`StoreUnavailable`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from hall.store.connection import StoreClient, open_redis, unavailable_as_store_error
from hall.store.keys import HallKeys
from hall.store.outbox_history import BACKLOG_LUA, queue_release
from hall.store.outbox_records import DeadEntry, dead_entry, taken_entries, taken_from_stream, text
from portal_link.outbox_port import OutboxStats, Route, Taken
from portal_link.policy import DeadLetter, OutboxEntry, stream_id_ms

__all__ = ["GROUP", "HELD_REASON", "DeadEntry", "Outbox", "taken_from_stream"]

GROUP = "relay"
HELD_REASON = "held: an earlier entry of the same case is in the dead-letter stream"
CLAIM_BATCH = 100
# A MULTI/EXEC pipeline: redis-py leaves its WATCH and MULTI methods untyped.
Transaction = Any


@dataclass(frozen=True)
class Burial:
    """Why an entry goes to the dead-letter stream, as that stream records it."""

    kind: str
    key: str  # its case id ("" for none): later entries of the case are held behind it
    reason: str
    status: int | None  # the back office's HTTP status, when it answered
    attempts: int


class Outbox:
    """The outbox streams of one hall (implements `portal_link.outbox_port.OutboxStore`)."""

    def __init__(
        self, client: StoreClient, hall_id: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.client = client
        self.hall_id = hall_id
        self.clock = clock
        keys = HallKeys(hall_id)
        self.key = keys.outbox
        self.dead_key = keys.outbox_dead
        self.held_key = keys.outbox_held
        self.requeued_key = keys.outbox_requeued
        self.epoch_key = keys.epoch

    @classmethod
    def connect(cls, url: str, hall_id: str) -> Outbox:
        """The outbox of `hall_id` on its own connection (`hall outbox`); `close` it."""
        return cls(open_redis(url), hall_id)

    async def close(self) -> None:
        await self.client.aclose()

    async def server_time(self) -> float:
        """Redis's clock: stream ids are stamped with it, so ages are measured against it."""
        with unavailable_as_store_error():
            seconds, micros = await self.client.time()
        return int(seconds) + int(micros) / 1_000_000

    async def stored_epoch(self) -> int | None:
        with unavailable_as_store_error():
            stored = await self.client.get(self.epoch_key)
        return None if stored is None else int(stored)

    # ----- the consumer group --------------------------------------------------------------
    async def ensure_group(self) -> None:
        """Create the group at the start of the stream (entries older than it are sent too)."""
        with unavailable_as_store_error():
            try:
                await self.client.xgroup_create(self.key, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def claim_all(self, consumer: str) -> int:
        """Take over every pending entry of the group, e.g. of a hub killed mid-delivery."""
        start: Any = "0-0"
        claimed = 0
        while True:
            with unavailable_as_store_error():
                reply = await self.client.xautoclaim(
                    self.key, GROUP, consumer, 0, start, count=CLAIM_BATCH
                )
            start, entries = reply[0], reply[1]
            claimed += len(entries)
            if text(start) == "0-0":
                return claimed

    async def forget_idle_consumers(self, consumer: str) -> None:
        """Drop the group's other consumers that hold nothing (earlier runs of the hub)."""
        with unavailable_as_store_error():
            for info in await self.client.xinfo_consumers(self.key, GROUP):
                name = text(info.get("name"))
                if name != consumer and int(info.get("pending", 0)) == 0:
                    await self.client.xgroup_delconsumer(self.key, GROUP, name)

    async def take(self, consumer: str, count: int, block_ms: int) -> list[Taken]:
        """This consumer's pending entries first (oldest first); else wait for new ones.

        Entries pending with another consumer (a relay that read them and was then fenced or
        killed) are older than any entry read after them, so they are taken over and come
        first: checked before waiting, and again when new entries arrive.
        """
        taken = await self._mine(consumer, count)
        if taken:
            return taken
        if await self._others_pending(consumer):
            await self.claim_all(consumer)
            return await self._mine(consumer, count)
        with unavailable_as_store_error():
            reply = await self.client.xreadgroup(
                GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
            )
        taken = taken_entries(reply)
        if taken and await self._others_pending(consumer):
            await self.claim_all(consumer)
            return await self._mine(consumer, count)
        return taken

    async def _mine(self, consumer: str, count: int) -> list[Taken]:
        with unavailable_as_store_error():
            reply = await self.client.xreadgroup(GROUP, consumer, {self.key: "0"}, count=count)
        return taken_entries(reply)

    async def _others_pending(self, consumer: str) -> bool:
        with unavailable_as_store_error():
            summary = await self.client.xpending(self.key, GROUP)
        return any(
            text(c.get("name")) != consumer and int(c.get("pending", 0)) > 0
            for c in summary.get("consumers") or ()
        )

    # ----- settling one entry --------------------------------------------------------------
    async def route(self, taken: Taken, entry: OutboxEntry, attempts: int = 0) -> Route:
        """Decide, atomically, whether the entry may be sent now.

        ``held``: an entry of its case is in the dead-letter stream; it was set aside there.
        ``moved``: entries of its case were put back by a retry and are not yet settled; it
        was moved to the end of the outbox, behind them. ``deliver``: send it now.
        """

        async def decide(pipe: Transaction) -> Route:
            held = await pipe.sismember(self.held_key, entry.key)
            ahead = int(await pipe.hget(self.requeued_key, entry.key) or 0)
            if held:
                pipe.multi()
                burial = Burial(entry.kind, entry.key, HELD_REASON, None, attempts)
                self._queue_bury(pipe, taken, burial, ahead)
                return "held"
            if ahead > 0 and not taken.requeued:
                pipe.multi()
                fields = {
                    "entry": taken.raw or b"",
                    "requeued": "1",
                    "created_ms": str(taken.created_ms),
                }
                pipe.xadd(self.key, fields)
                pipe.xack(self.key, GROUP, taken.stream_id)
                queue_release(pipe, self.key, GROUP, taken.stream_id)
                pipe.hincrby(self.requeued_key, entry.key, 1)
                return "moved"
            return "deliver"  # nothing queued: the empty transaction only checks the watch

        route: Route = await self._transaction(decide, self.held_key, self.requeued_key)
        return route

    async def ack(self, taken: Taken, key: str) -> None:
        """The back office accepted it: acknowledge and delete it, in one transaction."""
        settles_requeued = taken.requeued and bool(key)

        async def settle(pipe: Transaction) -> None:
            ahead = 0
            if settles_requeued:
                ahead = int(await pipe.hget(self.requeued_key, key) or 0)
            pipe.multi()
            self._queue_settle(pipe, taken, key, ahead)

        watches = (self.requeued_key,) if settles_requeued else ()
        await self._transaction(settle, *watches)

    async def bury(
        self,
        taken: Taken,
        kind: str,
        key: str,
        reason: str,
        status: int | None,
        attempts: int,
    ) -> None:
        """Move it to the dead-letter stream and acknowledge it, in one transaction.

        With a case id, later entries of the same case are held behind it (see `route`).
        """

        burial = Burial(kind, key, reason, status, attempts)

        async def move(pipe: Transaction) -> None:
            ahead = int(await pipe.hget(self.requeued_key, key) or 0) if key else 0
            pipe.multi()
            self._queue_bury(pipe, taken, burial, ahead)

        await self._transaction(move, self.requeued_key)

    async def drop_missing(self, taken: Taken) -> None:
        """Acknowledge a pending id whose stream entry is gone (nothing left to send)."""
        with unavailable_as_store_error():
            await self.client.xack(self.key, GROUP, taken.stream_id)

    async def _transaction(self, work: Callable[[Transaction], Any], *watches: str) -> Any:
        """Run `work` as one MULTI/EXEC, watching `watches`; started over when one changes."""
        # redis-py types RedisCluster.transaction's callable as a coroutine, not a function.
        transaction: Any = self.client.transaction
        with unavailable_as_store_error():
            return await transaction(work, *watches, value_from_callable=True)

    def _queue_bury(self, pipe: Transaction, taken: Taken, burial: Burial, ahead: int) -> None:
        fields: dict[str, str | bytes] = {
            "entry": taken.raw or b"",
            "kind": burial.kind,
            "key": burial.key,
            "reason": burial.reason,
            "status": "" if burial.status is None else str(burial.status),
            "attempts": str(burial.attempts),
            "at_ms": str(int(self.clock() * 1000)),
            "source_id": taken.stream_id,
        }
        pipe.xadd(self.dead_key, fields)
        if burial.key:
            pipe.sadd(self.held_key, burial.key)
        self._queue_settle(pipe, taken, burial.key, ahead)

    def _queue_settle(self, pipe: Transaction, taken: Taken, key: str, ahead: int) -> None:
        """Acknowledge and delete `taken`; a requeued entry of case `key` (`ahead` of its case
        requeued and unsettled, this one included) is one fewer."""
        pipe.xack(self.key, GROUP, taken.stream_id)
        queue_release(pipe, self.key, GROUP, taken.stream_id)
        if not (taken.requeued and key):
            return
        if ahead <= 1:
            pipe.hdel(self.requeued_key, key)
        else:
            pipe.hincrby(self.requeued_key, key, -1)

    # ----- what `hall outbox` and the metrics read -----------------------------------------
    async def stats(self) -> OutboxStats:
        with unavailable_as_store_error():
            pipe = self.client.pipeline(transaction=False)
            pipe.eval(BACKLOG_LUA, 1, self.key, GROUP)  # not settled by the relay
            pipe.xlen(self.dead_key)
            pipe.xpending(self.key, GROUP)
            ahead, dead, pending = await pipe.execute(raise_on_error=False)
            for value in (ahead, dead):
                if isinstance(value, Exception):
                    raise value
            if isinstance(pending, ResponseError) and "NOGROUP" in str(pending):
                pending = {"pending": 0}  # no relay has run yet
            elif isinstance(pending, Exception):
                raise pending
        backlog, first = ahead
        oldest = stream_id_ms(text(first)) if first else None
        return OutboxStats(int(backlog), int(pending["pending"]), oldest, int(dead))

    async def dead_entries(self, key: str | None = None) -> list[DeadEntry]:
        """The dead-letter stream, oldest first; only one case id's entries with ``key``."""
        with unavailable_as_store_error():
            raw = await self.client.xrange(self.dead_key) or []
        entries = [dead_entry(sid, fields) for sid, fields in raw]
        return [e for e in entries if key is None or e.key == key]

    async def dead_letters(self) -> list[DeadLetter]:
        """The dead-letter stream's case ids and reasons, oldest first (for the relay)."""
        return [DeadLetter(e.key, e.reason) for e in await self.dead_entries()]

    async def retry(self, key: str | None = None) -> int:
        """Put dead entries (all, or one case id's) back at the end of the outbox, in order.

        One transaction; returns how many were put back.
        """

        async def requeue(pipe: Transaction) -> int:
            raw = await pipe.xrange(self.dead_key)
            entries = [dead_entry(sid, fields) for sid, fields in raw]
            chosen = [e for e in entries if key is None or e.key == key]
            if not chosen:
                return 0
            pipe.multi()
            for dead in chosen:
                pipe.xadd(self.key, {"entry": dead.entry, "requeued": "1"})
                pipe.xdel(self.dead_key, dead.stream_id)
            for case_id, n in Counter(e.key for e in chosen if e.key).items():
                pipe.srem(self.held_key, case_id)
                pipe.hincrby(self.requeued_key, case_id, n)
            if key is None:
                pipe.delete(self.held_key)  # the dead-letter stream is now empty
            return len(chosen)

        moved: int = await self._transaction(
            requeue, self.dead_key, self.held_key, self.requeued_key
        )
        return moved
