"""Line-protocol LED strips (`02 addr text 03 xor`, answered 06 or 15) on a serial line.

The strip draws the text itself (GBK). Each new text of the bound device is sent; a NAK or no
answer is logged and the text sent again later; after the port is reopened the current text
is sent again.

Options: `address` (the strip's address, 0), `cells` (cut the text to this many half-width
cells, a Chinese character taking two; 0: send it whole), `show`, `answer_timeout_s` (1).
Window names are not an option: they come from the hall file with each board call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.codecs import lineproto
from devices.drivers.base import Binding, DriverEnv, DriverInfo, PortSpec
from devices.drivers.led import LedDriver, LedText, ShowOptions, refuse_retired
from devices.drivers.options import Options
from displays.ledtext import fit

OPTION_KEYS = ("address", "cells", "show", "answer_timeout_s")
BOARD_SEPARATOR = "  "


@dataclass(frozen=True)
class LineProtoOptions:
    address: int = 0
    cells: int = 0
    show: ShowOptions = field(default_factory=ShowOptions)
    answer_timeout_s: float = 1.0


def parse_options(raw: Mapping[str, Any]) -> LineProtoOptions:
    refuse_retired(raw)
    opts = Options(raw, OPTION_KEYS)
    return LineProtoOptions(
        address=opts.integer("address", 0, 0, 255),
        cells=opts.integer("cells", 0, 0, 1024),
        show=ShowOptions.read(opts),
        answer_timeout_s=opts.number("answer_timeout_s", 1.0, 0.1, 60.0),
    )


class LineProtoDriver(LedDriver):
    what = "the strip"

    def __init__(
        self, spec: PortSpec, binding: Binding, options: LineProtoOptions, env: DriverEnv
    ) -> None:
        led = LedText(
            binding.only(),
            options.show,
            env.topics.board,
            cells=options.cells or 1024,
            join=BOARD_SEPARATOR.join,
        )
        super().__init__(spec, binding, led, options.answer_timeout_s)
        self.options = options

    def decoder(self) -> lineproto.Decoder:
        return lineproto.Decoder()

    def encode(self, text: str) -> bytes:
        if self.options.cells:
            text = fit(text, self.options.cells)[0]
        return lineproto.encode_text(self.options.address, text)

    def verdict(self, reply: object) -> bool | str | None:
        if isinstance(reply, lineproto.Ack):
            return True
        if isinstance(reply, lineproto.Nak):
            return "NAK"
        return None


INFO = DriverInfo(
    name="lineproto",
    parse_options=parse_options,
    create=LineProtoDriver,
    extra_topics=lambda options, topics: options.show.topics(topics),
)
