"""The records of copies of captured pages sent to a window's printer: which page, who sent
it, the raster's SHA-256 and size, until when its link may be fetched, and whether the
printer fetched it. The raster itself is an encrypted file (`hall.hub.copies`), never in
Redis. A record lives as long as its link (the key expires then), so a link fetched twice
is told apart from one that never was or has expired; `copies_due` names the rasters to
delete when their link expired unfetched.
"""

from __future__ import annotations

from dataclasses import dataclass

from hall.store.connection import StoreClient, text_of, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["CopyRecord", "StoredCopies"]


@dataclass(frozen=True)
class CopyRecord:
    id: str
    page: str
    case: str
    printer: str
    staff: str
    window: str
    sha256: str
    width: int
    height: int
    expires: int  # Unix seconds: the link's end


# KEYS: copy hash, due zset. ARGV: copy id, expires (unix s), ttl s, then field/value pairs.
_ADD = """
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: copy hash. ARGV: now (unix s), the claim's end (unix s). Answers 1 when the copy is
# claimed now for its one fetch, 2 while another fetch holds it, 0 when it is gone or fetched.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'fetched') == 1 then return 0 end
local held = redis.call('HGET', KEYS[1], 'fetching')
if held and tonumber(held) > tonumber(ARGV[1]) then return 2 end
redis.call('HSET', KEYS[1], 'fetching', ARGV[2])
return 1
"""

# KEYS: copy hash. Marks the copy fetched (its body was written whole) and ends the claim.
_FETCHED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'fetched', '1')
redis.call('HDEL', KEYS[1], 'fetching')
return 1
"""


class StoredCopies:
    def __init__(self, client: StoreClient, keys: HallKeys) -> None:
        self.client = client
        self.keys = keys
        self._add = client.register_script(_ADD)
        self._claim = client.register_script(_CLAIM)
        self._fetched = client.register_script(_FETCHED)

    async def add(self, copy: CopyRecord, ttl_s: int) -> None:
        args: list[str | int] = [copy.id, copy.expires, ttl_s]
        for name, value in copy.__dict__.items():
            args += [name, value]
        with unavailable_as_store_error():
            await self._add(keys=[self.keys.copy(copy.id), self.keys.copies_due], args=args)

    async def get(self, copy_id: str) -> CopyRecord | None:
        with unavailable_as_store_error():
            raw = await self.client.hgetall(self.keys.copy(copy_id))
        if not raw:
            return None
        row = {text_of(k): text_of(v) for k, v in raw.items()}
        return CopyRecord(
            id=row["id"],
            page=row["page"],
            case=row["case"],
            printer=row["printer"],
            staff=row["staff"],
            window=row["window"],
            sha256=row["sha256"],
            width=int(row["width"]),
            height=int(row["height"]),
            expires=int(row["expires"]),
        )

    async def claim(self, copy_id: str, now: float, until: float) -> int:
        """Claim an existing, unfetched copy for one fetch until `until` (unix s): 1 when
        claimed, 2 while another fetch holds it, 0 when it is gone or was fetched."""
        with unavailable_as_store_error():
            return int(
                await self._claim(keys=[self.keys.copy(copy_id)], args=[int(now), int(until)])
            )

    async def release(self, copy_id: str) -> None:
        """End a fetch's claim without marking the copy fetched: it may be fetched again."""
        with unavailable_as_store_error():
            await self.client.hdel(self.keys.copy(copy_id), "fetching")

    async def fetched(self, copy_id: str) -> None:
        """The copy's body was written whole: no other fetch gets it."""
        with unavailable_as_store_error():
            await self._fetched(keys=[self.keys.copy(copy_id)], args=[])

    async def due(self, now: float, limit: int = 100) -> list[str]:
        """Copy ids whose link expired unfetched: their rasters are deleted."""
        with unavailable_as_store_error():
            ids = await self.client.zrangebyscore(
                self.keys.copies_due, "-inf", now, start=0, num=limit
            )
        return [text_of(copy_id) for copy_id in ids]

    async def drop_due(self, copy_id: str) -> None:
        with unavailable_as_store_error():
            await self.client.zrem(self.keys.copies_due, copy_id)
