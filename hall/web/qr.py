"""QR codes of the ticket pages, drawn on the hub as SVG by segno.

``GET /t/<no>/qr.svg`` is the QR code of ``<public_url>/t/<no>``: `[http] public_url`, the
address citizens' phones reach the hub at, the same the printed tickets' ``qr_url`` points at
(never the address the hub listens on). A hall without `public_url` answers with the scheme
and Host the request was sent to, so a kiosk and a phone on the hall's own network still agree.
The image depends only on its own URL, so browsers and proxies may keep it for a day.
"""

from __future__ import annotations

import functools
import io

import segno
from aiohttp import web

from hall.domain.args import TICKET_NO
from hall.hub.http import HUB

# A ticket's QR code is the same image all day long (and the next time the number comes back).
QR_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    # An SVG opened on its own is a document: it may show itself and nothing else.
    "Content-Security-Policy": "default-src 'none'",
}
QR_BORDER = 4  # the quiet zone around the symbol, in modules (the standard's minimum)


def public_base(request: web.Request) -> str:
    """Where phones reach this hub: `public_url`, else the origin this request was sent to."""
    hub = request.app.get(HUB)  # an app serving only the pages has no hub, hence no public_url
    public_url = hub.config.http.public_url if hub is not None else None
    return public_url if public_url is not None else f"{request.scheme}://{request.host}"


def ticket_url(request: web.Request, no: str) -> str:
    """The ticket page's address for a phone."""
    return f"{public_base(request)}/t/{no}"


@functools.lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """An SVG of `url` as a QR code (error correction M, black on white, scalable: no size,
    a viewBox in modules), titled with the URL for screen readers."""
    code = segno.make(url, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        omitsize=True,
        xmldecl=False,
        title=url,
        svgclass="qr",
        lineclass=None,
        nl=False,
    )
    return out.getvalue()


async def ticket_qr(request: web.Request) -> web.Response:
    no = request.match_info["no"]
    if not TICKET_NO.fullmatch(no):
        raise web.HTTPNotFound(text=f"no ticket number {no[:16]!r}", content_type="text/plain")
    return web.Response(
        body=qr_svg(ticket_url(request, no)),
        content_type="image/svg+xml",
        headers=QR_HEADERS,
    )
