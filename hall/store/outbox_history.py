"""The history's side of the outbox stream: a second consumer group, ``history``.

The relay (`outbox.py`, group ``relay``) and the history each read every entry of
``{hall:<id>}:outbox`` with their own group and cursor. An entry leaves the stream when the
last group that reads it acknowledges it (`release.lua`, run in the same transaction as the
acknowledgement), so neither reader loses an entry the other is done with. Implements
`hall.history.outbox_port.HistoryFeed`; every failure to reach Redis is raised as
`StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from redis.exceptions import ResponseError

from hall.history.outbox_port import FeedEntry
from hall.store.connection import StoreClient, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["BACKLOG_LUA", "HISTORY_GROUP", "RELEASE_LUA", "HistoryOutbox", "queue_release"]

HISTORY_GROUP = "history"
CLAIM_BATCH = 100
RELEASE_LUA = resources.files("hall.store").joinpath("release.lua").read_text(encoding="utf-8")
# {entries a group has not settled, the oldest's id}: the relay's backlog (`Outbox.stats`).
BACKLOG_LUA = resources.files("hall.store").joinpath("backlog.lua").read_text(encoding="utf-8")


def queue_release(pipe: Any, key: str, group: str, *stream_ids: str) -> None:
    """Queue, in `pipe`, the deletion of the entries `group` has just acknowledged that every
    other group is done with (`release.lua`)."""
    if stream_ids:
        pipe.eval(RELEASE_LUA, 1, key, group, *stream_ids)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _entries(reply: Any) -> list[FeedEntry]:
    """The entries of an XREADGROUP reply (RESP2: [[stream, entries]])."""
    out: list[FeedEntry] = []
    for _stream, entries in reply or ():
        for stream_id, fields in entries:
            raw = (fields or {}).get(b"entry", (fields or {}).get("entry"))
            out.append(FeedEntry(_text(stream_id), raw.encode() if isinstance(raw, str) else raw))
    return out


class HistoryOutbox:
    """The outbox stream of one hall as the history reads it."""

    def __init__(self, client: StoreClient, hall_id: str) -> None:
        self.client = client
        self.key = HallKeys(hall_id).outbox

    async def ensure_group(self) -> None:
        """The history's group, from the start of the stream (what is still there is read)."""
        with unavailable_as_store_error():
            try:
                await self.client.xgroup_create(self.key, HISTORY_GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def drop_group(self) -> None:
        """Remove the history's group (the history was turned off): it holds nothing back."""
        with unavailable_as_store_error():
            if await self.client.exists(self.key):
                await self.client.xgroup_destroy(self.key, HISTORY_GROUP)

    async def take_pending(self, consumer: str, count: int) -> list[FeedEntry]:
        mine = await self._read(consumer, count, "0", None)
        if mine:
            return mine
        if await self._claim_others(consumer):
            return await self._read(consumer, count, "0", None)
        return []

    async def take_new(self, consumer: str, count: int, block_ms: int | None) -> list[FeedEntry]:
        return await self._read(consumer, count, ">", block_ms)

    async def _read(
        self, consumer: str, count: int, start: str, block_ms: int | None
    ) -> list[FeedEntry]:
        with unavailable_as_store_error():
            reply = await self.client.xreadgroup(
                HISTORY_GROUP, consumer, {self.key: start}, count=count, block=block_ms
            )
        return _entries(reply)

    async def _claim_others(self, consumer: str) -> int:
        """Take over entries pending with another consumer (a hub stopped mid-write)."""
        with unavailable_as_store_error():
            summary = await self.client.xpending(self.key, HISTORY_GROUP)
            if not any(
                _text(c.get("name")) != consumer and int(c.get("pending", 0)) > 0
                for c in summary.get("consumers") or ()
            ):
                return 0
            start: Any = "0-0"
            claimed = 0
            while True:
                reply = await self.client.xautoclaim(
                    self.key, HISTORY_GROUP, consumer, 0, start, count=CLAIM_BATCH
                )
                start, claimed = reply[0], claimed + len(reply[1])
                if _text(start) == "0-0":
                    return claimed

    async def ack(self, entries: Sequence[FeedEntry]) -> None:
        ids = [e.stream_id for e in entries]
        if not ids:
            return
        with unavailable_as_store_error():
            pipe = self.client.pipeline(transaction=True)
            pipe.xack(self.key, HISTORY_GROUP, *ids)
            queue_release(pipe, self.key, HISTORY_GROUP, *ids)
            await pipe.execute()
