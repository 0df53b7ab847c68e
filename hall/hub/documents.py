"""Pages captured at the windows (影印): what a window pad may capture, the records and the
encrypted files together, the back office's links, and deletion.

- A window pad captures pages only while a ticket is in hand at its window (called or
  serving) and a clerk is signed in there: the page belongs to that visit's case and names
  that clerk as who captured it. Nothing of this is taken from what the pad sends.
- Content is stored once per SHA-256 (`document_vault.py`), encrypted, in a local folder or
  an S3-compatible store (`document_s3.py`); its records in the
  store (`hall.store.documents`) say which case, order, document name and who.
- The case's links (`documents`, for the relay): signed and expiring (`hall.domain.documents`),
  each fetched once; the back office confirms receipt (DELETE on the link) and the page is
  deleted; what is never confirmed is deleted after `[documents] retention_hours` (`run`).
- Every read and every deletion is logged with who did it, and added to the hall's audit.

Pages reach the back office only over HTTP, never through the broker.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.domain.config import DocumentsConfig, HallConfig
from hall.domain.documents import KINDS, DocumentError, check_link, link_key, sign_link, sniff
from hall.domain.ops_ratings import case_id
from hall.domain.state import HallState
from hall.hub.document_vault import Blobs, BlobStoreError, DamagedFile, LocalBlobs, Vault
from hall.hub.subject_locks import SubjectLocks
from hall.store.documents import Page, StoredDocuments
from hall.store.hall_store import HallStore

__all__ = [
    "BlobStoreError",
    "Capturer",
    "DamagedFile",
    "Documents",
    "capturer",
    "make_documents",
    "too_large",
]

log = logging.getLogger("hall.documents")
SWEEP_INTERVAL_S = 60.0
Audit = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Capturer:
    """Who captures a page now, and for which visit: from the hall, never from the pad."""

    device: str
    window: str
    staff: str
    ticket: str
    case: str


def capturer(config: HallConfig, state: HallState, device_id: str) -> Capturer:
    """The window pad `device_id` as it may capture now; DocumentError (4xx) otherwise."""
    device = config.device(device_id)
    if device is None:
        raise DocumentError(404, "unknown_device", f"no device {device_id!r} in this hall")
    if device.kind != "window_pad":
        raise DocumentError(403, "forbidden", "only a window pad captures documents")
    catalogue = state.catalogue
    if catalogue is not None:
        if not catalogue.device_setting(device.id).enabled:
            raise DocumentError(403, "device_disabled", "a manager disabled this device")
        device = catalogue.bound(device)
    window = state.windows.get(device.window or "")
    if window is None or window.staff is None or window.state == "closed":
        raise DocumentError(409, "invalid_state", "nobody is signed in at this window")
    ticket = state.tickets.get(window.ticket or "")
    if ticket is None or ticket.state not in ("called", "serving"):
        raise DocumentError(409, "invalid_state", "no ticket in hand: call a ticket first")
    return Capturer(device.id, window.id, window.staff, ticket.no, case_id(state, ticket))


class Documents:
    def __init__(
        self,
        config: DocumentsConfig,
        store: StoredDocuments,
        audit: Audit,
        *,
        base_url: str,
        tz: ZoneInfo,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.store = store
        self.vault = Vault(_blobs(config), config.key)
        self.base_url = base_url.rstrip("/")  # where the back office reaches this hub
        self.tz = tz
        self.clock = clock
        self._audit = audit
        self._link_key = link_key(config.key)
        self._contents = SubjectLocks()  # one content (SHA-256) changed at a time
        self.deleted = 0  # pages deleted (confirmed, removed or expired), for the metrics
        # More rounds of deletion the sweep runs (the copies sent to printers: `copies.py`).
        self.sweepers: list[Callable[[], Awaitable[int]]] = []

    # ----- at the window ---------------------------------------------------------------------
    async def capture(
        self, who: Capturer, data: bytes, name: str, *, replacing: bool = False
    ) -> Page:
        """Keep a new page at the end of the visit's pages (`replacing`: one that is about to
        take an old page's place, so a full visit may still retake a page)."""
        kind = sniff(data[:16], self.config.kinds)
        if len(data) > self.config.max_bytes:
            raise too_large(self.config.max_bytes)
        sha = hashlib.sha256(data).hexdigest()
        now = self.clock()
        page = Page(
            id=secrets.token_hex(16),
            case=who.case,
            ticket=who.ticket,
            window=who.window,
            device=who.device,
            staff=who.staff,
            name=name,
            order=0,
            sha256=sha,
            size=len(data),
            kind=kind,
            at=now,
        )
        limit = self.config.max_pages + (1 if replacing else 0)
        async with self._contents.hold(sha):
            if await self.store.count(who.case) >= limit:
                raise self._full()
            await self.vault.put(sha, data)
            order = await self.store.add(page, limit, now + self.config.retention_s)
            if order == 0:  # filled up meanwhile: the file goes unless another page shows it
                if not await self.store.referenced(sha):
                    await self.vault.delete(sha)
                raise self._full()
        log.info(
            "page captured for case %s by %s at window %s",
            who.case,
            who.staff,
            who.window,
            extra={"fields": {"page": page.id, "case": who.case, "staff": who.staff}},
        )
        return Page(**{**page.__dict__, "order": order})

    def _full(self) -> DocumentError:
        limit = self.config.max_pages
        return DocumentError(409, "too_many_pages", f"a visit has at most {limit} pages")

    async def pages(self, case: str) -> list[Page]:
        return await self.store.pages(case)

    async def page_of(self, who: Capturer, page_id: str) -> Page:
        """A page of the visit in hand (a pad never reaches another visit's pages)."""
        page = await self.store.get(page_id) if len(page_id) == 32 else None
        if page is None or page.case != who.case:
            raise DocumentError(404, "not_found", "no such page in the visit in hand")
        return page

    async def read(self, page: Page, by: str, where: str) -> bytes:
        """A page's content, for `by` (logged and audited)."""
        data = await self.vault.get(page.sha256)
        await self.record("document_read", page, by, where)
        return data

    async def remove(self, page: Page, by: str, where: str) -> None:
        """Delete a page: its record, and its file unless another page shows that content."""
        async with self._contents.hold(page.sha256):
            # The file first: should the store of files refuse, nothing has changed and the
            # deletion is tried again (by the back office, or the next sweep).
            if await self.store.refs(page.sha256) <= {page.id}:
                await self.vault.delete(page.sha256)
            last = await self.store.remove(page)
        if last is not None:
            self.deleted += 1
            await self.record("document_deleted", page, by, where)

    # ----- the back office -------------------------------------------------------------------
    async def documents(self, case: str) -> list[dict[str, Any]]:
        """The case's pages with links signed now (the relay's `CaseDocuments`)."""
        expires = int(self.clock()) + self.config.link_ttl_s
        return [
            {
                "page": index,
                "name": page.name,
                "type": KINDS[page.kind][0],
                "size": page.size,
                "sha256": page.sha256,
                "url": self.base_url + sign_link(self._link_key, page.id, expires),
                "expires_at": datetime.fromtimestamp(expires, self.tz).isoformat(),
            }
            for index, page in enumerate(await self.store.pages(case), start=1)
        ]

    @property
    def link_key(self) -> bytes:
        return self._link_key

    async def linked(self, page_id: str, expires: str, sig: str) -> Page:
        """The page a valid link names; DocumentError (403, 404, 410) otherwise."""
        check = check_link(self._link_key, page_id, expires, sig, self.clock())
        if not check.ok:
            raise DocumentError(check.status, "bad_link", check.message)
        page = await self.store.get(page_id)
        if page is None:
            raise DocumentError(410, "gone", "this document was deleted (confirmed or expired)")
        return page

    async def fetch(self, page: Page, sig: str, by: str) -> bytes:
        """The one fetch of a link (named by its signature `sig`): a second one is refused
        (410). A link signed anew, as on the relay's next attempt, may fetch the page again
        until the back office confirms receipt, so a fetch broken mid-body loses nothing."""
        if not await self.store.mark_fetched(page.id, sig):
            raise DocumentError(
                410, "gone", "this link was fetched already: each link may be fetched once"
            )
        try:
            return await self.read(page, by, "back office")
        except (DamagedFile, BlobStoreError):
            await self.store.unmark_fetched(page.id, sig)  # nothing was served: fetch again
            raise

    # ----- retention -------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Delete the pages whose retention has run out; how many."""
        removed = 0
        for page_id in await self.store.due(self.clock()):
            page = await self.store.get(page_id)
            if page is None:
                await self.store.drop_due(page_id)
                continue
            await self.remove(page, "hub", "retention")
            removed += 1
        return removed

    async def run(self) -> None:
        """Sweep now and then until cancelled; a store outage waits for the next round."""
        while True:
            raise_if_cancel_lost()
            try:
                removed = await self.sweep()
                if removed:
                    log.info("deleted %d pages after their retention", removed)
                for sweep in self.sweepers:
                    await sweep()
            except (StoreUnavailable, BlobStoreError) as exc:
                log.warning("documents: cannot sweep now: %s", exc)
            await asyncio.sleep(SWEEP_INTERVAL_S)

    async def record(self, event: str, page: Page, by: str, where: str, **more: str) -> None:
        """Log and audit `event` of `page`, by whom and where (`more`: fields it adds)."""
        fields = {
            "event": event,
            "page": page.id,
            "case": page.case,
            "name": page.name,
            "sha256": page.sha256,
            "by": by,
            "where": where,
            **more,
        }
        log.info(
            "%s: page %s of case %s by %s (%s)",
            event,
            page.id,
            page.case,
            by,
            where,
            extra={"fields": fields},
        )
        entry = {"at": round(self.clock(), 3), **fields, "user": page.case}
        try:
            await self._audit(entry)
        except StoreUnavailable as exc:
            log.warning("could not audit %s of page %s: %s", event, page.id, exc)


def _blobs(config: DocumentsConfig) -> Blobs:
    if config.s3 is None:
        return LocalBlobs(config.path)
    from hall.hub.document_s3 import S3Blobs

    return S3Blobs(config.s3)


def too_large(limit: int) -> DocumentError:
    return DocumentError(413, "too_large", f"a page must be at most {limit} bytes")


def make_documents(
    config: HallConfig, store: HallStore, status_url: str | None, clock: Callable[[], float]
) -> Documents | None:
    """The hall's documents, when its file has `[documents]`; links name `[http] public_url`
    (else the address the hub listens on)."""
    if config.documents is None:
        return None
    base_url = config.http.public_url or status_url or f"http://{config.http.listen}"
    return Documents(
        config.documents,
        store.documents(),
        store.users().audit,
        base_url=base_url,
        tz=ZoneInfo(config.hall.timezone),
        clock=clock,
    )
