"""One live page's outgoing messages, and the task that sends them (see hall/live.py).

A mailbox holds one slot per kind of message sent as soon as possible (the newest wins), one
rate-limited slot (the dashboard's snapshot, the screen's board: at most once per interval,
the newest wins), a bounded batch that goes out right after the rate-limited message (the
dashboard's events, the screen's announcements) and a bounded queue for answers, in order.
Putting a message in never waits, so whoever produces messages is never held up by a client;
a client that does not keep up misses only intermediate snapshots. One that accepts nothing
for SEND_TIMEOUT_S is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

from aiohttp import web

log = logging.getLogger("hall.web.live")

MIN_INTERVAL_S = 0.25  # at most 4 rate-limited messages a second
EVENTS_KEPT = 50
SEND_TIMEOUT_S = 30.0


class Mailbox:
    """One client's messages waiting to be sent, and the task that sends them."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        *,
        interval: float = MIN_INTERVAL_S,
        batch_max: int = EVENTS_KEPT,
        queue_max: int = 200,
        name: str = "",
        session: str | None = None,
    ) -> None:
        self.ws = ws
        self.name = name
        self.session = session  # the sign-in session's token, for pages that need one
        self._finish: tuple[int, str] | None = None
        self.interval = interval
        self._slots: dict[str, str] = {}  # sent as soon as possible, newest wins
        self._limited: str | None = None  # sent at most once per `interval`, newest wins
        self._batch: deque[str] = deque(maxlen=batch_max)  # goes out after `_limited`
        self._queue: deque[str] = deque(maxlen=queue_max)  # in order, as soon as possible
        self._wake = asyncio.Event()
        self._next_at = 0.0
        self.sent_limited = 0
        self.sending_since: float | None = None  # monotonic start of a send still going on
        self.replaced = 0  # rate-limited messages replaced before they could be sent
        self.dropped = 0  # batch or queue entries dropped because the client was behind

    def set_slot(self, key: str, text: str) -> None:
        self._slots[key] = text
        self._wake.set()

    def set_limited(self, text: str) -> None:
        if self._limited is not None:
            self.replaced += 1
        self._limited = text
        self._wake.set()

    def add_batch(self, text: str) -> None:
        if len(self._batch) == self._batch.maxlen:
            self.dropped += 1
        self._batch.append(text)
        self._wake.set()

    def push(self, text: str) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(text)
        self._wake.set()

    def finish(self, code: int, reason: str) -> None:
        """Close the connection once what is queued has been sent."""
        self._finish = (code, reason)
        self._wake.set()

    async def _send(self, text: str) -> None:
        self.sending_since = time.monotonic()
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.ws.send_str(text)
        finally:
            self.sending_since = None

    async def run(self) -> None:
        """Send until the connection ends; a client that stalls too long is disconnected."""
        try:
            while not self.ws.closed:
                self._wake.clear()
                while self._slots:
                    key = next(iter(self._slots))
                    await self._send(self._slots.pop(key))
                while self._queue:
                    await self._send(self._queue.popleft())
                if self._finish is not None:
                    code, reason = self._finish
                    await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), 5)
                    return
                timeout: float | None = None
                if self._limited is not None or self._batch:
                    timeout = self._next_at - time.monotonic()
                    if timeout <= 0:
                        text, self._limited = self._limited, None
                        if text is not None:
                            await self._send(text)
                            self.sent_limited += 1
                        while self._batch:
                            await self._send(self._batch.popleft())
                        self._next_at = time.monotonic() + self.interval
                        continue
                if self._wake.is_set():
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            log.warning("%s accepted nothing for %.0f s: disconnected", self.name, SEND_TIMEOUT_S)
            await self._abort()
        except (ConnectionError, RuntimeError) as exc:  # closing, or closed under us
            log.debug("%s: sending stopped: %s", self.name, exc)
            await self._abort()

    async def _abort(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(code=1011, message=b"too slow"), 2)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
