"""The simple line protocol of cheap LED strips: one frame of text, answered ACK or NAK.

On the wire::

    02 | address u8 | text (GBK) | 03 | checksum u8

The checksum is the XOR of the address byte and every text byte. The strip answers one byte:
06 (ACK) when it took the text, 15 (NAK) when it did not. GBK never puts 02 or 03 inside a
Chinese character (its bytes are 81-FE), so only the control characters STX and ETX
themselves cannot be sent; `encode_text` refuses every C0 control character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError

__all__ = [
    "ACK",
    "ETX",
    "NAK",
    "STX",
    "Ack",
    "BadFrame",
    "Decoder",
    "FrameDecoder",
    "LineProtoError",
    "Nak",
    "TextFrame",
    "checksum",
    "encode_ack",
    "encode_nak",
    "encode_text",
    "parse_frame",
]

STX: Final = 0x02
ETX: Final = 0x03
ACK: Final = 0x06
NAK: Final = 0x15
MAX_TEXT: Final = 1024


class LineProtoError(CodecError):
    """Text that cannot be sent to a strip, or bytes that are not a strip frame."""


@dataclass(frozen=True, slots=True)
class TextFrame:
    """A frame as the strip sees it: its address and the text to show."""

    address: int
    text: str


@dataclass(frozen=True, slots=True)
class Ack:
    """The strip took the text (06)."""


@dataclass(frozen=True, slots=True)
class Nak:
    """The strip refused the text (15): a bad checksum or a text it cannot show."""


def checksum(address: int, payload: bytes) -> int:
    """XOR of the address byte and every text byte."""
    value = address
    for byte in payload:
        value ^= byte
    return value


def encode_text(address: int, text: str) -> bytes:
    """One frame telling the strip at `address` (0-255) to show `text`."""
    if not isinstance(address, int) or not 0 <= address <= 0xFF:
        raise LineProtoError(f"a strip address is 0-255, not {address!r}")
    for position, char in enumerate(text):
        if ord(char) < 0x20 or char == "\x7f":
            raise LineProtoError(
                f"text {text!r}: control character U+{ord(char):04X} at position {position} "
                "cannot be sent to a strip; remove it"
            )
    try:
        payload = text.encode("gbk")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise LineProtoError(
            f"text {text!r}: character {bad!r} at position {exc.start} is not in GBK; "
            "the strip cannot show it, replace it or leave it out"
        ) from None
    if len(payload) > MAX_TEXT:
        raise LineProtoError(f"text of {len(payload)} bytes is longer than {MAX_TEXT}")
    return bytes([STX, address]) + payload + bytes([ETX, checksum(address, payload)])


def encode_ack() -> bytes:
    """What a strip answers when it took a frame (for simulators and tests)."""
    return bytes([ACK])


def encode_nak() -> bytes:
    """What a strip answers when it refused a frame (for simulators and tests)."""
    return bytes([NAK])


def parse_frame(raw: bytes) -> TextFrame:
    """Parse one complete frame; `LineProtoError` says what is wrong with a bad one."""
    if len(raw) < 4 or raw[0] != STX or raw[-2] != ETX:
        raise LineProtoError("a frame is 02, address, text, 03, checksum")
    address, payload = raw[1], raw[2:-2]
    if STX in payload or ETX in payload:
        raise LineProtoError("a frame holds one 02 and one 03")
    want = checksum(address, payload)
    if raw[-1] != want:
        raise LineProtoError(f"checksum {raw[-1]:02X} does not match {want:02X}")
    try:
        text = payload.decode("gbk")
    except UnicodeDecodeError as exc:
        raise LineProtoError(f"text is not valid GBK at byte {exc.start}") from None
    return TextFrame(address=address, text=text)


class FrameDecoder:
    """What a strip does: bytes in, `TextFrame` or `BadFrame` out (for simulators and tests).

    An STX inside a frame's text cuts the unfinished frame short (a `BadFrame`) and starts a
    new one; a text longer than `max_text` is reported and skipped up to its ETX and checksum.
    """

    _IDLE, _ADDRESS, _TEXT, _SUM, _DISCARD, _DISCARD_SUM = range(6)

    def __init__(self, max_text: int = MAX_TEXT) -> None:
        self._max_text = max_text
        self._buf = bytearray()
        self._state = self._IDLE
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def feed(self, data: bytes) -> list[TextFrame | BadFrame]:
        events: list[TextFrame | BadFrame] = []
        for b in data:
            state = self._state
            if state == self._ADDRESS:
                self._buf.append(b)
                self._state = self._TEXT
            elif state == self._SUM:
                self._buf.append(b)
                events.append(self._finish())
            elif state == self._DISCARD_SUM:
                self._skipped += 1
                self._state = self._IDLE
            elif b == STX:
                if state == self._TEXT:
                    events.append(BadFrame("cut short by the next 02", bytes(self._buf)))
                elif state == self._DISCARD:
                    self._skipped += 1
                self._state, self._buf = self._ADDRESS, bytearray([b])
            elif state == self._IDLE:
                self._skipped += 1
            elif state == self._DISCARD:
                self._skipped += 1
                if b == ETX:
                    self._state = self._DISCARD_SUM
            else:  # in the text
                self._buf.append(b)
                if b == ETX:
                    self._state = self._SUM
                elif len(self._buf) - 2 > self._max_text:
                    reason = f"text longer than {self._max_text} bytes"
                    events.append(BadFrame(reason, bytes(self._buf)))
                    self._state, self._buf = self._DISCARD, bytearray()
        return events

    def _finish(self) -> TextFrame | BadFrame:
        raw = bytes(self._buf)
        self._state, self._buf = self._IDLE, bytearray()
        try:
            return parse_frame(raw)
        except LineProtoError as exc:
            return BadFrame(str(exc), raw)


class Decoder:
    """What the hub hears back from a strip: `Ack` or `Nak`; other bytes are skipped."""

    def __init__(self) -> None:
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def feed(self, data: bytes) -> list[Ack | Nak]:
        events: list[Ack | Nak] = []
        for b in data:
            if b == ACK:
                events.append(Ack())
            elif b == NAK:
                events.append(Nak())
            else:
                self._skipped += 1
        return events
