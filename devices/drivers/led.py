"""What the LED drivers share: the text a strip or board shows, from the hub's messages, and
the loop that sends it (newest text only, again after a reconnect, retried until answered).

The hub makes every text; a driver only fits it to its sign. A `led_window` device shows the
`text` of its retained `state` (``请A001号``, ``暂停服务 午休``) as given. A `led_board` device
(option ``show = "board"``) shows the `text` line of each call of the hall's retained `board`
(``A001 → 综合窗口``, the window named as in the hall file), newest call first, as many as the
board has room for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError
from devices.drivers.base import HallLink, PortSpec, SerialDriver, SerialPort, wait_event
from devices.drivers.options import OptionError, Options
from displays.board import board_lines
from displays.ledtext import TEXT_WELCOME
from hall.contract.backoff import Backoff
from hall.contract.wire import Topics

log = logging.getLogger("devices.led")
SHOW_CHOICES: Final = ("window", "board")
RETRY_MAX_S: Final = 30.0
# Options an LED driver no longer reads, and what to do instead: a gateway file that still
# has one is refused with this message (file, line and key), so nobody wonders why a name
# set there is not the one shown.
RETIRED_OPTIONS: Final = {
    "window_names": (
        "no longer read: window names come from the hall file ([[windows]] name) with each "
        "board call; remove this option and set the names there"
    ),
}


def refuse_retired(raw: Mapping[str, Any]) -> None:
    """Raise `OptionError` for an option of `RETIRED_OPTIONS` found in `raw`."""
    for key, problem in RETIRED_OPTIONS.items():
        if key in raw:
            raise OptionError(key, problem)


@dataclass(frozen=True)
class ShowOptions:
    """`show`: "window" (a led_window's state) or "board" (the hall's board)."""

    show: str = "window"

    @classmethod
    def read(cls, opts: Options) -> ShowOptions:
        return cls(opts.choice("show", "window", SHOW_CHOICES))

    def topics(self, topics: Topics) -> tuple[str, ...]:
        return (topics.board,) if self.show == "board" else ()


def window_text(state: Mapping[str, Any]) -> str | None:
    """The strip text of a window device's `state`: its `text` as the hub gave it."""
    text = state.get("text")
    return text if isinstance(text, str) else None


class LedText:
    """The newest text for one LED device; `changed` is set whenever it must be (re)sent."""

    def __init__(
        self,
        link: HallLink,
        show: ShowOptions,
        board_topic: str,
        *,
        cells: int,
        join: Callable[[list[str]], str],
    ) -> None:
        self.link = link
        self.show = show
        self.board_topic = board_topic
        self.cells = cells
        self.join = join
        self.text: str | None = None
        self.changed = asyncio.Event()
        link.listeners.append(self._on_message)

    def _on_message(self, topic: str, data: dict[str, Any]) -> None:
        if self.show.show == "window" and topic == self.link.topic("state"):
            text = window_text(data)
        elif self.show.show == "board" and topic == self.board_topic:
            text = self.board_text(data)
        else:
            return
        if text is not None and text != self.text:
            self.text = text
            self.changed.set()

    def board_text(self, board: dict[str, Any]) -> str | None:
        try:
            lines = board_lines(list(board["calls"]), self.cells)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: ignored a board message (%s)", self.link.device_id, exc)
            return None
        return self.join(lines) if lines else TEXT_WELCOME

    def resend(self) -> None:
        """Send the current text again (after the port was reopened)."""
        if self.text is not None:
            self.changed.set()


async def send_loop(
    led: LedText, send: Callable[[str], Awaitable[bool]], label: str, *, retry_s: float = 2.0
) -> None:
    """Send each new text; a text the device did not take is sent again with backoff.

    `send(text)` writes it and returns whether the device acknowledged it.
    """
    backoff = Backoff(retry_s, RETRY_MAX_S)
    while True:
        await led.changed.wait()
        led.changed.clear()
        text = led.text
        if text is None:
            continue
        if await send(text):
            backoff.reset()
            continue
        # Not taken: try again later, unless a newer text comes first.
        try:
            async with asyncio.timeout(backoff.next()):
                await led.changed.wait()
        except TimeoutError:
            log.info("%s: sending the text again", label)
            led.changed.set()


class LedDriver(SerialDriver):
    """A sign that shows one text and answers each frame with an acknowledgement or a
    refusal. A protocol gives `decoder()`, `encode(text)` and `verdict(reply)`."""

    retry_s = 2.0  # a text the device did not take is sent again within this (then doubling)
    what = "the sign"  # how the log names the device

    def __init__(self, spec: PortSpec, binding: Any, led: LedText, answer_timeout_s: float) -> None:
        super().__init__(spec, binding)
        self.led = led
        self.answer_timeout_s = answer_timeout_s
        self.shown: str | None = None  # the last text the device acknowledged
        self._replies: asyncio.Queue[Any] = asyncio.Queue()

    def decoder(self) -> Any:
        raise NotImplementedError

    def encode(self, text: str) -> bytes:
        raise NotImplementedError

    def verdict(self, reply: Any) -> bool | str | None:
        """True: taken; a text: refused, and why; None: not an answer to the frame."""
        raise NotImplementedError

    async def session(self, port: SerialPort) -> None:
        self.led.resend()
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(port))
            send = send_loop(
                self.led, lambda text: self._send(port, text), self.label, retry_s=self.retry_s
            )
            group.create_task(send)

    async def _read(self, port: SerialPort) -> None:
        decoder = self.decoder()
        while True:
            for event in decoder.feed(await port.read()):
                if isinstance(event, BadFrame):
                    self.bad_frame(event)
                else:
                    self._replies.put_nowait(event)

    async def _send(self, port: SerialPort, text: str) -> bool:
        try:
            frame = self.encode(text)
        except CodecError as exc:
            self.log.warning("%s: cannot show %r: %s", self.label, text, exc)
            return True  # sending it again would not help
        while not self._replies.empty():
            self._replies.get_nowait()  # answers to earlier frames
        await port.write(frame)
        reply = await wait_event(self._replies, self.answer_timeout_s)
        if reply is None:
            self.log.warning(
                "%s: no answer from %s in %.1f s", self.label, self.what, self.answer_timeout_s
            )
            return False
        verdict = self.verdict(reply)
        if verdict is True:
            self.shown = text
            self.news.set()
            self.log.debug("%s: shows %r", self.label, text)
            return True
        if isinstance(verdict, str):
            self.log.warning("%s: %s refused %r: %s", self.label, self.what, text, verdict)
        else:
            self.log.info("%s: unexpected answer %s", self.label, reply)
        return False
