"""The hub's HTTP server: aiohttp's runner behind a small accept-level guard of ours.

aiohttp bounds a header line and a header field (`max_line_size`, `max_field_size`) and
closes a keep-alive connection idle for `keepalive_timeout` (since 3.10 also one that has not
sent its first request's headers by then). It has no cap on open connections and no timeout
of its own for a request's headers. The guard adds both, around each connection aiohttp
serves:

- at most `max_connections` open at once (lowered to the open-file limit less a reserve for
  the broker, Redis, the relay and log files, so those can always be made again); one more is
  answered ``503`` with ``Retry-After`` and closed, and the hub goes on serving the others;
- the first request's headers must be in within `header_timeout_s` of the connect (a
  slowloris is closed); later requests on a kept-alive connection are bounded by
  `idle_timeout_s` (aiohttp's keep-alive timer).

Bodies are bounded by the web side (`hall.web.limits`). At start the soft open-file limit is
raised to the hard one (`raise_file_limit`), and asyncio's "out of system resource" accept
errors are logged at most once a minute (`quiet_accept_errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from hall.domain.config import HttpConfig

__all__ = [
    "FD_RESERVE",
    "ConnectionGuard",
    "HttpServer",
    "connection_cap",
    "quiet_accept_errors",
    "raise_file_limit",
]

log = logging.getLogger("hall.http")

FD_RESERVE = 256  # files kept free for the broker, Redis, the relay, logs and the speaker
FILE_LIMIT_CEILING = 1 << 20  # an unlimited hard limit is raised to this
LISTEN_BACKLOG = 1024  # connections the kernel holds before they are accepted
MAX_LINE_SIZE = 8190  # request line (aiohttp's default, said here)
MAX_FIELD_SIZE = 8190  # one header field
MAX_HEADERS = 64
LINGER_S = 1.0  # the unread rest of a refused body is read and dropped this long at most
ACCEPT_ERROR_EVERY_S = 60.0
_HEADERS_END = b"\r\n\r\n"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 52\r\n\r\n"
    b"the hub has too many open connections: retry shortly"
)


def raise_file_limit() -> int:
    """Raise the soft open-file limit to the hard one; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FILE_LIMIT_CEILING if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as exc:
            log.warning("open files: could not raise the limit %d to %d: %s", soft, wanted, exc)
        else:
            log.info("open files: limit raised from %d to %d (the hard limit)", soft, wanted)
            soft = wanted
    else:
        log.info("open files: limit %d", soft)
    return FILE_LIMIT_CEILING if soft == resource.RLIM_INFINITY else soft


def connection_cap(configured: int, file_limit: int) -> int:
    """HTTP connections allowed at once: the configured cap, within the open-file limit."""
    return max(16, min(configured, file_limit - FD_RESERVE))


class ConnectionGuard:
    """Counts the open HTTP connections, refuses those above the cap and closes those whose
    first headers are late."""

    def __init__(self, cap: int, header_timeout_s: float) -> None:
        self.cap = cap
        self.header_timeout_s = header_timeout_s
        self.open = 0
        self.refused = 0  # connections answered 503 at the cap
        self.timed_out = 0  # connections closed for late headers
        self._last_refusal_log = 0.0

    def protocol_factory(self, serve: Callable[[], asyncio.Protocol]) -> Callable[[], Guarded]:
        """What `loop.create_server` is given: each connection served by `serve()` (aiohttp's
        request handler) inside our guard."""
        return lambda: Guarded(self, serve)

    def note_refusal(self) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._last_refusal_log >= ACCEPT_ERROR_EVERY_S:
            self._last_refusal_log = now
            log.warning(
                "HTTP: %d connections open, the cap: refusing more with 503 (%d so far)",
                self.open,
                self.refused,
            )


class Guarded(asyncio.Protocol):
    """One connection: aiohttp's handler inside, the guard's count and header timer around."""

    def __init__(self, guard: ConnectionGuard, serve: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._serve = serve
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._tail = b""  # the last bytes seen while waiting for the end of the headers

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self._guard
        if guard.open >= guard.cap:
            guard.note_refusal()
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(_BUSY)
            transport.close()
            return
        guard.open += 1
        self._transport = transport
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(guard.header_timeout_s, self._headers_late)
        self._inner = self._serve()
        self._inner.connection_made(transport)

    def _headers_late(self) -> None:
        self._header_timer = None
        self._guard.timed_out += 1
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is not None:
            seen = self._tail + data
            if _HEADERS_END in seen:
                self._header_timer.cancel()
                self._header_timer = None
            else:
                self._tail = seen[-3:]
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        inner, self._inner = self._inner, None
        if inner is not None:
            self._guard.open -= 1
            inner.connection_lost(exc)
        self._transport = None


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Log asyncio's failed accepts (out of files, out of memory) at most once a minute,
    with how many were left out; other loop errors go on as before. Returns the undo."""
    previous = loop.get_exception_handler()
    state = {"last": 0.0, "left_out": 0}

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            now = time.monotonic()
            if now - state["last"] < ACCEPT_ERROR_EVERY_S:
                state["left_out"] += 1
                return
            state["last"] = now
            log.error(
                "HTTP: accepting failed: %s (%d more like it left out of the log)",
                context.get("exception"),
                state["left_out"],
            )
            state["left_out"] = 0
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return lambda: loop.set_exception_handler(previous)


class HttpServer:
    """The web application served on `[http] listen` with the limits of `[http]`."""

    def __init__(self, app: web.Application, http: HttpConfig, file_limit: int) -> None:
        self.http = http
        self.guard = ConnectionGuard(
            connection_cap(http.max_connections, file_limit), http.header_timeout_s
        )
        self._runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=http.idle_timeout_s,
            max_line_size=MAX_LINE_SIZE,
            max_field_size=MAX_FIELD_SIZE,
            max_headers=MAX_HEADERS,
            lingering_time=LINGER_S,
        )
        self._server: asyncio.Server | None = None
        self._undo_quiet: Callable[[], None] | None = None

    async def start(self) -> None:
        """Listen (OSError when the address cannot be bound)."""
        loop = asyncio.get_running_loop()
        await self._runner.setup()
        serve = self._runner.server
        assert serve is not None  # set by setup()
        self._undo_quiet = quiet_accept_errors(loop)
        self._server = await loop.create_server(
            self.guard.protocol_factory(serve),
            self.http.host,
            self.http.port,
            backlog=LISTEN_BACKLOG,
        )
        log.info(
            "HTTP: at most %d connections, headers within %g s, idle closed after %g s",
            self.guard.cap,
            self.http.header_timeout_s,
            self.http.idle_timeout_s,
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._runner.cleanup()
        if self._undo_quiet is not None:
            self._undo_quiet()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
