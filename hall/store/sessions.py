"""Dashboard sign-in sessions in the store, so that every hub of the hall knows them: a hub
that takes over from another (or starts again) keeps the managers signed in.

A session is kept under the SHA-256 of its token (a copy of the store never holds a cookie
that works), expires with the session, and is revoked by deleting it. A sorted set indexes
the sessions by expiry, so a manager can list them all and end any one. The web side
(`hall.web.sessions`) decides what a session holds; this is only where it is kept.
"""

from __future__ import annotations

import time

from hall.store.connection import StoreClient, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["StoredSessions"]


class StoredSessions:
    def __init__(self, client: StoreClient, hall_id: str) -> None:
        self.client = client
        self.keys = HallKeys(hall_id)

    async def put(self, digest: str, record: bytes, ttl_s: float) -> None:
        ttl_ms = max(1, round(ttl_s * 1000))
        expires_ms = round(time.time() * 1000) + ttl_ms
        with unavailable_as_store_error():
            await self.client.set(self.keys.session(digest), record, px=ttl_ms)
            await self.client.zadd(self.keys.session_index, {digest: expires_ms})

    async def replace(self, digest: str, record: bytes) -> None:
        """Rewrite a live session's record (its last use), keeping its expiry."""
        with unavailable_as_store_error():
            await self.client.set(self.keys.session(digest), record, keepttl=True, xx=True)

    async def get(self, digest: str) -> bytes | None:
        with unavailable_as_store_error():
            value = await self.client.get(self.keys.session(digest))
        return value if isinstance(value, bytes | None) else str(value).encode()

    async def delete(self, digest: str) -> bool:
        """Revoke a session; False when there was none (expired, or revoked already)."""
        with unavailable_as_store_error():
            await self.client.zrem(self.keys.session_index, digest)
            return bool(await self.client.delete(self.keys.session(digest)))

    async def entries(self) -> list[tuple[str, bytes]]:
        """Every live session: (digest, record); the expired ones leave the index."""
        now_ms = round(time.time() * 1000)
        with unavailable_as_store_error():
            await self.client.zremrangebyscore(self.keys.session_index, "-inf", now_ms)
            digests = [
                d.decode() if isinstance(d, bytes) else str(d)
                for d in await self.client.zrange(self.keys.session_index, 0, -1)
            ]
            if not digests:
                return []
            records = await self.client.mget([self.keys.session(d) for d in digests])
        return [(d, r) for d, r in zip(digests, records, strict=True) if isinstance(r, bytes)]
