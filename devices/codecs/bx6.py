"""Onbon/仰邦 BX-6 (sixth generation) controller cards: the dynamic-area protocol.

Source: Onbon's "6th动态区域用户手册" (protocol version 0xF0). On the wire::

    A5 ×8 | escaped( header(16) | data(N) | CRC16(2) ) | 5A

- header, little-endian: DstAddr u16 (screen number, 0xFFFE any), SrcAddr u16 (0x8000 for the
  PC), ProtocolVer u8 (0xF0), reserved u8, DeviceType u16 (0xFFFE any, 0x0166 BX-6Q1, …),
  reserved u32, DataLen u32 (the data only).
- CRC16 is CRC-16/ARC (polynomial 0x8005 reflected, initial 0) over the unescaped header and
  data, sent low byte first.
- escapes, applied to everything between the markers: A5→A6 02, A6→A6 01, 5A→5B 02,
  5B→5B 01. A receiver takes any run of A5 as the start.
- request data: RtnReq u8 (1), CmdGroup u8, Cmd u8, then the command's fields; response data:
  reserved u8, CmdGroup u8, Cmd u8, Status u16 (bit 0 = NACK), Error u16, DataLen u16, data.
  ACK is group A0 cmd 00, NACK is group A0 cmd 01 with an error number (`ERROR_NAMES`).

A dynamic area carries pages of dot-matrix data (the manual's appendix 2: the card draws
pixels, it has no text command), so the text of a page is drawn by a `Renderer` the driver
supplies. The only text on the wire is what the card speaks (SoundData), sent as GBK.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Final

from devices.codecs.base import BadFrame, hexdump
from devices.codecs.errors import CodecError

__all__ = [
    "ADDRESS_ANY",
    "DEVICE_TYPES",
    "DEVICE_TYPE_ANY",
    "ERROR_NAMES",
    "SOURCE_PC",
    "Ack",
    "BadFrame",
    "Bx6Error",
    "Decoder",
    "DisplayMode",
    "DynamicArea",
    "Frame",
    "FrameDecoder",
    "Header",
    "Nak",
    "NumberReading",
    "Page",
    "PageStyle",
    "Renderer",
    "Reply",
    "Response",
    "RunMode",
    "Voice",
    "crc16",
    "encode_ack",
    "encode_brightness",
    "encode_brightness_schedule",
    "encode_delete_areas",
    "encode_frame",
    "encode_gbk",
    "encode_nak",
    "encode_ping",
    "encode_update_area",
    "encode_update_pages",
    "escape",
    "parse_frame",
    "parse_response",
    "unescape",
]


class Bx6Error(CodecError):
    """A BX-6 command that cannot be built, or bytes that are not a BX-6 frame."""


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise Bx6Error(f"{name} must be an integer from {low} to {high}, not {value!r}")


START: Final = 0xA5
END: Final = 0x5A
START_RUN: Final = bytes([START]) * 8
ADDRESS_ANY: Final = 0xFFFE
SOURCE_PC: Final = 0x8000
PROTOCOL_VERSION: Final = 0xF0
DEVICE_TYPE_ANY: Final = 0xFFFE
DEVICE_TYPES: Final[dict[str, int]] = {
    "BX-6QL": 0x0066,
    "BX-6Q1": 0x0166,
    "BX-6Q2": 0x0266,
    "BX-6Q3": 0x0366,
    "BX-6Q2L": 0x0466,
    "BX-6Q3L": 0x0566,
    "BX-6E1": 0x0174,
    "BX-6E2": 0x0274,
    "BX-6E3": 0x0374,
    "BX-6E1X": 0x0474,
    "BX-6E2X": 0x0574,
}
ERROR_NAMES: Final[dict[int, str]] = {
    0: "ERR_NO: no error",
    1: "ERR_OUTOFGROUP: unknown command group",
    2: "ERR_NOCMD: unknown command",
    3: "ERR_BUSY: controller busy",
    4: "ERR_MEMORYVOLUME: out of memory",
    5: "ERR_CHECKSUM: the card saw a CRC error",
    6: "ERR_FILENOTEXIST: file does not exist",
    7: "ERR_FLASH: flash access error",
    8: "ERR_FILE_DOWNLOAD: file download error",
    9: "ERR_FILE_NAME: bad file name",
    10: "ERR_FILE_TYPE: bad file type",
    11: "ERR_FILE_CRC16: file checksum error",
    12: "ERR_FONT_NOT_EXIST: font file missing",
    13: "ERR_FIRMWARE_TYPE: firmware does not match the controller",
    14: "ERR_DATE_TIME_FORMAT: bad date/time format",
    15: "ERR_FILE_EXIST: file already exists",
    16: "ERR_FILE_BLOCK_NUM: bad file block number",
    17: "ERR_CONTROLLER_TYPE: controller type mismatch (check the device type)",
    18: "ERR_SCREEN_PARA: parameter out of range (check the area geometry)",
    19: "ERR_CONTROLLER_ID: wrong controller id (check the screen address)",
}

GROUP_ACK: Final = 0xA0
GROUP_SYSTEM: Final = 0xA2
GROUP_DYNAMIC: Final = 0xA7
CMD_PING: Final = 0x00
CMD_BRIGHTNESS: Final = 0x07
CMD_UPDATE_AREA: Final = 0x00
CMD_DELETE_AREAS: Final = 0x01
DELETE_ALL: Final = 0xFF
AREA_TYPE_DYNAMIC: Final = 0x10
PAGE_RECORD_LEN: Final = 26  # a page's parameters after its PageDataLen field
MAX_AREAS: Final = 32

_HEADER = struct.Struct("<HHBBH4xI")
HEADER_LEN: Final = _HEADER.size  # 16
_RESPONSE = struct.Struct("<BBBHHH")  # reserved, group, cmd, status, error, data length


# ----------------------------------------------------------------------------- framing


def crc16(data: bytes) -> int:
    """CRC-16/ARC as in the manual's appendix 1 (poly 0x8005 reflected, init 0, no xor-out)."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE: Final = _crc_table()


def escape(body: bytes) -> bytes:
    """Escape the bytes between the markers (A6 and 5B first, so that no escape is re-escaped)."""
    return (
        body.replace(b"\xa6", b"\xa6\x01")
        .replace(b"\x5b", b"\x5b\x01")
        .replace(b"\xa5", b"\xa6\x02")
        .replace(b"\x5a", b"\x5b\x02")
    )


_UNESCAPE: Final = {(0xA6, 0x01): 0xA6, (0xA6, 0x02): 0xA5, (0x5B, 0x01): 0x5B, (0x5B, 0x02): 0x5A}


def unescape(body: bytes) -> bytes:
    """Undo `escape`; a marker or an unknown escape pair inside the body is a `Bx6Error`."""
    if START in body or END in body:
        raise Bx6Error("a start or end marker inside a frame body")
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        b = body[i]
        if b in (0xA6, 0x5B):
            pair = (b, body[i + 1]) if i + 1 < n else (b, -1)
            value = _UNESCAPE.get(pair)
            if value is None:
                raise Bx6Error(f"bad escape sequence at byte {i}: {hexdump(body[i : i + 2])}")
            out.append(value)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Header:
    """The addressing part of the 16-byte header; `encode_frame` fills in the data length."""

    dst: int = ADDRESS_ANY
    src: int = SOURCE_PC
    device_type: int = DEVICE_TYPE_ANY
    protocol: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        for name in ("dst", "src", "device_type"):
            _check_range(name, getattr(self, name), 0, 0xFFFF)
        _check_range("protocol", self.protocol, 0, 0xFF)


@dataclass(frozen=True, slots=True)
class Frame:
    """One unescaped, CRC-checked frame: who sent it to whom, and its data field."""

    header: Header
    data: bytes


def encode_frame(data: bytes, header: Header = Header()) -> bytes:
    """Wrap a data field: header, CRC, escaping and the start and end markers."""
    if len(data) > 0xFFFFFFFF:
        raise Bx6Error("data field longer than 4 GiB")
    head = _HEADER.pack(header.dst, header.src, header.protocol, 0, header.device_type, len(data))
    body = head + data
    body += crc16(body).to_bytes(2, "little")
    return START_RUN + escape(body) + bytes([END])


def _parse_body(escaped: bytes) -> Frame:
    body = unescape(escaped)
    if len(body) < HEADER_LEN + 2:
        raise Bx6Error(f"frame of {len(body)} bytes is shorter than header and CRC")
    dst, src, protocol, _, device_type, data_len = _HEADER.unpack_from(body)
    if HEADER_LEN + data_len + 2 != len(body):
        raise Bx6Error(
            f"header says {data_len} data bytes, the frame holds {len(body) - HEADER_LEN - 2}"
        )
    got = int.from_bytes(body[-2:], "little")
    want = crc16(body[:-2])
    if got != want:
        raise Bx6Error(f"CRC mismatch: frame has {got:04X}, data gives {want:04X}")
    header = Header(dst=dst, src=src, device_type=device_type, protocol=protocol)
    return Frame(header=header, data=body[HEADER_LEN:-2])


def parse_frame(raw: bytes) -> Frame:
    """Parse one complete frame (one or more A5, the escaped body, 5A); `Bx6Error` if bad."""
    i = 0
    while i < len(raw) and raw[i] == START:
        i += 1
    if i == 0:
        raise Bx6Error("a frame starts with A5")
    if not raw.endswith(bytes([END])) or len(raw) == i:
        raise Bx6Error("a frame ends with 5A")
    return _parse_body(raw[i:-1])


class FrameDecoder:
    """Incremental framing: bytes in, `Frame` or `BadFrame` out, in either direction.

    Bytes before a start marker are skipped (counted in `skipped`); an A5 inside a body cuts
    the unfinished frame short (reported as a `BadFrame`) and starts the next one.
    """

    def __init__(self, max_body: int = 1 << 20) -> None:
        self._max_body = max_body
        self._state = 0  # 0 idle, 1 in the start run, 2 in the body, 3 discarding an overlong body
        self._body = bytearray()
        self._starts = 0
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        events: list[Frame | BadFrame] = []
        for b in data:
            if self._state == 0:
                if b == START:
                    self._state, self._starts = 1, 1
                else:
                    self._skipped += 1
            elif b == START:
                if self._state >= 2:
                    events.append(self._bad("cut short by the next start marker"))
                    self._state, self._starts, self._body = 1, 0, bytearray()
                self._starts += 1
            elif self._state == 3:
                if b == END:
                    self._state, self._body = 0, bytearray()
            elif b == END:
                events.append(self._finish())
            else:
                self._state = 2
                self._body.append(b)
                if len(self._body) > self._max_body:
                    events.append(self._bad(f"longer than {self._max_body} bytes"))
                    self._state, self._body = 3, bytearray()
        return events

    def _raw(self) -> bytes:
        return bytes([START]) * self._starts + bytes(self._body)

    def _bad(self, reason: str) -> BadFrame:
        return BadFrame(reason, self._raw())

    def _finish(self) -> Frame | BadFrame:
        raw = self._raw() + bytes([END])
        body = bytes(self._body)
        self._state, self._body = 0, bytearray()
        try:
            return _parse_body(body)
        except Bx6Error as exc:
            return BadFrame(str(exc), raw)


# ----------------------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class Ack:
    """The card carried out the request (group A0, cmd 00)."""

    src: int
    status: int = 0
    error: int = 0


@dataclass(frozen=True, slots=True)
class Nak:
    """The card refused the request (group A0, cmd 01); `reason` names the error number."""

    src: int
    error: int
    status: int = 1

    @property
    def reason(self) -> str:
        return ERROR_NAMES.get(self.error, f"unknown error {self.error}")


@dataclass(frozen=True, slots=True)
class Reply:
    """Any other response, e.g. the brightness query's (group A2, cmd 99)."""

    src: int
    group: int
    cmd: int
    status: int
    error: int
    payload: bytes


Response = Ack | Nak | Reply


def parse_response(frame: Frame) -> Response:
    """The response carried by `frame`'s data field; `Bx6Error` if it is not one."""
    data = frame.data
    if len(data) < _RESPONSE.size:
        raise Bx6Error(f"response of {len(data)} bytes is shorter than {_RESPONSE.size}")
    _, group, cmd, status, error, length = _RESPONSE.unpack_from(data)
    payload = data[_RESPONSE.size :]
    if length != len(payload):
        raise Bx6Error(f"response says {length} data bytes, holds {len(payload)}")
    src = frame.header.src
    if group == GROUP_ACK and cmd == 0x00:
        return Ack(src=src, status=status, error=error)
    if group == GROUP_ACK and cmd == 0x01:
        return Nak(src=src, error=error, status=status)
    return Reply(src=src, group=group, cmd=cmd, status=status, error=error, payload=payload)


class Decoder:
    """Decodes what a card sends back: `Ack`, `Nak`, `Reply`, or `BadFrame`."""

    def __init__(self, max_body: int = 1 << 16) -> None:
        self._frames = FrameDecoder(max_body)

    @property
    def skipped(self) -> int:
        return self._frames.skipped

    def feed(self, data: bytes) -> list[Response | BadFrame]:
        events: list[Response | BadFrame] = []
        for item in self._frames.feed(data):
            if isinstance(item, BadFrame):
                events.append(item)
                continue
            try:
                events.append(parse_response(item))
            except Bx6Error as exc:
                events.append(BadFrame(str(exc), encode_frame(item.data, item.header)))
        return events


def _encode_response(group: int, cmd: int, status: int, error: int, src: int) -> bytes:
    data = _RESPONSE.pack(0, group, cmd, status, error, 0)
    return encode_frame(data, Header(dst=SOURCE_PC, src=src))


def encode_ack(src: int = ADDRESS_ANY) -> bytes:
    """What a card answers to a request it carried out (for simulators and tests)."""
    return _encode_response(GROUP_ACK, 0x00, 0, 0, src)


def encode_nak(error: int, src: int = ADDRESS_ANY) -> bytes:
    """What a card answers to a request it refused (for simulators and tests)."""
    _check_range("error", error, 0, 0xFFFF)
    return _encode_response(GROUP_ACK, 0x01, 1, error, src)


# ----------------------------------------------------------------------------- commands


def _request(group: int, cmd: int, fields: bytes) -> bytes:
    return bytes([0x01, group, cmd]) + fields


def encode_ping(header: Header = Header()) -> bytes:
    """A2 00: is a card there? Any answer means yes (the manual's example, byte for byte)."""
    return encode_frame(_request(GROUP_SYSTEM, CMD_PING, b"\x00\x00"), header)


def encode_brightness(level: int, header: Header = Header()) -> bytes:
    """A2 07 in manual mode: one brightness `level` from 0 (dimmest) to 15 (brightest)."""
    _check_range("brightness level", level, 0, 15)
    return _brightness(0x00, [level] * 48, header)


def encode_brightness_schedule(half_hours: Sequence[int], header: Header = Header()) -> bytes:
    """A2 07 in timed mode: 48 levels (0-15), one per half hour from 00:00."""
    if len(half_hours) != 48:
        raise Bx6Error(f"a brightness schedule has 48 half-hour levels, not {len(half_hours)}")
    for level in half_hours:
        _check_range("brightness level", level, 0, 15)
    return _brightness(0x01, list(half_hours), header)


def _brightness(mode: int, levels: list[int], header: Header) -> bytes:
    fields = (1 + len(levels)).to_bytes(2, "little") + bytes([mode, *levels])
    return encode_frame(_request(GROUP_SYSTEM, CMD_BRIGHTNESS, fields), header)


def encode_delete_areas(ids: Iterable[int] | None, header: Header = Header()) -> bytes:
    """A7 01: delete the dynamic areas `ids` (0-31), or every dynamic area when `ids` is None."""
    if ids is None:
        fields = b"\x00\x00" + bytes([DELETE_ALL])
    else:
        wanted = list(ids)
        if not wanted:
            raise Bx6Error("no area ids to delete; pass None to delete every area")
        for area_id in wanted:
            _check_range("area id", area_id, 0, MAX_AREAS - 1)
        fields = b"\x00\x00" + bytes([len(wanted), *wanted])
    return encode_frame(_request(GROUP_DYNAMIC, CMD_DELETE_AREAS, fields), header)


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
        _check_range("area id", self.area_id, 0, MAX_AREAS - 1)
        for name in ("x", "y"):
            _check_range(name, getattr(self, name), 0, 0xFFFF)
        for name in ("width", "height"):
            _check_range(name, getattr(self, name), 1, 0xFFFF)
        _check_range("timeout", self.timeout_s, 0, 0xFFFF)
        _check_range("background flag", self.background_flag, 0, 3)
        _check_range("transparency", self.transparency, 0, 0xFF)
        if len(self.related_programs) > 0xFFFF:
            raise Bx6Error("too many related programs")
        for serial in self.related_programs:
            _check_range("program number", serial, 0, 0xFFFF)


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
        _check_range("display mode", int(self.display_mode), 0, 0x28)
        _check_range("clear mode", self.clear_mode, 0, 0xFF)
        _check_range("speed", self.speed, 0, 0xFF)
        _check_range("stay time (ms)", self.stay_ms, 0, 0xFFFF * 10)
        _check_range("repeat", self.repeat, 0, 0xFF)
        if self.valid_len is not None:
            _check_range("valid length", self.valid_len, 0, 0xFFFF)


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
        _check_range("voice person", self.person, 0, 5)
        _check_range("voice volume", self.volume, 0, 10)
        _check_range("voice speed", self.speed, 0, 10)
        _check_range("voice repeat", self.repeat, 0, 0xFFFFFFFF)
        _check_range("voice repeat delay (ms)", self.repeat_delay_ms, 0, 0xFFFFFFFF * 10)
        _check_range("language", self.language, 0, 2)
        _check_range("word style", self.word_style, 0, 2)


Renderer = Callable[[str, DynamicArea], bytes]
"""Draws `text` into an area's page data: `(text, area) -> dot-matrix bytes`."""

SOUND_GBK: Final = 0x01


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
    header: Header = Header(),
) -> bytes:
    """A7 00 for one area: its parameters, then every page's parameters, then the page data."""
    if not pages:
        raise Bx6Error("a dynamic area needs at least one page")
    if len(pages) > 0xFFFF:
        raise Bx6Error("at most 65535 pages in one area")
    params = bytearray(_area_fields(area, voice, len(pages)))
    offset = 0
    for page in pages:
        params += _page_fields(page, area, offset)
        offset += len(page.bitmap)
    area_data = bytes(params) + b"".join(page.bitmap for page in pages)
    fields = b"\x00\x00" + struct.pack("<HI", 1, len(area_data)) + area_data
    return encode_frame(_request(GROUP_DYNAMIC, CMD_UPDATE_AREA, fields), header)


def encode_update_area(
    area: DynamicArea,
    text: str,
    *,
    render: Renderer,
    style: PageStyle = PageStyle(),
    speak: bool = False,
    voice: Voice | None = None,
    header: Header = Header(),
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
