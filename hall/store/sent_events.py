"""How far the broker surely has the hall's events, and the stored events after that.

The commit script numbers each event (`seq`, one after another, `eventseq`) and appends it to
the hall's event stream (fields `seq` and `e`, the event's JSON without its number). Events
go to the broker from the hub's memory afterwards; the hub writes here the number up to which
the broker acknowledged them all (`hall.hub.sent_events`), and a hub taking the hall reads the
events after it from the stream to send them again.
"""

from __future__ import annotations

from typing import Any

from hall.store.connection import StoreClient, text_of, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["PAGE", "StoredSentEvents"]

PAGE = 500  # stream entries read per round trip, newest first

# KEYS[1] the mark; ARGV[1] a seq. The mark only ever rises: a slower writer (a hub being
# replaced) cannot take it back.
_RAISE = """
local now = tonumber(redis.call('GET', KEYS[1]) or '-1')
local seq = tonumber(ARGV[1])
if seq > now then
  redis.call('SET', KEYS[1], ARGV[1])
  return seq
end
return now
"""


class StoredSentEvents:
    def __init__(self, client: StoreClient, keys: HallKeys) -> None:
        self._client = client
        self._keys = keys
        self._raise = client.register_script(_RAISE)

    async def mark(self) -> int | None:
        """The stored mark; None when no hub has written one (raises StoreUnavailable)."""
        with unavailable_as_store_error():
            raw = await self._client.get(self._keys.events_sent)
        return None if raw is None else int(raw)

    async def last_seq(self) -> int:
        """The number of the hall's last committed event (0: none yet)."""
        with unavailable_as_store_error():
            raw = await self._client.get(self._keys.event_seq)
        return 0 if raw is None else int(raw)

    async def raise_mark(self, seq: int) -> None:
        """Every event up to `seq` is with the broker (raises StoreUnavailable)."""
        with unavailable_as_store_error():
            await self._raise(keys=[self._keys.events_sent], args=[seq])

    async def after(self, seq: int, limit: int) -> list[tuple[int, bytes]]:
        """The stored events numbered above `seq`, oldest first, as the contract's JSON; the
        newest `limit` of them when there are more (raises StoreUnavailable)."""
        found: list[tuple[int, bytes]] = []
        newest = "+"
        while len(found) < limit:
            with unavailable_as_store_error():
                rows: list[Any] = (
                    await self._client.xrevrange(self._keys.events, max=newest, min="-", count=PAGE)
                    or []
                )
            for entry_id, fields in rows:
                number = int(fields[b"seq"])
                if number <= seq or len(found) >= limit:
                    return found[::-1]
                body: bytes = fields[b"e"]
                found.append((number, b'{"seq":%d,%s' % (number, body[1:])))
                newest = "(" + text_of(entry_id)
            if len(rows) < PAGE:
                break
        return found[::-1]
