"""BX-6 dynamic areas (command A7 00): an area's geometry and play rules, its pages, its voice.

Layout of the data field for one area, from the manual (version 2.0), little-endian, checked
field by field against Onbon's own SDK (GitHub onbonlab/bx.dual.dyn.java:
`BxReqSendDynArea.build`, `BxAreaDynamic.build`, `BxPage.buildPara`)::

    01 A7 00 | reserved u16 | AreaNum u16 (1) | AreaDataLen u32 (the area's parameters and
    page records only, not the page data: `BxReqSendDynArea.build` writes `bd.para.length`)
    AreaId u8 | RunMode u8 | Timeout u16 | RelateAllPro u8 | RelateProNum u16 | serials u16…
    ImmePlay u8 | reserved u32 | AreaType u8 (0x10) | X, Y, Width, Height u16
    AreaFFlag u8 (0: no border fields) | BackGroundFlag u8 | Transparency u8 | AreaEqual u8
    SoundFlag u8 [person, volume, speed, mode u8, replays u32, delay u32 (10 ms), 3,
                  number reading, language, word style u8, length u32, GBK text]
    reserved ×5 | PageNum u16
    per page: PageDataLen u32 (26: the page record after it) | PageStyle u8 (0) |
              DisplayMode u8 | ClearMode u8 | Speed u8 | StayTime u16 (10 ms) | Repeat u8 |
              ValidLen u16 | reserved ×9 | DataOffset u32 | DataLen u32
    then every page's dot-matrix data, in page order (DataOffset counts from here).

A page is dot-matrix data (the manual's appendix 2: the card draws pixels, it has no text
command), so the text of a page is drawn by a `Renderer` the driver supplies. The only text on
the wire is what the card speaks (SoundData), sent as GBK.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Final

from devices.codecs.bx6_frame import ANY_SCREEN, Bx6Error, Header, check_range, encode_frame

GROUP_DYNAMIC: Final = 0xA7
CMD_UPDATE_AREA: Final = 0x00
AREA_TYPE_DYNAMIC: Final = 0x10
PAGE_RECORD_LEN: Final = 26  # a page's parameters after its PageDataLen field
MAX_AREAS: Final = 32
SOUND_GBK: Final = 0x01


class RunMode(IntEnum):
    """How the card plays an area's pages (RunMode)."""

    CYCLE = 0
    HOLD_LAST = 1
    CYCLE_UNTIL_TIMEOUT = 2
    CYCLE_THEN_LOGO = 3
    ONCE = 4


class DisplayMode(IntEnum):
    """How a page comes onto the area (DisplayMode); the manual lists 0x00-0x28."""

    RANDOM = 0x00
    STATIC = 0x01
    TYPE_OUT = 0x02
    MOVE_LEFT = 0x03
    SCROLL_LEFT = 0x04
    MOVE_UP = 0x05
    SCROLL_UP = 0x06
    BLINK = 0x07
    MOVE_RIGHT = 0x25
    SCROLL_RIGHT = 0x26
    MOVE_DOWN = 0x27
    SCROLL_DOWN = 0x28


class NumberReading(IntEnum):
    """How the card's voice reads digits (Soundnumdeal)."""

    AUTO = 0
    DIGITS = 1  # 号码: A001 is read 零零一, as halls call numbers
    VALUE = 2  # 数值: 101 is read 一百零一


@dataclass(frozen=True, slots=True)
class DynamicArea:
    """One dynamic area: where it is, and how it plays with the card's stored programs."""

    area_id: int
    x: int
    y: int
    width: int
    height: int
    run_mode: RunMode = RunMode.CYCLE
    timeout_s: int = 0
    immediate: bool = True  # ImmePlay 1: stop stored programs and show only dynamic areas
    relate_all_programs: bool = False
    related_programs: tuple[int, ...] = ()
    background_flag: int = 0
    transparency: int = 0

    def __post_init__(self) -> None:
        check_range("area id", self.area_id, 0, MAX_AREAS - 1)
        for name in ("x", "y"):
            check_range(name, getattr(self, name), 0, 0xFFFF)
        for name in ("width", "height"):
            check_range(name, getattr(self, name), 1, 0xFFFF)
        check_range("timeout", self.timeout_s, 0, 0xFFFF)
        check_range("background flag", self.background_flag, 0, 3)
        check_range("transparency", self.transparency, 0, 0xFF)
        if len(self.related_programs) > 0xFFFF:
            raise Bx6Error("too many related programs")
        for serial in self.related_programs:
            check_range("program number", serial, 0, 0xFFFF)


@dataclass(frozen=True, slots=True)
class PageStyle:
    """How one page is shown: effect, speed, how long it stays and how often it repeats."""

    display_mode: DisplayMode = DisplayMode.STATIC
    clear_mode: int = 0
    speed: int = 1
    stay_ms: int = 3000
    repeat: int = 1
    valid_len: int | None = None  # for moving effects; None means the area width

    def __post_init__(self) -> None:
        check_range("display mode", int(self.display_mode), 0, 0x28)
        check_range("clear mode", self.clear_mode, 0, 0xFF)
        check_range("speed", self.speed, 0, 0xFF)
        check_range("stay time (ms)", self.stay_ms, 0, 0xFFFF * 10)
        check_range("repeat", self.repeat, 0, 0xFF)
        if self.valid_len is not None:
            check_range("valid length", self.valid_len, 0, 0xFFFF)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its dot-matrix data (as the card's family encodes pixels) and its style."""

    bitmap: bytes
    style: PageStyle = field(default_factory=PageStyle)


@dataclass(frozen=True, slots=True)
class Voice:
    """Have the card speak a text when the area is updated (cards with a voice module)."""

    text: str
    person: int = 0
    volume: int = 5
    speed: int = 5
    repeat: int = 0  # extra plays: 0 plays once, 0xFFFFFFFF forever
    repeat_delay_ms: int = 0
    numbers: NumberReading = NumberReading.DIGITS
    language: int = 0  # 0 auto, 1 read numbers and symbols in Chinese, 2 in English
    word_style: int = 0  # 0 auto, 1 letter by letter, 2 as words

    def __post_init__(self) -> None:
        check_range("voice person", self.person, 0, 5)
        check_range("voice volume", self.volume, 0, 10)
        check_range("voice speed", self.speed, 0, 10)
        check_range("voice repeat", self.repeat, 0, 0xFFFFFFFF)
        check_range("voice repeat delay (ms)", self.repeat_delay_ms, 0, 0xFFFFFFFF * 10)
        check_range("language", self.language, 0, 2)
        check_range("word style", self.word_style, 0, 2)


Renderer = Callable[[str, DynamicArea], bytes]
"""Draws `text` into an area's page data: `(text, area) -> dot-matrix bytes`."""


def encode_gbk(text: str, what: str = "text") -> bytes:
    """`text` as GBK bytes, or a `Bx6Error` naming the first character GBK does not have."""
    try:
        return text.encode("gbk")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise Bx6Error(
            f"{what} {text!r}: character {bad!r} (U+{ord(bad[0]):04X}) at position {exc.start} "
            "is not in GBK; the card cannot use it, replace it or leave it out"
        ) from None


def _sound_fields(voice: Voice | None) -> bytes:
    if voice is None:
        return b"\x00"  # SoundFlag 0: no other sound field is sent
    spoken = encode_gbk(voice.text, "voice text")
    return (
        struct.pack(
            "<BBBBBII",
            1,
            voice.person,
            voice.volume,
            voice.speed,
            SOUND_GBK,
            voice.repeat,
            voice.repeat_delay_ms // 10,
        )
        + bytes([3, int(voice.numbers), voice.language, voice.word_style])
        + struct.pack("<I", len(spoken))
        + spoken
    )


def _area_fields(area: DynamicArea, voice: Voice | None, page_count: int) -> bytes:
    # Field order and sizes as Onbon's `BxAreaDynamic.build` writes them (id, run mode,
    # timeout, relate-all, program count and serials, ImmePlay, 4 reserved, type 0x10, x, y,
    # w, h, border, background, transparency, AreaEqual, SoundFlag, 5 reserved, page count).
    related = b"".join(struct.pack("<H", serial) for serial in area.related_programs)
    return (
        struct.pack(
            "<BBHBH",
            area.area_id,
            int(area.run_mode),
            area.timeout_s,
            int(area.relate_all_programs),
            len(area.related_programs),
        )
        + related
        + bytes([int(area.immediate)])
        + bytes(4)
        + struct.pack("<BHHHH", AREA_TYPE_DYNAMIC, area.x, area.y, area.width, area.height)
        + b"\x00"  # AreaFFlag 0: no border, no other border field is sent
        + bytes([area.background_flag, area.transparency, 0])
        + _sound_fields(voice)
        + bytes(5)
        + struct.pack("<H", page_count)
    )


def _page_fields(page: Page, area: DynamicArea, offset: int) -> bytes:
    # Onbon's `BxPage.buildPara` (18 bytes) followed by the DataOffset and DataLen that
    # `BxAreaDynamic.build` appends; PageDataLen is `para.length + 8` there, i.e. 26.
    style = page.style
    valid_len = area.width if style.valid_len is None else min(style.valid_len, area.width)
    return struct.pack(
        "<IBBBBHBH9xII",
        PAGE_RECORD_LEN,
        0x00,  # PageStyle: text and picture pages are both dot-matrix data
        int(style.display_mode),
        style.clear_mode,
        style.speed,
        style.stay_ms // 10,
        style.repeat,
        valid_len,
        offset,
        len(page.bitmap),
    )


def encode_update_pages(
    area: DynamicArea,
    pages: Sequence[Page],
    *,
    voice: Voice | None = None,
    header: Header = ANY_SCREEN,
) -> bytes:
    """A7 00 for one area: its parameters, then every page's parameters, then the page data.

    AreaDataLen counts the parameters and page records only: the card finds the page data by
    each record's DataOffset and DataLen. Onbon's SDK builds it so
    (onbonlab/bx.dual.dyn.java, `BxReqSendDynArea.build`: `array.add(bd.para.length)`, where
    `BxAreaDynamic.build` returns the parameters and the page data apart), and so does the
    manual's version-1.5 table, where AreaDataLen ends before the pages' data.
    """
    if not pages:
        raise Bx6Error("a dynamic area needs at least one page")
    if len(pages) > 0xFFFF:
        raise Bx6Error("at most 65535 pages in one area")
    params = bytearray(_area_fields(area, voice, len(pages)))
    offset = 0
    for page in pages:
        params += _page_fields(page, area, offset)
        offset += len(page.bitmap)
    page_data = b"".join(page.bitmap for page in pages)
    fields = b"\x00\x00" + struct.pack("<HI", 1, len(params)) + bytes(params) + page_data
    return encode_frame(bytes([0x01, GROUP_DYNAMIC, CMD_UPDATE_AREA]) + fields, header)


def encode_update_area(
    area: DynamicArea,
    text: str,
    *,
    render: Renderer,
    style: PageStyle = PageStyle(),
    speak: bool = False,
    voice: Voice | None = None,
    header: Header = ANY_SCREEN,
) -> bytes:
    """A7 00 showing `text` on `area` as one page drawn by `render`.

    With `speak=True` the card also speaks `text` (as GBK: a character outside GBK is a
    `Bx6Error` that names it), with the settings of `voice`; with `speak=False` a `voice`
    still speaks its own text.
    """
    if speak:
        voice = Voice(text=text) if voice is None else replace(voice, text=text)
    bitmap = bytes(render(text, area))
    if not bitmap:
        raise Bx6Error("the renderer returned no page data")
    return encode_update_pages(area, [Page(bitmap, style)], voice=voice, header=header)
