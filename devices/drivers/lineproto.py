"""Line-protocol LED strips (`02 addr text 03 xor`, answered 06 or 15) on a serial line.

The strip draws the text itself (GBK). Each new text of the bound device is sent; a NAK or no
answer is logged and the text sent again later; after the port is reopened the current text
is sent again.

Options: `address` (the strip's address, 0), `cells` (cut the text to this many half-width
cells, a Chinese character taking two; 0: send it whole), `show`, `window_names`,
`answer_timeout_s` (1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.codecs import lineproto
from devices.drivers.base import (
    Binding,
    DriverEnv,
    DriverInfo,
    PortSpec,
    SerialDriver,
    SerialPort,
    wait_event,
)
from devices.drivers.led import LedText, ShowOptions, send_loop
from devices.drivers.options import Options
from displays.ledtext import fit

OPTION_KEYS = ("address", "cells", "show", "window_names", "answer_timeout_s")
BOARD_SEPARATOR = "  "


@dataclass(frozen=True)
class LineProtoOptions:
    address: int = 0
    cells: int = 0
    show: ShowOptions = field(default_factory=ShowOptions)
    answer_timeout_s: float = 1.0


def parse_options(raw: Mapping[str, Any]) -> LineProtoOptions:
    opts = Options(raw, OPTION_KEYS)
    return LineProtoOptions(
        address=opts.integer("address", 0, 0, 255),
        cells=opts.integer("cells", 0, 0, 1024),
        show=ShowOptions.read(opts),
        answer_timeout_s=opts.number("answer_timeout_s", 1.0, 0.1, 60.0),
    )


class LineProtoDriver(SerialDriver):
    retry_s = 2.0  # a text the device did not take is sent again after this (doubling)

    def __init__(
        self, spec: PortSpec, binding: Binding, options: LineProtoOptions, env: DriverEnv
    ) -> None:
        super().__init__(spec, binding)
        self.options = options
        self.led = LedText(
            binding.only(),
            options.show,
            env.topics.board,
            cells=options.cells or 1024,
            join=BOARD_SEPARATOR.join,
        )
        self.shown: str | None = None
        self._replies: asyncio.Queue[lineproto.Ack | lineproto.Nak] = asyncio.Queue()

    async def session(self, port: SerialPort) -> None:
        self.led.resend()
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(port))
            send = send_loop(
                self.led, lambda text: self._send(port, text), self.label, retry_s=self.retry_s
            )
            group.create_task(send)

    async def _read(self, port: SerialPort) -> None:
        decoder = lineproto.Decoder()
        while True:
            for event in decoder.feed(await port.read()):
                self._replies.put_nowait(event)

    def encode(self, text: str) -> bytes:
        if self.options.cells:
            text = fit(text, self.options.cells)[0]
        return lineproto.encode_text(self.options.address, text)

    async def _send(self, port: SerialPort, text: str) -> bool:
        try:
            frame = self.encode(text)
        except lineproto.LineProtoError as exc:
            self.log.warning("%s: cannot show %r: %s", self.label, text, exc)
            return True
        while not self._replies.empty():
            self._replies.get_nowait()
        await port.write(frame)
        reply = await wait_event(self._replies, self.options.answer_timeout_s)
        if isinstance(reply, lineproto.Ack):
            self.shown = text
            self.news.set()
            self.log.debug("%s: shows %r", self.label, text)
            return True
        if isinstance(reply, lineproto.Nak):
            self.log.warning("%s: the strip refused %r (NAK)", self.label, text)
        else:
            self.log.warning(
                "%s: no answer from the strip in %.1f s", self.label, self.options.answer_timeout_s
            )
        return False


INFO = DriverInfo(
    name="lineproto",
    parse_options=parse_options,
    create=LineProtoDriver,
    extra_topics=lambda options, topics: options.show.topics(topics),
)
