"""BX-6 LED controller cards (Onbon/仰邦) on a serial line: one dynamic area per card.

Each text the hub gives the bound device (a `led_window`'s state, or a `led_board`'s board)
is drawn in the area as pixels with the gateway's font (`displays.bitmap`) and sent as an
A7 00 update; the card answers ACK, or NAK with a reason (logged, and the text is sent again
later). After the port is reopened the current text is sent again.

Options: `width`, `height` (the area, default 64 × 16, a board 128 × 32), `x`, `y` (its place
on the screen, 0), `area` (its id, 0), `screen` (the card's screen number, 65534 = any),
`device_type` (e.g. "BX-6E1"; "any"), `align` ("center" or "left"), `byte_order` ("little":
how the card reads each 32-bit word of pixels; "big" if text comes out scrambled), `speak`
(false: cards with a voice module read the text aloud when true), `show`, `answer_timeout_s`
(2). Window names are not an option: they come from the hall file with each board call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from devices.codecs import bx6
from devices.codecs.bx6_area import MAX_AREAS
from devices.drivers.base import Binding, DriverEnv, DriverInfo, PortSpec
from devices.drivers.led import LedDriver, LedText, ShowOptions, refuse_retired
from devices.drivers.options import OptionError, Options
from displays.bitmap import NARROW, bx6_renderer

OPTION_KEYS = (
    "width",
    "height",
    "x",
    "y",
    "area",
    "screen",
    "device_type",
    "align",
    "byte_order",
    "speak",
    "show",
    "answer_timeout_s",
)


@dataclass(frozen=True)
class Bx6Options:
    width: int = 64
    height: int = 16
    x: int = 0
    y: int = 0
    area: int = 0
    screen: int = bx6.ADDRESS_ANY
    device_type: int = bx6.DEVICE_TYPE_ANY
    align: Literal["left", "center"] = "center"
    byte_order: Literal["little", "big"] = "little"
    speak: bool = False
    show: ShowOptions = field(default_factory=ShowOptions)
    answer_timeout_s: float = 2.0


def parse_options(raw: Mapping[str, Any]) -> Bx6Options:
    refuse_retired(raw)
    opts = Options(raw, OPTION_KEYS)
    show = ShowOptions.read(opts)
    board = show.show == "board"
    type_name = opts.string("device_type", "any")
    if type_name == "any":
        device_type = bx6.DEVICE_TYPE_ANY
    elif type_name in bx6.DEVICE_TYPES:
        device_type = bx6.DEVICE_TYPES[type_name]
    else:
        known = ", ".join(bx6.DEVICE_TYPES)
        raise OptionError("device_type", f'expected "any" or one of {known}, got "{type_name}"')
    return Bx6Options(
        width=opts.integer("width", 128 if board else 64, 8, 4096),
        height=opts.integer("height", 32 if board else 16, 8, 4096),
        x=opts.integer("x", 0, 0, 0xFFFF),
        y=opts.integer("y", 0, 0, 0xFFFF),
        area=opts.integer("area", 0, 0, MAX_AREAS - 1),
        screen=opts.integer("screen", bx6.ADDRESS_ANY, 0, 0xFFFF),
        device_type=device_type,
        align=cast(Literal["left", "center"], opts.choice("align", "center", ("center", "left"))),
        byte_order=cast(
            Literal["little", "big"], opts.choice("byte_order", "little", ("little", "big"))
        ),
        speak=opts.boolean("speak", False),
        show=show,
        answer_timeout_s=opts.number("answer_timeout_s", 2.0, 0.1, 60.0),
    )


class Bx6Driver(LedDriver):
    what = "the card"

    def __init__(
        self, spec: PortSpec, binding: Binding, options: Bx6Options, env: DriverEnv
    ) -> None:
        if env.font is None:
            raise ValueError("the bx6 driver draws text: the gateway must load a font")
        lines = max(1, options.height // 16)
        led = LedText(
            binding.only(),
            options.show,
            env.topics.board,
            cells=max(1, options.width // NARROW),
            join=lambda found: "\n".join(found[:lines]),
        )
        super().__init__(spec, binding, led, options.answer_timeout_s)
        self.options = options
        self.area = bx6.DynamicArea(
            area_id=options.area,
            x=options.x,
            y=options.y,
            width=options.width,
            height=options.height,
        )
        self.header = bx6.Header(dst=options.screen, device_type=options.device_type)
        self.render = bx6_renderer(env.font, align=options.align, byteorder=options.byte_order)

    def decoder(self) -> bx6.Decoder:
        return bx6.Decoder()

    def encode(self, text: str) -> bytes:
        return bx6.encode_update_area(
            self.area, text, render=self.render, speak=self.options.speak, header=self.header
        )

    def verdict(self, reply: object) -> bool | str | None:
        if isinstance(reply, bx6.Ack):
            return True
        if isinstance(reply, bx6.Nak):
            return str(reply.reason)
        return None


INFO = DriverInfo(
    name="bx6",
    parse_options=parse_options,
    create=Bx6Driver,
    needs_font=True,
    extra_topics=lambda options, topics: options.show.topics(topics),
)
