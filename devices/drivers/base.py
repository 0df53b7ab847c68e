"""What every serial driver shares: the port's life (open, reopen with backoff), logging of
malformed frames, and the contract device links a driver is bound to.

A driver is a `SerialDriver`: `run()` opens its port, hands it to `session()` until the port
fails (USB unplugged, cable pulled, the converter powered off), closes it and opens it again
after a growing delay (drawn below a ceiling that doubles from 0.5 s to 10 s, the rule of
`hall.contract.backoff`), forever, until it is cancelled. A malformed
frame is logged and skipped; a bug in a session is logged with its traceback and the port is
reopened, so nothing but cancellation ends `run()`.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import serial
import serial_asyncio_fast

from devices.codecs import BadFrame
from devices.codecs.base import hexdump
from displays.bitmap import HexFont
from hall.contract.backoff import Backoff
from hall.contract.wire import Topics

log = logging.getLogger("devices.serial")

Listener = Callable[[str, dict[str, Any]], Awaitable[None] | None]
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
READ_CHUNK = 4096
# Bytes go to the port straight from here, at most this many a write, each write once the
# port has room: pyserial-asyncio-fast 0.16 leaves its write callback registered for good
# after a write the port takes only in part (an endless "Write buffer should not be empty"
# error, a busy loop), and pyserial spins on a full non-blocking port.
WRITE_CHUNK = 1024
WRITE_POLL_S = 0.002
WRITE_STALL_S = 10.0  # a port that takes nothing for this long is lost
STILL_FAILING_LOG_S = 300.0  # a port that stays unopenable is reported again this often


class HallLink(Protocol):
    """What a driver uses of its contract device's MQTT link (`devices.links.GatewayLink`)."""

    device_id: str
    listeners: list[Listener]
    last: dict[str, dict[str, Any]]

    def topic(self, leaf: str) -> str: ...

    async def call(self, op: str, args: dict[str, Any] | None = None, **kw: Any) -> Any: ...

    async def seal_id(self, id_no: str, timeout: float = 5.0) -> str: ...

    def update_status(self, **fields: Any) -> None: ...


@dataclass(frozen=True)
class PortSpec:
    """One `[[serial]]` entry's port: a device path (or a pyserial URL) and its speed."""

    port: str
    baud: int = 9600
    protocol: str = ""

    @property
    def label(self) -> str:
        return f"{self.protocol} on {self.port}" if self.protocol else self.port


@dataclass(frozen=True)
class Binding:
    """The contract devices a driver speaks for: their links, and bus addresses if any."""

    links: Mapping[str, HallLink]
    addresses: Mapping[int, str] = field(default_factory=dict)  # bus address -> device id

    def only(self) -> HallLink:
        """The single device of a driver bound to one device."""
        (link,) = self.links.values()
        return link


@dataclass(frozen=True)
class DriverEnv:
    """What the gateway gives every driver besides its port and devices."""

    topics: Topics
    font: HexFont | None = None  # loaded when a driver of the gateway draws pixels


class PortLost(ConnectionError):
    """The port closed under the driver (end of file)."""


PORT_ERRORS: tuple[type[BaseException], ...] = (OSError, serial.SerialException)


class SerialPort:
    """An open port: read chunks, write bytes. Every failure raises an `OSError` kind."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self) -> bytes:
        try:
            data = await self.reader.read(READ_CHUNK)
        except serial.SerialException as exc:
            raise PortLost(str(exc)) from exc
        if not data:
            raise PortLost("the port was closed")
        return data

    async def write(self, data: bytes, stall_s: float = WRITE_STALL_S) -> None:
        """Write `data` in pieces of at most `WRITE_CHUNK` bytes, each when the port has room;
        `PortLost` when the port closes, fails or takes nothing for `stall_s`."""
        transport = self.writer.transport
        port = transport.get_extra_info("serial")
        if port is None:  # not a serial port: the transport's own writing
            self.writer.write(data)
            await self.writer.drain()
            return
        await self._emptied(stall_s)  # the transport holds nothing of its own
        view = memoryview(data)
        sent = 0
        while sent < len(view):
            if transport.is_closing():
                raise PortLost("the port is closing")
            try:
                sent += os.write(port.fileno(), view[sent : sent + WRITE_CHUNK])
            except BlockingIOError:
                await self._room(port.fileno(), stall_s)
            except (OSError, serial.SerialException) as exc:
                raise PortLost(str(exc)) from exc

    async def _room(self, fd: int, stall_s: float) -> None:
        """Wait until the port takes bytes again."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def writable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_writer(fd, writable)
        try:
            async with asyncio.timeout(stall_s):
                await ready
        except TimeoutError:
            raise PortLost(f"the port took nothing for {stall_s:.0f} s") from None
        finally:
            loop.remove_writer(fd)

    async def _emptied(self, stall_s: float) -> None:
        deadline = time.monotonic() + stall_s
        while self.writer.transport.get_write_buffer_size():
            if self.writer.transport.is_closing():
                raise PortLost("the port is closing")
            if time.monotonic() >= deadline:
                raise PortLost(f"the port took nothing for {stall_s:.0f} s")
            await asyncio.sleep(WRITE_POLL_S)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await self.writer.wait_closed()


class Throttle:
    """Allows one log line per `interval_s`, counting the lines it held back."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self._last = -float("inf")
        self.held = 0

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self._last >= self.interval_s:
            self._last = now
            return True
        self.held += 1
        return False


class SerialDriver(abc.ABC):
    """One port, one protocol. Subclasses write `session()`; `run()` keeps the port open."""

    backoff_initial_s = INITIAL_BACKOFF_S
    backoff_max_s = MAX_BACKOFF_S
    # True for frames whose bytes may hold personal data: log their length, never their bytes.
    private_frames = False

    def __init__(self, spec: PortSpec, binding: Binding) -> None:
        self.spec = spec
        self.binding = binding
        self.log = logging.getLogger(f"devices.{spec.protocol or 'serial'}")
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()  # set while the port is closed after a failure
        self.news = asyncio.Event()  # set on every change worth watching (monitoring, tests)
        self.opened = 0  # how many times the port has been opened
        self.open_failures = 0
        self.bad_frames = 0
        self._bad_log = Throttle()

    @property
    def label(self) -> str:
        return self.spec.label

    async def open(self) -> SerialPort:
        reader, writer = await serial_asyncio_fast.open_serial_connection(
            url=self.spec.port, baudrate=self.spec.baud, exclusive=True
        )
        return SerialPort(reader, writer)

    async def run(self) -> None:
        """Open, serve, reopen with backoff; ends only when cancelled."""
        backoff = Backoff(self.backoff_initial_s, self.backoff_max_s)
        failing_since: float | None = None
        still_failing = Throttle(STILL_FAILING_LOG_S)
        while True:
            try:
                port = await self.open()
            except Exception as exc:  # a port error, or a port pyserial refuses: keep trying
                now = time.monotonic()
                failing_since = now if failing_since is None else failing_since
                self._open_failed(exc, now - failing_since, still_failing)
                await asyncio.sleep(backoff.next())
                continue
            failing_since = None
            still_failing = Throttle(STILL_FAILING_LOG_S)
            self.opened += 1
            self.log.info("%s: open at %d baud", self.label, self.spec.baud)
            self.disconnected.clear()
            self.connected.set()
            self.news.set()
            started = time.monotonic()
            try:
                await self.session(port)
            except* PORT_ERRORS as group:
                self.log.warning("%s: port lost (%s)", self.label, group.exceptions[0])
            except* Exception:
                self.log.exception("%s: driver error; reopening the port", self.label)
            finally:
                self.connected.clear()
                await port.close()
                self.disconnected.set()
                self.news.set()
                self.port_down()
            if time.monotonic() - started > self.backoff_max_s:
                backoff.reset()  # it worked for a while: retry soon
            await asyncio.sleep(backoff.next())

    def _open_failed(self, exc: Exception, failing_s: float, throttle: Throttle) -> None:
        self.open_failures += 1
        self.news.set()
        self.port_down()
        if not throttle.allow():
            return
        if not isinstance(exc, PORT_ERRORS):
            self.log.error("%s: cannot open (%r); check port and baud", self.label, exc)
        elif failing_s == 0:
            self.log.warning("%s: cannot open (%s); retrying", self.label, exc)
        else:
            self.log.warning(
                "%s: still cannot open after %.0f s (%s); check the cable and the port",
                self.label,
                failing_s,
                exc,
            )

    @abc.abstractmethod
    async def session(self, port: SerialPort) -> None:
        """Serve an open port until it fails (raise an OSError kind) or is cancelled."""

    def port_down(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Called when the port closed or could not be opened (a printer reports itself
        offline here)."""

    def bad_frame(self, frame: BadFrame) -> None:
        """Log a malformed frame (throttled) and go on."""
        self.bad_frames += 1
        self.news.set()
        if not self._bad_log.allow():
            return
        held, self._bad_log.held = self._bad_log.held, 0
        more = f" ({held} more since the last report)" if held else ""
        raw = f"{len(frame.raw)} bytes" if self.private_frames else hexdump(frame.raw)
        self.log.warning(
            "%s: skipped a malformed frame: %s [%s]%s", self.label, frame.reason, raw, more
        )


async def wait_event(queue: asyncio.Queue[Any], timeout: float) -> Any | None:
    """The next item of `queue`, or None after `timeout` seconds.

    (`asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` can swallow a cancellation
    that comes as the item arrives, and a cancelled driver would then run on.)
    """
    try:
        async with asyncio.timeout(timeout):
            return await queue.get()
    except TimeoutError:
        return None


@dataclass(frozen=True)
class DriverInfo:
    """A protocol's entry in the registry: how to check its options and build its driver.

    `bus`: the entry binds `devices = {address = id}` (many devices on one line) instead of
    `device = id`. `extra_topics(options, topics)`: topics each bound device subscribes to
    besides its own (an LED board reads the hall's `board`).
    """

    name: str
    parse_options: Callable[[Mapping[str, Any]], Any]
    create: Callable[[PortSpec, Binding, Any, DriverEnv], SerialDriver]
    bus: bool = False
    needs_font: bool = False
    extra_topics: Callable[[Any, Topics], tuple[str, ...]] = lambda options, topics: ()
