"""Bounds on what one request, one client and one address may ask of the hub.

- Every request body must be in within `[http] body_timeout_s` (else ``408`` and the
  connection is closed) and is at most `APP_MAX_BODY_BYTES` (aiohttp's ``413``); an `/api/`
  body at most `API_MAX_BODY_BYTES` (``413`` with the API's JSON error).
- `/api/*` is rate-limited per client address and per API client (bearer token): a token
  bucket of `[http] api_rate_per_s` refilled per second holding `[http] api_burst`. Beyond
  it: ``429`` with ``Retry-After`` (whole seconds) and the JSON error ``rate_limited``.

The buckets live in this process (a restart refills them) and are kept for at most
`MAX_TRACKED` addresses and clients, the longest idle forgotten first.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web

from hall.contract.wire import dumps_text
from hall.hub.http import HUB
from hall.web.security import client_address

__all__ = [
    "API_LIMITS",
    "API_MAX_BODY_BYTES",
    "APP_MAX_BODY_BYTES",
    "ApiLimits",
    "TokenBuckets",
    "install",
]

APP_MAX_BODY_BYTES = 64 * 1024
API_MAX_BODY_BYTES = 16 * 1024
MAX_TRACKED = 10_000
# Routes that read and bound their own bodies (a captured page, a copy's raster:
# hall/web/documents.py).
OWN_BODY_ROUTES = ("pad_document_upload", "pad_document_retake", "pad_document_print")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TokenBuckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` held."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def take(self, key: str) -> float:
        """Take a token: 0 when there was one, else the seconds until there is."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.Response(
        text=dumps_text({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json",
        headers=headers,
    )


class ApiLimits:
    def __init__(self, rate: float, burst: int, body_timeout_s: float) -> None:
        self.buckets = TokenBuckets(rate, burst)
        self.body_timeout_s = body_timeout_s

    def wait_s(self, request: web.Request) -> float:
        """How long this `/api/` request must wait (0: it may go on now)."""
        wait = self.buckets.take(f"address {client_address(request)}")
        client = bearer_client(request)
        if client is not None:
            wait = max(wait, self.buckets.take(f"client {client}"))
        return wait

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        api = request.path.startswith("/api/")
        if api:
            wait = self.wait_s(request)
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                return _error(
                    429,
                    "rate_limited",
                    f"too many requests: retry after {retry} s",
                    **{"Retry-After": retry},
                )
            if (request.content_length or 0) > API_MAX_BODY_BYTES:
                return _too_large()
        own_body = request.match_info.route.name in OWN_BODY_ROUTES
        if request.method in _BODY_METHODS and request.body_exists and not own_body:
            try:
                body = await asyncio.wait_for(request.read(), self.body_timeout_s)
            except TimeoutError:
                response = _error(
                    408, "timeout", f"the body did not arrive within {self.body_timeout_s:g} s"
                )
                response.force_close()
                return response
            except web.HTTPRequestEntityTooLarge:
                if api:
                    return _too_large()
                raise
            if api and len(body) > API_MAX_BODY_BYTES:
                return _too_large()
        return await handler(request)


def _too_large() -> web.Response:
    response = _error(413, "too_large", f"the body must be at most {API_MAX_BODY_BYTES} bytes")
    response.force_close()  # the rest of the body is not read
    return response


def bearer_client(request: web.Request) -> str | None:
    """The API client whose token the request's `Authorization: Bearer` carries, if any."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    token = auth[len("Bearer ") :].strip().encode()
    for client in request.app[HUB].config.api_clients:
        if client.token and hmac.compare_digest(client.token.encode(), token):
            return client.id
    return None


API_LIMITS: web.AppKey[ApiLimits] = web.AppKey("api_limits", ApiLimits)


def install(app: web.Application) -> None:
    """Bound the requests of `app` (which serves a hub) by its `[http]` settings."""
    http = app[HUB].config.http
    limits = ApiLimits(http.api_rate_per_s, http.api_burst, http.body_timeout_s)
    app[API_LIMITS] = limits
    app.middlewares.append(limits.middleware)
