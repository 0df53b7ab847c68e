"""A fault-injecting TCP proxy on loopback: put it between the hub and Redis, the hub and the
broker, or the relay and the back office, then add latency, cut the link and restore it.

`cut()` closes every open connection and refuses new ones at once (a restarted peer, a reset
link); `blackhole()` keeps accepting but forwards nothing and answers nothing (a cable pulled,
a firewall dropping packets), so the other side only notices through its own timeouts.
`restore()` forwards again (connections held in the black hole are closed then: their bytes
are gone). Every connection and task is closed by `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

CHUNK = 65536


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self.port = 0
        self.latency_s = 0.0  # added to every chunk, each way
        self.mode = "forward"  # "forward", "cut" or "blackhole"
        self.accepted = 0  # connections accepted since the start
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._drop_all()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    # ----- faults ---------------------------------------------------------------------------
    def cut(self) -> None:
        """Close every connection now and refuse new ones until `restore()`."""
        self.mode = "cut"
        self._drop_all()

    def blackhole(self) -> None:
        """Forward nothing and answer nothing (connections stay open) until `restore()`."""
        self.mode = "blackhole"

    def restore(self) -> None:
        if self.mode == "blackhole":
            self._drop_all()  # what they sent into the hole is lost: their peers must see it
        self.mode = "forward"

    # ----- forwarding -------------------------------------------------------------------------
    def _drop_all(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "cut":
            writer.transport.abort()
            return
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            self._writers.discard(writer)
            return
        self._writers.add(up_writer)
        self._spawn(self._pipe(reader, up_writer))
        self._spawn(self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction, each chunk delayed by the latency (order kept, no batching of
        the delay: a chunk leaves `latency_s` after it arrived)."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.mode == "blackhole":
                    continue
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((time.monotonic() + self.latency_s, data))
                if not data or sender.done():
                    break
            await sender
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            with contextlib.suppress(Exception):
                writer.close()
            self._writers.discard(writer)


@contextlib.asynccontextmanager
async def fault_proxy(host: str, port: int) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(host, port).start()
    try:
        yield proxy
    finally:
        await proxy.close()
