"""Where pages may come from, and the headers every answer carries.

Origins. A page of this hub is one loaded from `[http] public_url` or from the address the
connection itself reached (the IP address and port of our end of the socket, and
``localhost`` when that is a loopback address). Never the Host header: a DNS-rebinding page
sends its own name as Host and Origin alike, so a check against Host would let it in. A hall
reached by a name must set `public_url` (`hall check-config` warns when it is missing).

- WebSockets that act (the dashboard, a device page, the watch) are refused when their
  `Origin` is not one of these (`origin_allowed`).
- Form posts (sign-in, sign-out) are refused when `Sec-Fetch-Site` says another site sent
  them or their `Origin` is not one of these (`form_from_this_hub`, OWASP's "verifying origin
  with standard headers" and Fetch Metadata). A post with neither header comes from no
  browser (`hall watch`, scripts), and only a browser can be tricked into a forged post.

Headers (`add_security_headers`, on every answer): a Content-Security-Policy allowing only
this hub's own scripts, styles, images and sockets (the pages have no inline script or style),
`frame-ancestors 'none'` with `X-Frame-Options: DENY` except on `/screen` (signage players show
it inside their own layouts), `Referrer-Policy: same-origin` (a stricter one would make
browsers send `Origin: null` on the pages' own form posts), `X-Content-Type-Options: nosniff`,
and `Strict-Transport-Security` when browsers reach the hub over TLS.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

from hall.domain.config import HttpConfig
from hall.hub.http import HUB

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FRAMEABLE_PATHS",
    "add_security_headers",
    "allowed_origins",
    "client_address",
    "form_from_this_hub",
    "origin_allowed",
]

_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",  # the pages' own WebSockets and API (CSP 3: ws: and wss: too)
    "media-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in _POLICY.items())
FRAMEABLE_PATHS = frozenset({"/screen"})
HSTS = "max-age=31536000"
_FETCH_SITES_OK = ("same-origin", "none")  # "none": typed in or from a bookmark


def _http(request: web.Request) -> HttpConfig:
    return request.app[HUB].config.http


def _host_part(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def allowed_origins(request: web.Request) -> frozenset[str]:
    """The origins a page of this hub has, for this request's connection."""
    http = _http(request)
    origins: set[str] = set()
    if http.public_origin is not None:
        origins.add(http.public_origin)
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    hosts: set[str] = set()
    port = http.port
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        address, port = str(sockname[0]).split("%", 1)[0], int(sockname[1])
        hosts.add(_host_part(address))
        try:
            if ipaddress.ip_address(address).is_loopback:
                hosts.add("localhost")
        except ValueError:
            pass
    if http.host not in ("0.0.0.0", "::", ""):
        hosts.add(_host_part(http.host.lower()))
    for host in hosts:
        for scheme, default in (("http", 80), ("https", 443)):
            origins.add(f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}")
    return frozenset(origins)


def _normalised(origin: str) -> str | None:
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = _host_part(parts.hostname.lower())
    default = 443 if parts.scheme == "https" else 80
    return (
        f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"
    )


def origin_allowed(request: web.Request) -> bool:
    """Does the request carry an Origin that is a page of this hub?"""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    normalised = _normalised(origin)
    return normalised is not None and normalised in allowed_origins(request)


def form_from_this_hub(request: web.Request) -> bool:
    """May this form post act (CSRF)? Not when a browser says another site sent it."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.lower() not in _FETCH_SITES_OK:
        return False
    if "Origin" in request.headers:
        return origin_allowed(request)
    return True


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or behind a TLS proxy (`[http] behind_tls`) the
    address that proxy put last in X-Forwarded-For."""
    if _http(request).behind_tls:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.remote or "unknown"


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The headers of every answer (an answer that set its own policy keeps it)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.path in FRAMEABLE_PATHS:
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    else:
        headers.setdefault(
            "Content-Security-Policy", f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'"
        )
        headers.setdefault("X-Frame-Options", "DENY")
    if _http(request).secure_cookies:
        headers.setdefault("Strict-Transport-Security", HSTS)


def install(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
