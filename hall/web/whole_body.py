"""Write a response body whole, and know whether it was.

A fetch-once link is spent only once its body went out whole. The connection is made to
hold nothing unsent of its own (write buffer limits of 0: every write waits until the
socket took all of it) and the socket's send buffer is kept small, so what was taken is
close to what the client has read: a client that stops reading or closes mid-body is seen
as such (`BodyNotWritten`) instead of the body counting as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from aiohttp import web

__all__ = ["BodyNotWritten", "write_whole"]

SEND_BUFFER = 16 * 1024
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
    transport.set_write_buffer_limits(high=0)
    response.content_length = len(body)
    try:
        async with asyncio.timeout(TOTAL_S):
            await response.prepare(request)
            await response.write(body)
            await response.write_eof()  # returns once the socket took the last byte
    except ConnectionError as exc:
        raise BodyNotWritten(f"the client left mid-body ({exc})") from None
    except TimeoutError:
        transport.abort()
        raise BodyNotWritten(f"the client did not read the body within {TOTAL_S:.0f} s") from None
