"""BX-6 framing: markers, header, escaping and CRC, shared by every BX-6 command and answer.

From Onbon's "6th动态区域用户手册" (protocol version 0xF0)::

    A5 ×8 | escaped( header(16) | data(N) | CRC16(2) ) | 5A

- header, little-endian: DstAddr u16 (screen number, 0xFFFE any), SrcAddr u16 (0x8000 for the
  PC), ProtocolVer u8 (0xF0), reserved u8, DeviceType u16 (0xFFFE any, 0x0166 BX-6Q1, …),
  reserved u32, DataLen u32 (the data only).
- CRC16 is CRC-16/ARC (polynomial 0x8005 reflected, initial 0, the manual's appendix 1 table)
  over the unescaped header and data, sent low byte first.
- escapes, applied to everything between the markers: A5→A6 02, A6→A6 01, 5A→5B 02,
  5B→5B 01. A receiver takes any run of A5 as the start.

Checked against Onbon's SDK (GitHub onbonlab/bx.dual.dyn.java): `BxFrameHeader.build` (the
12 bytes before DataLen, in this order), `BxReq.pack` (DataLen = the request's fields + 3 for
RtnReq, CmdGroup and Cmd, a u32), `BxFrameWrapper.wrap` (8 × A5, the same four escapes, one
5A) and `BxUtils.CRC16` (the same table as here). The SDK's `pack` leaves the CRC out; the
manual's frame layout and its ping example (section 5.5.1, CRC `C6 86`) carry it, so frames
here follow the manual. The SDK's default DstAddr is FFFF; the manual's example uses FFFE.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from devices.codecs.base import BadFrame, hexdump
from devices.codecs.errors import CodecError


class Bx6Error(CodecError):
    """A BX-6 command that cannot be built, or bytes that are not a BX-6 frame."""


def check_range(name: str, value: int, low: int, high: int) -> None:
    """Raise a `Bx6Error` naming `name` unless `value` is an integer in [low, high]."""
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

_HEADER = struct.Struct("<HHBBH4xI")
HEADER_LEN: Final = _HEADER.size  # 16


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
            check_range(name, getattr(self, name), 0, 0xFFFF)
        check_range("protocol", self.protocol, 0, 0xFF)


ANY_SCREEN: Final = Header()
"""Wildcards for screen and device type, as the manual's ping example sends."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One unescaped, CRC-checked frame: who sent it to whom, and its data field."""

    header: Header
    data: bytes


def encode_frame(data: bytes, header: Header = ANY_SCREEN) -> bytes:
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
