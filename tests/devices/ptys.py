"""Pseudo-terminals for driver tests: the driver opens the slave's name (or a symlink to it,
which a test can remove and point at a new pty to play an unplugged USB adapter); a fake
device owns the master end, decodes what the driver writes with the real codecs and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable
from pathlib import Path

from tests.support import eventually


class Pty:
    """A pty pair; the slave is raw from the start (no echo before the driver opens it)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.name = os.ttyname(self.slave)
        os.set_blocking(self.master, False)
        self.closed = False

    def close(self) -> None:
        """Close both ends: the driver's open port fails as if the adapter were unplugged."""
        if not self.closed:
            self.closed = True
            for fd in (self.master, self.slave):
                with contextlib.suppress(OSError):
                    os.close(fd)


class FakeSerialDevice:
    """The device on the master end: `handle(data)` gets every chunk the driver writes."""

    def __init__(self, pty: Pty) -> None:
        self.pty = pty
        self.received = bytearray()
        self.changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(pty.master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.pty.master, 65536)
        except BlockingIOError:
            return
        except OSError:
            self._loop.remove_reader(self.pty.master)
            return
        self.received += data
        self.handle(data)
        self.changed.set()

    def handle(self, data: bytes) -> None:
        """Decode and answer; subclasses override."""

    def send(self, data: bytes) -> None:
        os.write(self.pty.master, data)

    def unplug(self) -> None:
        """Stop listening and close the pty pair."""
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self.pty.master)
        self.pty.close()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        await eventually(predicate, "the fake device's state", timeout, news=self.changed)


class SwappablePort:
    """A stable path (like /dev/serial/by-id/...) that points at one pty after another."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pty: Pty | None = None

    def plug(self) -> Pty:
        self.pty = Pty()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.path.symlink_to(self.pty.name)
        return self.pty

    def unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self.pty is not None:
            self.pty.close()
