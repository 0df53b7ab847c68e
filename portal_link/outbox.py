"""The outbox streams in Redis: what the relay takes, acknowledges and sets aside.

The hub's commit script appends one stream entry per case or rating to ``{hall:<id>}:outbox``
(field ``entry``: the JSON ``{"kind", "key", "body"}``) in the same step as the change that
caused it. This module is the relay's (and ``hall outbox``'s) side of those keys:

``{hall:<id>}:outbox``             entries not yet accepted by the back office, oldest first;
                                   consumer group ``relay``; an accepted entry is acknowledged
                                   and deleted in one transaction, so the stream *is* the backlog
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

Every move between the streams is one MULTI/EXEC transaction; the ones that read the set or
the hash first WATCH them, so a concurrent ``retry`` makes the move start over rather than
work from a stale view. All keys share the hall's hash tag, as the hub's own keys do.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as redis
from redis.exceptions import ResponseError, WatchError

from .policy import OutboxEntry, stream_id_ms

__all__ = ["GROUP", "HELD_REASON", "DeadEntry", "Outbox", "OutboxStats", "Taken"]

GROUP = "relay"
HELD_REASON = "held: an earlier entry of the same case is in the dead-letter stream"
CLAIM_BATCH = 100

Route = Literal["deliver", "held", "moved"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _field(fields: dict[Any, Any], name: str) -> Any:
    return fields.get(name.encode(), fields.get(name))


@dataclass(frozen=True)
class Taken:
    """An outbox entry the relay has read (it stays pending until settled)."""

    stream_id: str
    raw: bytes | None  # the entry's JSON; None when the stream entry no longer exists
    requeued: bool  # put back by `hall outbox retry` or moved behind such entries
    created_ms: int  # when the entry was first added (moving it behind keeps this)

    @classmethod
    def from_stream(cls, stream_id: Any, fields: dict[Any, Any] | None) -> Taken:
        sid = _text(stream_id)
        fields = fields or {}
        raw = _field(fields, "entry")
        created = _text(_field(fields, "created_ms"))
        return cls(
            stream_id=sid,
            raw=raw.encode() if isinstance(raw, str) else raw,
            requeued=_text(_field(fields, "requeued")) == "1",
            created_ms=int(created) if created.isdigit() else stream_id_ms(sid),
        )


@dataclass(frozen=True)
class DeadEntry:
    stream_id: str  # its id in the dead-letter stream
    kind: str
    key: str
    reason: str
    status: int | None  # the back office's HTTP status, when it answered
    attempts: int
    at: float  # Unix seconds when it was set aside
    entry: bytes  # the outbox entry's JSON, as the hub wrote it
    source_id: str  # its id in the outbox


@dataclass(frozen=True)
class OutboxStats:
    backlog: int = 0  # entries in the outbox: not yet accepted (including in flight)
    pending: int = 0  # of those, read by a relay and not yet settled
    oldest_ms: int | None = None  # when the oldest of them was added
    dead: int = 0  # entries in the dead-letter stream


class Outbox:
    def __init__(
        self, client: redis.Redis, hall_id: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.client = client
        self.hall_id = hall_id
        self.clock = clock
        tag = f"{{hall:{hall_id}}}"  # the hub's hash tag (hall.store.HallStore)
        self.key = f"{tag}:outbox"
        self.dead_key = f"{tag}:outbox:dead"
        self.held_key = f"{tag}:outbox:dead:keys"
        self.requeued_key = f"{tag}:outbox:requeued"
        self.epoch_key = f"{tag}:epoch"

    def _transaction(self) -> Any:
        """A MULTI/EXEC pipeline (redis-py leaves its WATCH/MULTI methods untyped)."""
        return self.client.pipeline(transaction=True)

    # ----- the consumer group --------------------------------------------------------------
    async def ensure_group(self) -> None:
        """Create the group at the start of the stream (entries older than it are sent too)."""
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
            reply = await self.client.xautoclaim(
                self.key, GROUP, consumer, 0, start, count=CLAIM_BATCH
            )
            start, entries = reply[0], reply[1]
            claimed += len(entries)
            if _text(start) == "0-0":
                return claimed

    async def forget_idle_consumers(self, consumer: str) -> None:
        """Drop the group's other consumers that hold nothing (earlier runs of the hub)."""
        for info in await self.client.xinfo_consumers(self.key, GROUP):
            name = _text(info.get("name"))
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
        reply = await self.client.xreadgroup(
            GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
        )
        taken = _entries(reply)
        if taken and await self._others_pending(consumer):
            await self.claim_all(consumer)
            return await self._mine(consumer, count)
        return taken

    async def _mine(self, consumer: str, count: int) -> list[Taken]:
        reply = await self.client.xreadgroup(GROUP, consumer, {self.key: "0"}, count=count)
        return _entries(reply)

    async def _others_pending(self, consumer: str) -> bool:
        summary = await self.client.xpending(self.key, GROUP)
        return any(
            _text(c.get("name")) != consumer and int(c.get("pending", 0)) > 0
            for c in summary.get("consumers") or ()
        )

    # ----- settling one entry --------------------------------------------------------------
    async def route(self, taken: Taken, entry: OutboxEntry, attempts: int = 0) -> Route:
        """Decide, atomically, whether the entry may be sent now.

        ``held``: an entry of its case is in the dead-letter stream; it was set aside there.
        ``moved``: entries of its case were put back by a retry and are not yet settled; it
        was moved to the end of the outbox, behind them. ``deliver``: send it now.
        """
        async with self._transaction() as pipe:
            while True:
                try:
                    await pipe.watch(self.held_key, self.requeued_key)
                    held = await pipe.sismember(self.held_key, entry.key)
                    ahead = int(await pipe.hget(self.requeued_key, entry.key) or 0)
                    if held:
                        pipe.multi()
                        self._queue_bury(
                            pipe, taken, entry.kind, entry.key, HELD_REASON, None, attempts, ahead
                        )
                        await pipe.execute()
                        return "held"
                    if ahead > 0 and not taken.requeued:
                        pipe.multi()
                        pipe.xadd(
                            self.key,
                            {
                                "entry": taken.raw or b"",
                                "requeued": "1",
                                "created_ms": str(taken.created_ms),
                            },
                        )
                        pipe.xack(self.key, GROUP, taken.stream_id)
                        pipe.xdel(self.key, taken.stream_id)
                        pipe.hincrby(self.requeued_key, entry.key, 1)
                        await pipe.execute()
                        return "moved"
                    await pipe.unwatch()
                    return "deliver"
                except WatchError:
                    continue

    async def ack(self, taken: Taken, key: str) -> None:
        """The back office accepted it: acknowledge and delete it, in one transaction."""
        async with self._transaction() as pipe:
            while True:
                try:
                    ahead = 0
                    if taken.requeued and key:
                        await pipe.watch(self.requeued_key)
                        ahead = int(await pipe.hget(self.requeued_key, key) or 0)
                        pipe.multi()
                    pipe.xack(self.key, GROUP, taken.stream_id)
                    pipe.xdel(self.key, taken.stream_id)
                    if taken.requeued and key:
                        self._queue_settled_requeued(pipe, key, ahead)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

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
        async with self._transaction() as pipe:
            while True:
                try:
                    await pipe.watch(self.requeued_key)
                    ahead = int(await pipe.hget(self.requeued_key, key) or 0) if key else 0
                    pipe.multi()
                    self._queue_bury(pipe, taken, kind, key, reason, status, attempts, ahead)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    async def drop_missing(self, taken: Taken) -> None:
        """Acknowledge a pending id whose stream entry is gone (nothing left to send)."""
        await self.client.xack(self.key, GROUP, taken.stream_id)

    def _queue_bury(
        self,
        pipe: Any,
        taken: Taken,
        kind: str,
        key: str,
        reason: str,
        status: int | None,
        attempts: int,
        ahead: int,
    ) -> None:
        pipe.xadd(
            self.dead_key,
            {
                "entry": taken.raw or b"",
                "kind": kind,
                "key": key,
                "reason": reason,
                "status": "" if status is None else str(status),
                "attempts": str(attempts),
                "at_ms": str(int(self.clock() * 1000)),
                "source_id": taken.stream_id,
            },
        )
        if key:
            pipe.sadd(self.held_key, key)
        pipe.xack(self.key, GROUP, taken.stream_id)
        pipe.xdel(self.key, taken.stream_id)
        if taken.requeued and key:
            self._queue_settled_requeued(pipe, key, ahead)

    def _queue_settled_requeued(self, pipe: Any, key: str, ahead: int) -> None:
        if ahead <= 1:
            pipe.hdel(self.requeued_key, key)
        else:
            pipe.hincrby(self.requeued_key, key, -1)

    # ----- what `hall outbox` and the metrics read -----------------------------------------
    async def stats(self) -> OutboxStats:
        pipe = self.client.pipeline(transaction=False)
        pipe.xlen(self.key)
        pipe.xrange(self.key, "-", "+", count=1)
        pipe.xlen(self.dead_key)
        pipe.xpending(self.key, GROUP)
        backlog, first, dead, pending = await pipe.execute(raise_on_error=False)
        for value in (backlog, first, dead):
            if isinstance(value, Exception):
                raise value
        if isinstance(pending, ResponseError) and "NOGROUP" in str(pending):
            pending = {"pending": 0}  # no relay has run yet
        elif isinstance(pending, Exception):
            raise pending
        oldest = stream_id_ms(first[0][0]) if first else None
        return OutboxStats(int(backlog), int(pending["pending"]), oldest, int(dead))

    async def dead_entries(self, key: str | None = None) -> list[DeadEntry]:
        """The dead-letter stream, oldest first; only one case id's entries with ``key``."""
        raw = await self.client.xrange(self.dead_key) or []
        entries = [_dead(sid, fields) for sid, fields in raw]
        return [e for e in entries if key is None or e.key == key]

    async def retry(self, key: str | None = None) -> int:
        """Put dead entries (all, or one case id's) back at the end of the outbox, in order.

        One transaction; returns how many were put back.
        """
        async with self._transaction() as pipe:
            while True:
                try:
                    await pipe.watch(self.dead_key, self.held_key, self.requeued_key)
                    raw = await pipe.xrange(self.dead_key)
                    entries = [_dead(sid, fields) for sid, fields in raw]
                    chosen = [e for e in entries if key is None or e.key == key]
                    if not chosen:
                        await pipe.unwatch()
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
                    await pipe.execute()
                    return len(chosen)
                except WatchError:
                    continue


def _entries(reply: Any) -> list[Taken]:
    """The entries of an XREADGROUP reply on the outbox (RESP2: [[stream, entries]])."""
    out: list[Taken] = []
    for _stream, entries in reply or ():
        out.extend(Taken.from_stream(sid, fields) for sid, fields in entries)
    return out


def _dead(stream_id: Any, fields: dict[Any, Any] | None) -> DeadEntry:
    fields = fields or {}
    status = _text(_field(fields, "status"))
    attempts = _text(_field(fields, "attempts"))
    at_ms = _text(_field(fields, "at_ms"))
    entry = _field(fields, "entry") or b""
    return DeadEntry(
        stream_id=_text(stream_id),
        kind=_text(_field(fields, "kind")),
        key=_text(_field(fields, "key")),
        reason=_text(_field(fields, "reason")),
        status=int(status) if status.isdigit() else None,
        attempts=int(attempts) if attempts.isdigit() else 0,
        at=int(at_ms) / 1000 if at_ms.isdigit() else stream_id_ms(_text(stream_id)) / 1000,
        entry=entry.encode() if isinstance(entry, str) else entry,
        source_id=_text(_field(fields, "source_id")),
    )
