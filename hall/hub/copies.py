"""Copies of captured pages on a window's printer (the window pad's `printer` in the hall file).

- The pad draws the page at the printer's width in dots and dithers it to one bit in its
  browser; it sends the raster (binary PBM, `hall.domain.copies`) over HTTP. The page image
  itself never goes over the broker, and neither does the raster.
- The hub checks it (format, width = the printer's dots, height, size), keeps it encrypted
  like the pages (`document_vault.py`, under a name of its own) for `[documents]
  copy_ttl_s`, audits the print with who sent it, and sends the printer a `cmd`
  ``{"job": "print_copy", "url", "sha256", "width", "height"}``: `url` is a signed, expiring
  link on the hub's public address that may be fetched once; the raster is deleted when it
  is fetched, or when the link expires (the documents' sweep). A fetch spends the copy only
  once its whole body was written: a fetch that breaks mid-body leaves it to be fetched again,
  and while one fetch is writing it, another is refused (409).
- The printer's width comes from its retained status (`dots`, which the gateway's ESC/POS
  driver publishes), else 576 dots (80 mm paper); it counts as offline while its status is
  not `online` or says `"online": false`. A printer whose status says `"paper": "out"` is
  sent nothing (409 `printer_paper_out`): the one-time copy is not spent on it. A `dots` that
  is not a multiple of 8 from 64 to 2040 is ignored with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hall.domain.config import HallConfig
from hall.domain.copies import (
    DEFAULT_DOTS,
    MAX_COPY_ROWS,
    check_copy_link,
    dots_problem,
    parse_pbm,
    sign_copy_link,
)
from hall.domain.documents import DocumentError
from hall.hub.document_vault import BlobStoreError
from hall.hub.documents import Capturer, Documents
from hall.store.copies import CopyRecord, StoredCopies
from hall.store.documents import Page

__all__ = ["Copies", "WindowPrinter"]

log = logging.getLogger("hall.copies")
StatusOf = Callable[[str], Mapping[str, Any] | None]
Send = Callable[[str, dict[str, Any]], None]
_HEADER_BYTES = 64
# How long one fetch holds a copy; longer than a fetch may take to write its body
# (`hall.web.documents`), so two fetches never both get it whole.
CLAIM_S = 60


@dataclass(frozen=True)
class WindowPrinter:
    """A window pad's printer as it is now."""

    id: str
    online: bool
    dots: int
    paper: str | None = None  # "ok", "near_end", "out" as its status says; None: not said

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "online": self.online, "dots": self.dots, "paper": self.paper}

    @property
    def max_bytes(self) -> int:
        """The largest raster it may be sent (its width, the most rows, the header)."""
        return (self.dots + 7) // 8 * MAX_COPY_ROWS + _HEADER_BYTES


def _dots(printer: str, status: Mapping[str, Any], said: set[tuple[str, str]]) -> int:
    """The printer's width from its status; a bad value is ignored (80 mm paper) with a
    warning, once for each printer and value."""
    dots = status.get("dots")
    if dots is None:
        return DEFAULT_DOTS
    problem = dots_problem(dots)
    if problem is None:
        assert isinstance(dots, int)
        return dots
    key = (printer, repr(dots)[:40])
    if key not in said and len(said) < 1000:
        said.add(key)
        log.warning(
            "printer %s: its status says %s; taken as %d dots (80 mm paper)",
            printer,
            problem,
            DEFAULT_DOTS,
        )
    return DEFAULT_DOTS


def copy_object(copy_id: str) -> str:
    """The encrypted raster's object name (apart from the pages', which are named by hash)."""
    return f"copies/{copy_id}"


class Copies:
    def __init__(
        self,
        config: HallConfig,
        documents: Documents,
        store: StoredCopies,
        status_of: StatusOf,
        send: Send,
    ) -> None:
        self.config = config
        self.documents = documents
        self.store = store
        self._status_of = status_of
        self._send = send
        self.sent = 0  # copies sent to printers, for the metrics
        self._bad_dots_said: set[tuple[str, str]] = set()  # bad widths warned of, once each

    def printer(self, device_id: str) -> WindowPrinter | None:
        """The pad's printer (its `printer` in the hall file), or None when it has none."""
        device = self.config.device(device_id)
        if device is None or device.kind != "window_pad" or device.printer is None:
            return None
        status = self._status_of(device.printer)
        online = status is not None and status.get("online") is not False
        dots = _dots(device.printer, status or {}, self._bad_dots_said)
        paper = status.get("paper") if status is not None else None
        said = paper if isinstance(paper, str) else None
        return WindowPrinter(device.printer, online, dots, said)

    def ready_printer(self, who: Capturer, page: Page) -> WindowPrinter:
        """The printer a copy of `page` goes to now; DocumentError (409) saying why not."""
        if page.kind == "pdf":
            raise DocumentError(
                409,
                "not_printable",
                "a PDF page cannot be drawn for the printer at the window; print it from the "
                "back office",
            )
        printer = self.printer(who.device)
        if printer is None:
            raise DocumentError(
                409, "no_printer", "this window has no printer (the window pad's printer)"
            )
        device = self.config.device(who.device)
        if device is not None and device.window is not None and device.window != who.window:
            # The printer stands at the pad's window in the hall file: never another window's.
            raise DocumentError(
                409,
                "no_printer",
                f"printer {printer.id} stands at window {device.window}, not window "
                f"{who.window}: move the pad and its printer in the hall file",
            )
        if not printer.online:
            raise DocumentError(
                409,
                "printer_offline",
                f"printer {printer.id} is offline: check its power, paper and cable",
            )
        if printer.paper == "out":
            raise DocumentError(
                409,
                "printer_paper_out",
                f"printer {printer.id} is out of paper: load a new roll, then print again",
            )
        return printer

    async def send(
        self, who: Capturer, page: Page, printer: WindowPrinter, data: bytes
    ) -> dict[str, Any]:
        """Check the raster, keep it, audit the print and send the printer its job."""
        raster = parse_pbm(data)
        if raster.width != printer.dots:
            raise DocumentError(
                422,
                "wrong_width",
                f"printer {printer.id} prints {printer.dots} dots across, not {raster.width}: "
                "draw the page at its width",
            )
        copy_id = secrets.token_hex(16)
        sha = hashlib.sha256(data).hexdigest()
        ttl = self.documents.config.copy_ttl_s
        expires = int(self.documents.clock()) + ttl
        record = CopyRecord(
            id=copy_id,
            page=page.id,
            case=page.case,
            printer=printer.id,
            staff=who.staff,
            window=who.window,
            sha256=sha,
            width=raster.width,
            height=raster.height,
            expires=expires,
        )
        # The record first: it makes the raster due for deletion, so a raster whose keeping
        # fails half way is still deleted when its link ends.
        await self.store.add(record, ttl + 60)
        await self.documents.vault.put(sha, data, name=copy_object(copy_id))
        where = f"window {who.window}"
        await self.documents.record(
            "document_printed", page, who.staff, where, printer=printer.id, copy=copy_id
        )
        link = sign_copy_link(self.documents.link_key, copy_id, expires)
        self._send(
            printer.id,
            {
                "job": "print_copy",
                "url": self.documents.base_url + link,
                "sha256": sha,
                "width": raster.width,
                "height": raster.height,
            },
        )
        self.sent += 1
        at = datetime.fromtimestamp(expires, self.documents.tz).isoformat()
        return {
            "copy": copy_id,
            "printer": printer.id,
            "width": raster.width,
            "height": raster.height,
            "expires_at": at,
        }

    async def claim(self, copy_id: str, expires: str, sig: str) -> tuple[CopyRecord, bytes]:
        """The record and raster a valid link names, claimed for one fetch for `CLAIM_S`;
        DocumentError (403, 404, 409 while another fetch holds it, 410) otherwise. The copy
        is spent by `served` once its body was written whole; `unserved` frees it again."""
        check_copy_link(self.documents.link_key, copy_id, expires, sig, self.documents.clock())
        record = await self.store.get(copy_id)
        if record is None:
            raise DocumentError(410, "gone", "this copy is gone (printed or expired)")
        now = self.documents.clock()
        claimed = await self.store.claim(copy_id, now, now + CLAIM_S)
        if claimed == 2:
            raise DocumentError(
                409, "busy", "this copy is being fetched now: each copy is fetched once"
            )
        if claimed != 1:
            raise DocumentError(
                410, "gone", "this link was fetched already: each copy is fetched once"
            )
        try:
            data = await self.documents.vault.get(record.sha256, name=copy_object(copy_id))
        except BaseException:
            await self.store.release(copy_id)  # nothing was served: it may be fetched again
            raise
        return record, data

    async def served(self, record: CopyRecord, by: str) -> None:
        """The copy's body was written whole: spent, and its raster deleted."""
        await self.store.fetched(record.id)
        await self._delete(record.id)
        log.info(
            "copy %s of page %s fetched by printer %s (%s)",
            record.id,
            record.page,
            record.printer,
            by,
            extra={"fields": {"copy": record.id, "page": record.page, "printer": record.printer}},
        )

    async def unserved(self, record: CopyRecord, by: str, why: str) -> None:
        """A fetch broke before the body was written whole: the copy may be fetched again."""
        await self.store.release(record.id)
        log.warning(
            "copy %s was not fetched whole by %s (%s): it may be fetched again",
            record.id,
            by,
            why,
            extra={"fields": {"copy": record.id, "printer": record.printer}},
        )

    async def _delete(self, copy_id: str) -> None:
        try:
            await self.documents.vault.delete("", name=copy_object(copy_id))
        except BlobStoreError as exc:  # still due: the sweep deletes it after the link ends
            log.warning("could not delete the raster of copy %s now: %s", copy_id, exc)
            return
        await self.store.drop_due(copy_id)

    async def sweep(self) -> int:
        """Delete the rasters whose links ended unfetched; how many."""
        due = await self.store.due(self.documents.clock())
        for copy_id in due:
            await self._delete(copy_id)
        return len(due)
