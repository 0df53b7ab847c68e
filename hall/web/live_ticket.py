"""The ticket page's live socket: ``/ws/ticket/<no>``, what a citizen's phone follows.

The phone is sent its one ticket's public view (the same as ``GET /api/public/tickets/<no>``:
position, wait, where to go; no personal data) when it connects and whenever it changes, at
most once a second; nothing it sends is read. The sockets are bounded: at most
`MAX_PER_TICKET` per ticket (a family's phones) and `MAX_TICKET_SOCKETS` in all (``503``
beyond), and opening one takes a token of the `/api/` rate limit of the phone's address
(``429`` beyond). See docs/web-protocol.md.
"""

from __future__ import annotations

import math

from aiohttp import web

from hall.contract.wire import dumps_text
from hall.domain.args import TICKET_NO
from hall.web.limits import API_LIMITS
from hall.web.live import LIVE
from hall.web.live_ws import accept
from hall.web.mailbox import Mailbox
from hall.web.qr import public_base
from hall.web.security import origin_allowed

MAX_TICKET_SOCKETS = 2000  # open ticket sockets in all
MAX_PER_TICKET = 8  # open sockets following one ticket
TICKET_INTERVAL_S = 1.0  # a phone is sent at most one update a second
MAX_MESSAGE_BYTES = 1024  # a phone sends nothing worth reading


def _refuse(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    return status(
        text=dumps_text({"error": {"code": code, "message": message}}),
        content_type="application/json",
    )


async def ws_ticket(request: web.Request) -> web.WebSocketResponse:
    live = request.app[LIVE]
    pages = live.ticket_pages
    no = request.match_info["no"]
    if not TICKET_NO.fullmatch(no):
        raise _refuse(web.HTTPNotFound, "not_found", f"no ticket number {no[:16]!r}")
    if "Origin" in request.headers and not origin_allowed(request):
        raise _refuse(web.HTTPForbidden, "bad_origin", "the Origin is not a page of this hub")
    wait = request.app[API_LIMITS].wait_s(request)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        error = _refuse(web.HTTPTooManyRequests, "rate_limited", f"retry after {retry} s")
        error.headers["Retry-After"] = retry
        raise error
    if len(pages) >= MAX_TICKET_SOCKETS:
        raise _refuse(web.HTTPServiceUnavailable, "busy", "too many ticket pages open")
    if len(pages.by_ticket.get(no, ())) >= MAX_PER_TICKET:
        raise _refuse(web.HTTPTooManyRequests, "busy", f"ticket {no} is followed by too many pages")
    ws = await accept(request, max_msg_size=MAX_MESSAGE_BYTES)
    mailbox = Mailbox(ws, interval=TICKET_INTERVAL_S, queue_max=4, name=f"ticket page {no}")
    screen = live.hub.config.screen
    mailbox.push(
        dumps_text(
            {
                "type": "page",
                "url": f"{public_base(request)}/t/{no}",
                "alert_ahead": screen.phone_alert_ahead,
                "timezone": live.hub.config.hall.timezone,  # times shown in the hall's clock
            }
        )
    )
    following = pages.add(no, mailbox)

    async def ignore(_text: str) -> None:
        return None

    try:
        await live.serve(request, mailbox, None, ignore)
    finally:
        if following:
            pages.remove(no, mailbox)
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws/ticket/{no}", ws_ticket)
