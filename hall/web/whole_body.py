"""Write a response body whole, and know whether it was.

A fetch-once link is spent only once its body went out whole. The body is written in pieces,
each once the connection has taken the one before; the socket's send buffer is kept small, so
what was taken is close to what the client has read, and a client that stops reading or closes
mid-body is seen as such (`BodyNotWritten`) instead of the body counting as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from aiohttp import web

__all__ = ["BodyNotWritten", "write_whole"]

PIECE = 16 * 1024
SEND_BUFFER = 16 * 1024
POLL_S = 0.005
STALL_S = 15.0  # a client that takes nothing for this long has stopped
TOTAL_S = 40.0  # the longest a body may take; below the copies' claim (60 s)


class BodyNotWritten(ConnectionError):
    """The body did not go out whole; the message says why."""


async def write_whole(request: web.Request, response: web.StreamResponse, body: bytes) -> None:
    """Prepare `response` and write `body` whole; `BodyNotWritten` when it was not."""
    transport = request.transport
    if transport is None or transport.is_closing():
        raise BodyNotWritten("the client left before the body was written")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    response.content_length = len(body)
    deadline = time.monotonic() + TOTAL_S
    view = memoryview(body)
    try:
        await response.prepare(request)
        for start in range(0, len(view), PIECE):
            await response.write(view[start : start + PIECE])
            await _taken(request, deadline)
        await response.write_eof()
        await _taken(request, deadline)
    except ConnectionError as exc:
        raise BodyNotWritten(f"the client left mid-body ({exc})") from None


async def _taken(request: web.Request, deadline: float) -> None:
    """Wait until the connection has taken all that was written to it."""
    stalled_at = time.monotonic() + STALL_S
    last = -1
    while True:
        transport = request.transport
        if transport is None or transport.is_closing():
            raise BodyNotWritten("the client left mid-body")
        waiting = transport.get_write_buffer_size()
        if waiting == 0:
            return
        now = time.monotonic()
        if waiting != last:
            last, stalled_at = waiting, now + STALL_S
        if now >= min(stalled_at, deadline):
            transport.abort()
            raise BodyNotWritten(f"the client stopped reading with {waiting} bytes to go")
        await asyncio.sleep(POLL_S)
