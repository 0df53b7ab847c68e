"""Pages captured at a window (影印) over HTTP; see docs/device-contract.md "Documents".

The window pad's routes, with the same proof as its live socket (the device's `?token=`
when the hall file gives it one, and an Origin of this hub's pages when a browser sends one):

- ``POST /pad/<device>/documents?name=<document>``: the body is one page (JPEG, PNG or PDF,
  told by its first bytes; at most `[documents] max_bytes`): kept at the end of the visit's
  pages. ``PUT /pad/<device>/documents/<page>`` with a body: retaken in its place.
- ``GET /pad/<device>/documents``: the visit's pages in order (none, with ``"ticket":
  null``, when no visit is in hand); ``GET …/<page>``: one page's
  content (a read, logged with the clerk's staff number).
- ``PATCH …/<page>`` ``{"name"}``: renamed; ``PUT /pad/<device>/documents``
  ``{"order": [page ids]}``: reordered; ``DELETE …/<page>``: removed.
- ``POST …/<page>/print`` with a binary PBM drawn at the window printer's width: a copy
  on the pad's printer (`hall.hub.copies`); ``202`` when the printer was sent it. The
  printer fetches it once: ``GET /copies/<copy>?expires=…&sig=…`` (spent once its body was
  written whole; ``409 busy`` while another fetch is writing it; HEAD is not allowed).

A pad reaches only the pages of the visit in hand at its window. The back office's routes
take the signed links a case carries: ``GET /documents/<page>?expires=…&sig=…`` once per link (a
second fetch of the same link is answered 410; the link signed on the relay's next attempt
fetches again), and ``DELETE`` on the same link confirms receipt: the page
is deleted. Every refusal is a 4xx with ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from aiohttp import web

from hall.contract.errors import StoreUnavailable
from hall.contract.wire import dumps_text
from hall.domain.copies import PBM_MEDIA_TYPE
from hall.domain.documents import KINDS, DocumentError, page_name
from hall.hub.copies import Copies
from hall.hub.documents import BlobStoreError, Capturer, DamagedFile, Documents, capturer, too_large
from hall.hub.http import HUB
from hall.store.documents import Page
from hall.web.limits import OWN_BODY_ROUTES
from hall.web.security import client_address, origin_allowed
from hall.web.whole_body import BodyNotWritten, write_whole

__all__ = ["add_routes"]

# They read their bodies up to `[documents] max_bytes`, and up to a printer's raster.
UPLOAD_ROUTE, RETAKE_ROUTE, PRINT_ROUTE = OWN_BODY_ROUTES
_NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=dumps_text({"error": {"code": code, "message": message}}),
        content_type="application/json",
        headers=_NO_STORE,
    )


def _documents(request: web.Request) -> Documents:
    documents = request.app[HUB].documents
    if documents is None:
        raise DocumentError(404, "not_found", "this hall keeps no documents ([documents])")
    return documents


def _copies(request: web.Request) -> Copies:
    copies = request.app[HUB].copies
    if copies is None:
        raise DocumentError(404, "not_found", "this hall keeps no documents ([documents])")
    return copies


def _pad(request: web.Request) -> Capturer:
    """The pad as it may capture now: its token and Origin checked, its visit in hand."""
    hub = request.app[HUB]
    device_id = request.match_info["device"]
    device = hub.config.device(device_id)
    if device is not None and device.token is not None:
        given = request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), device.token.encode()):
            raise DocumentError(403, "forbidden", "this device needs its ?token=")
    if "Origin" in request.headers and not origin_allowed(request):
        raise DocumentError(403, "bad_origin", "the Origin is not a page of this hub")
    return capturer(hub.config, hub.state, device_id)


async def _body(request: web.Request, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it passes `limit`, within the body timeout."""
    if (request.content_length or 0) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)

    timeout = request.app[HUB].config.http.body_timeout_s
    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        message = f"the page did not arrive within {timeout:g} s"
        raise DocumentError(408, "timeout", message) from None
    if not size:
        raise DocumentError(400, "bad_request", "the body must be the page's file")
    return b"".join(chunks)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.read())
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DocumentError(400, "bad_request", "the body must be a JSON object")
    return data


async def _still_in_hand(
    request: web.Request, documents: Documents, who: Capturer, page: Page
) -> None:
    """A page stored just as the visit ended may have missed its case: it is taken back."""
    try:
        now = _pad(request)
    except DocumentError:
        now = None
    if now is None or now.case != who.case:
        await documents.remove(page, who.staff, f"window {who.window}")
        raise DocumentError(409, "invalid_state", "the visit ended before the page was kept")


def _views(pages: list[Page]) -> list[dict[str, Any]]:
    """The pages as a pad shows them: `order` is each one's place, from 1."""
    return [{**page.view(), "order": n} for n, page in enumerate(pages, start=1)]


async def _kept(documents: Documents, who: Capturer, page_id: str) -> dict[str, Any]:
    for view in _views(await documents.pages(who.case)):
        if view["id"] == page_id:
            return view
    raise DocumentError(404, "not_found", "no such page in the visit in hand")


def _listing(
    request: web.Request, who: Capturer | None, pages: list[Page], documents: Documents
) -> web.Response:
    printer = _copies(request).printer(request.match_info["device"])
    body = {
        "case": who.case if who else None,
        "ticket": who.ticket if who else None,
        "documents": _views(pages),
        "max_pages": documents.config.max_pages,
        "max_bytes": documents.config.max_bytes,
        "types": [KINDS[kind][0] for kind in documents.config.kinds],
        "printer": printer.view() if printer else None,
    }
    return web.json_response(body, headers=_NO_STORE, dumps=dumps_text)


# ----- the pad ---------------------------------------------------------------------------------
async def upload(request: web.Request) -> web.StreamResponse:
    documents = _documents(request)
    who = _pad(request)
    name = page_name(request.query.get("name", ""))
    data = await _body(request, documents.config.max_bytes)
    page = await documents.capture(who, data, name)
    await _still_in_hand(request, documents, who, page)
    kept = await _kept(documents, who, page.id)
    return web.json_response({"page": kept}, status=201, headers=_NO_STORE)


async def retake(request: web.Request) -> web.StreamResponse:
    """A page taken again: the new content in the old one's place, under its name."""
    documents = _documents(request)
    who = _pad(request)
    old = await documents.page_of(who, request.match_info["page"])
    data = await _body(request, documents.config.max_bytes)
    page = await documents.capture(who, data, old.name, replacing=True)
    ids = [p.id for p in await documents.pages(who.case) if p.id != page.id]
    # The new page just before the old one, which then goes: the new one takes its place.
    order = [one for pid in ids for one in ((page.id, pid) if pid == old.id else (pid,))]
    await documents.store.reorder(who.case, order)
    await documents.remove(old, who.staff, f"window {who.window} (retaken)")
    await _still_in_hand(request, documents, who, page)
    return web.json_response({"page": await _kept(documents, who, page.id)}, headers=_NO_STORE)


async def listing(request: web.Request) -> web.StreamResponse:
    """The visit's pages; with no visit in hand (nobody signed in, no ticket), none: the pad
    asks on every load, and that is no refusal."""
    documents = _documents(request)
    try:
        who = _pad(request)
    except DocumentError as exc:
        if exc.status != 409:
            raise
        return _listing(request, None, [], documents)
    return _listing(request, who, await documents.pages(who.case), documents)


async def reorder(request: web.Request) -> web.StreamResponse:
    documents = _documents(request)
    who = _pad(request)
    order = (await _json(request)).get("order")
    if not isinstance(order, list) or not all(isinstance(p, str) for p in order):
        raise DocumentError(400, "bad_request", "order must be the list of the visit's page ids")
    if not await documents.store.reorder(who.case, order):
        raise DocumentError(409, "conflict", "order must name every page of the visit once")
    return _listing(request, who, await documents.pages(who.case), documents)


async def content(request: web.Request) -> web.StreamResponse:
    documents = _documents(request)
    who = _pad(request)
    page = await documents.page_of(who, request.match_info["page"])
    data = await documents.read(page, who.staff, f"window {who.window}")
    return web.Response(body=data, content_type=KINDS[page.kind][0], headers=_NO_STORE)


async def rename(request: web.Request) -> web.StreamResponse:
    documents = _documents(request)
    who = _pad(request)
    page = await documents.page_of(who, request.match_info["page"])
    name = page_name((await _json(request)).get("name"))
    if not await documents.store.rename(page.id, name):
        raise DocumentError(404, "not_found", "no such page in the visit in hand")
    return web.json_response({"page": await _kept(documents, who, page.id)}, headers=_NO_STORE)


async def remove(request: web.Request) -> web.StreamResponse:
    documents = _documents(request)
    who = _pad(request)
    page = await documents.page_of(who, request.match_info["page"])
    await documents.remove(page, who.staff, f"window {who.window}")
    return web.Response(status=204, headers=_NO_STORE)


async def print_copy(request: web.Request) -> web.StreamResponse:
    """A copy of a page on the pad's printer: the body is the page drawn at the printer's
    width in dots, one bit a dot (binary PBM)."""
    documents, copies = _documents(request), _copies(request)
    who = _pad(request)
    page = await documents.page_of(who, request.match_info["page"])
    printer = copies.ready_printer(who, page)
    data = await _body(request, printer.max_bytes)
    sent = await copies.send(who, page, printer, data)
    return web.json_response(sent, status=202, headers=_NO_STORE)


async def fetch_copy(request: web.Request) -> web.StreamResponse:
    """A printer fetches its copy, once, by the link its job carried. The copy is spent only
    once its body was written whole; a fetch that breaks mid-body leaves it to be fetched."""
    copies = _copies(request)
    by = f"printer at {client_address(request)}"
    record, data = await copies.claim(
        request.match_info["copy"],
        request.query.get("expires", ""),
        request.query.get("sig", ""),
    )
    response = web.StreamResponse(headers={**_NO_STORE, "Content-Type": PBM_MEDIA_TYPE})
    try:
        await write_whole(request, response, data)
    except BaseException as exc:
        await asyncio.shield(copies.unserved(record, by, str(exc) or type(exc).__name__))
        if isinstance(exc, BodyNotWritten):
            return response
        raise
    await copies.served(record, by)
    return response


# ----- the back office -------------------------------------------------------------------------
async def _linked(request: web.Request) -> tuple[Documents, Page]:
    documents = _documents(request)
    page = await documents.linked(
        request.match_info["page"], request.query.get("expires", ""), request.query.get("sig", "")
    )
    return documents, page


async def fetch(request: web.Request) -> web.StreamResponse:
    documents, page = await _linked(request)
    sig = request.query.get("sig", "")  # the link's identity: each link is fetched once
    data = await documents.fetch(page, sig, f"back office {client_address(request)}")
    headers = {
        **_NO_STORE,
        "Content-Disposition": f'attachment; filename="{page.id}.{page.kind}"',
        "Digest": f"sha-256={page.sha256}",
    }
    return web.Response(body=data, content_type=KINDS[page.kind][0], headers=headers)


async def confirm(request: web.Request) -> web.StreamResponse:
    documents, page = await _linked(request)
    await documents.remove(page, f"back office {client_address(request)}", "receipt confirmed")
    return web.Response(status=204, headers=_NO_STORE)


@web.middleware
async def _refusals(request: web.Request, handler: Any) -> web.StreamResponse:
    """A refused page or link is a 4xx with the reason; a store outage a 503."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except DocumentError as exc:
        return _error(exc.status, exc.code, exc.message)
    except StoreUnavailable:
        response = _error(503, "unavailable", "the hub's store is out: try again shortly")
        response.headers["Retry-After"] = "2"
        return response
    except BlobStoreError as exc:
        response = _error(503, "unavailable", f"the pages cannot be kept or read now: {exc}")
        response.headers["Retry-After"] = "5"
        return response
    except DamagedFile as exc:
        return _error(500, "internal", f"the page cannot be read: {exc}")


def add_routes(app: web.Application) -> None:
    pad = "/pad/{device}/documents"
    page = pad + "/{page}"
    app.router.add_post(pad, upload, name=UPLOAD_ROUTE)
    app.router.add_get(pad, listing)
    app.router.add_put(pad, reorder)
    app.router.add_get(page, content)
    app.router.add_put(page, retake, name=RETAKE_ROUTE)
    app.router.add_patch(page, rename)
    app.router.add_delete(page, remove)
    app.router.add_post(page + "/print", print_copy, name=PRINT_ROUTE)
    # GET only: a HEAD (a link preview, a probe) would spend a link that may be fetched once.
    app.router.add_get("/copies/{copy}", fetch_copy, allow_head=False)
    app.router.add_get("/documents/{page}", fetch, allow_head=False)
    app.router.add_delete("/documents/{page}", confirm)
    app.middlewares.append(_refusals)
