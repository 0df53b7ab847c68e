"""The records of pages captured at the windows: which case, in what order, under which
document name, their content's SHA-256 and size, who captured them, whether the back office
fetched them. The content itself is an encrypted file (`hall.hub.documents`), never in Redis.

Each change is one script, so a case never holds more pages than allowed, an order has every
page once, and a page's content is counted under its hash by exactly the pages that show it:
the file is deleted only when the last of them goes (`remove` answers its hash then).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hall.store.connection import StoreClient, text_of, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["PAGE_FIELDS", "Page", "StoredDocuments"]

PAGE_FIELDS = (
    *("id", "case", "ticket", "window", "device", "staff", "name"),
    *("order", "sha256", "size", "kind", "at"),
)

# A fetched link is a field of its page's record, so it goes with the page; it is named by
# the link's signature because each attempt to deliver a case signs its links anew.
FETCHED_PREFIX = "fetched:"


@dataclass(frozen=True)
class Page:
    id: str
    case: str
    ticket: str
    window: str
    device: str
    staff: str
    name: str
    order: int
    sha256: str
    size: int
    kind: str
    at: float

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "order": self.order,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
        }


# KEYS: page hash, case zset, due zset, refs set. ARGV: page id, max pages, due at, then the
# record as field/value pairs (without order). Answers the order, or 0 when the case is full.
_ADD = """
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
local last = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local order = 1
if #last == 2 then order = tonumber(last[2]) + 1 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'order', order)
redis.call('ZADD', KEYS[2], order, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return order
"""

# KEYS: page hash, due zset; ARGV: page id, refs key prefix. Removes the page; answers its
# content hash when no page shows that content any more (the file may go), else "".
_REMOVE = """
local page = redis.call('HMGET', KEYS[1], 'case', 'sha256')
if not page[1] then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local refs = ARGV[2] .. page[2]
redis.call('SREM', refs, ARGV[1])
if redis.call('SCARD', refs) == 0 then return page[2] end
return ''
"""

# KEYS: case zset; ARGV: page ids in their new order. Answers 1, or 0 when they are not
# exactly the case's pages.
_REORDER = """
if redis.call('ZCARD', KEYS[1]) ~= #ARGV then return 0 end
for i = 1, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then return 0 end
end
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], i, ARGV[i]) end
return 1
"""


# KEYS: page hash; ARGV: the link's field. Answers 1 when the page exists and this link was
# not fetched before (it is marked now), else 0.
_MARK_FETCHED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], ARGV[1], '1')
"""


_RENAME = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1])
return 1
"""


class StoredDocuments:
    """The hall's page records, on the store's connection."""

    def __init__(self, client: StoreClient, keys: HallKeys) -> None:
        self.client = client
        self.keys = keys
        self._add = client.register_script(_ADD)
        self._remove = client.register_script(_REMOVE)
        self._reorder = client.register_script(_REORDER)
        self._rename = client.register_script(_RENAME)
        self._mark_fetched = client.register_script(_MARK_FETCHED)

    async def add(self, page: Page, max_pages: int, due_at: float) -> int:
        """Store a new page at the end of its case; its order, or 0 when the case is full."""
        record = {k: v for k, v in _record(page).items() if k != "order"}
        args: list[str | int | float] = [page.id, max_pages, due_at]
        for name, value in record.items():
            args += [name, value]
        keys = [
            self.keys.document(page.id),
            self.keys.case_documents(page.case),
            self.keys.documents_due,
            self.keys.document_refs(page.sha256),
        ]
        with unavailable_as_store_error():
            return int(await self._add(keys=keys, args=args))

    async def get(self, page_id: str) -> Page | None:
        with unavailable_as_store_error():
            raw = await self.client.hgetall(self.keys.document(page_id))
        return _page(raw) if raw else None

    async def pages(self, case_id: str) -> list[Page]:
        """The case's pages in their order."""
        with unavailable_as_store_error():
            ids = await self.client.zrange(self.keys.case_documents(case_id), 0, -1)
            pipe = self.client.pipeline(transaction=False)
            for page_id in ids:
                pipe.hgetall(self.keys.document(text_of(page_id)))
            rows = await pipe.execute() if ids else []
        return [_page(row) for row in rows if row]

    async def rename(self, page_id: str, name: str) -> bool:
        """Only an existing page (HSET on a deleted one would leave a record of a name)."""
        with unavailable_as_store_error():
            done = await self._rename(keys=[self.keys.document(page_id)], args=[name])
        return bool(done)

    async def reorder(self, case_id: str, page_ids: list[str]) -> bool:
        with unavailable_as_store_error():
            done = await self._reorder(keys=[self.keys.case_documents(case_id)], args=page_ids)
        return bool(done)

    async def remove(self, page: Page) -> str | None:
        """Remove a page's record: its content hash when no other page shows that content
        (the file may then be deleted), "" when another does, None when it was gone."""
        refs_prefix = self.keys.document_refs("")
        keys = [self.keys.document(page.id), self.keys.case_documents(page.case)]
        args = [page.id, refs_prefix, self.keys.documents_due]
        with unavailable_as_store_error():
            answer = await self._remove(keys=keys, args=args)
        if answer is None:
            return None
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    async def mark_fetched(self, page_id: str, link: str) -> bool:
        """True for the first fetch of this link (`link` names it: its signature), False for
        a later one or a page that is gone. Another link to the same page, as the relay signs
        anew on each attempt, is fetched on its own."""
        key = self.keys.document(page_id)
        with unavailable_as_store_error():
            done = await self._mark_fetched(keys=[key], args=[FETCHED_PREFIX + link])
        return bool(done)

    async def count(self, case_id: str) -> int:
        """How many pages the case has."""
        with unavailable_as_store_error():
            return int(await self.client.zcard(self.keys.case_documents(case_id)))

    async def refs(self, sha256: str) -> set[str]:
        """The ids of the pages that show this content."""
        with unavailable_as_store_error():
            ids = await self.client.smembers(self.keys.document_refs(sha256))
        return {text_of(page_id) for page_id in ids}

    async def referenced(self, sha256: str) -> bool:
        """Whether any page shows this content."""
        with unavailable_as_store_error():
            return bool(await self.client.scard(self.keys.document_refs(sha256)))

    async def unmark_fetched(self, page_id: str, link: str) -> None:
        """A fetch that served nothing does not count."""
        with unavailable_as_store_error():
            await self.client.hdel(self.keys.document(page_id), FETCHED_PREFIX + link)

    async def due(self, now: float, limit: int = 100) -> list[str]:
        """Page ids whose retention has run out, oldest first."""
        with unavailable_as_store_error():
            ids = await self.client.zrangebyscore(
                self.keys.documents_due, "-inf", now, start=0, num=limit
            )
        return [text_of(page_id) for page_id in ids]

    async def drop_due(self, page_id: str) -> None:
        """Forget a due page whose record is already gone."""
        with unavailable_as_store_error():
            await self.client.zrem(self.keys.documents_due, page_id)


def _record(page: Page) -> dict[str, str | int | float]:
    return {
        "id": page.id,
        "case": page.case,
        "ticket": page.ticket,
        "window": page.window,
        "device": page.device,
        "staff": page.staff,
        "name": page.name,
        "order": page.order,
        "sha256": page.sha256,
        "size": page.size,
        "kind": page.kind,
        "at": page.at,
    }


def _page(raw: Any) -> Page:
    row = {text_of(k): text_of(v) for k, v in raw.items()}
    return Page(
        id=row["id"],
        case=row["case"],
        ticket=row["ticket"],
        window=row["window"],
        device=row["device"],
        staff=row["staff"],
        name=row["name"],
        order=int(row.get("order", "0")),
        sha256=row["sha256"],
        size=int(row["size"]),
        kind=row["kind"],
        at=float(row["at"]),
    )
