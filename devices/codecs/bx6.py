"""Onbon/仰邦 BX-6 (sixth generation) LED controller cards: commands and the cards' answers.

Source: Onbon's "6th动态区域用户手册" (protocol version 0xF0; framing in `bx6_frame`, dynamic
areas in `bx6_area`, both re-exported here). Request data: RtnReq u8 (1), CmdGroup u8, Cmd u8,
then the command's fields. Response data: reserved u8, CmdGroup u8, Cmd u8, Status u16 (bit 0
= NACK), Error u16, DataLen u16, data. ACK is group A0 cmd 00; NACK is group A0 cmd 01 with
an error number (`ERROR_NAMES`).

Commands: A2 00 ping (the manual's example frame, byte for byte), A2 07 brightness, A7 00
update a dynamic area, A7 01 delete dynamic areas. Cards listen on TCP 5005 and UDP 5007, or
on a serial line; the framing is the same.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.bx6_area import (
    MAX_AREAS,
    DisplayMode,
    DynamicArea,
    NumberReading,
    Page,
    PageStyle,
    Renderer,
    RunMode,
    Voice,
    encode_gbk,
    encode_update_area,
    encode_update_pages,
)
from devices.codecs.bx6_frame import (
    ADDRESS_ANY,
    ANY_SCREEN,
    DEVICE_TYPE_ANY,
    DEVICE_TYPES,
    SOURCE_PC,
    Bx6Error,
    Frame,
    FrameDecoder,
    Header,
    check_range,
    crc16,
    encode_frame,
    escape,
    parse_frame,
    unescape,
)

__all__ = [
    "ADDRESS_ANY",
    "ANY_SCREEN",
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
CMD_DELETE_AREAS: Final = 0x01
DELETE_ALL: Final = 0xFF
_RESPONSE = struct.Struct("<BBBHHH")  # reserved, group, cmd, status, error, data length


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
    check_range("error", error, 0, 0xFFFF)
    return _encode_response(GROUP_ACK, 0x01, 1, error, src)


# ----------------------------------------------------------------------------- commands


def _request(group: int, cmd: int, fields: bytes) -> bytes:
    return bytes([0x01, group, cmd]) + fields


def encode_ping(header: Header = ANY_SCREEN) -> bytes:
    """A2 00: is a card there? Any answer means yes (the manual's example, byte for byte)."""
    return encode_frame(_request(GROUP_SYSTEM, CMD_PING, b"\x00\x00"), header)


def encode_brightness(level: int, header: Header = ANY_SCREEN) -> bytes:
    """A2 07 in manual mode: one brightness `level` from 0 (dimmest) to 15 (brightest)."""
    check_range("brightness level", level, 0, 15)
    return _brightness(0x00, [level] * 48, header)


def encode_brightness_schedule(half_hours: Sequence[int], header: Header = ANY_SCREEN) -> bytes:
    """A2 07 in timed mode: 48 levels (0-15), one per half hour from 00:00."""
    if len(half_hours) != 48:
        raise Bx6Error(f"a brightness schedule has 48 half-hour levels, not {len(half_hours)}")
    for level in half_hours:
        check_range("brightness level", level, 0, 15)
    return _brightness(0x01, list(half_hours), header)


def _brightness(mode: int, levels: list[int], header: Header) -> bytes:
    fields = (1 + len(levels)).to_bytes(2, "little") + bytes([mode, *levels])
    return encode_frame(_request(GROUP_SYSTEM, CMD_BRIGHTNESS, fields), header)


def encode_delete_areas(ids: Iterable[int] | None, header: Header = ANY_SCREEN) -> bytes:
    """A7 01: delete the dynamic areas `ids` (0-31), or every dynamic area when `ids` is None."""
    if ids is None:
        fields = b"\x00\x00" + bytes([DELETE_ALL])
    else:
        wanted = list(ids)
        if not wanted:
            raise Bx6Error("no area ids to delete; pass None to delete every area")
        for area_id in wanted:
            check_range("area id", area_id, 0, MAX_AREAS - 1)
        fields = b"\x00\x00" + bytes([len(wanted), *wanted])
    return encode_frame(_request(GROUP_DYNAMIC, CMD_DELETE_AREAS, fields), header)
