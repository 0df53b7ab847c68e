"""RS-485 caller keypads (呼叫器) and 4-key rating pads (评价器), 9600 baud 8N1.

On the wire, in both directions::

    FF 68 | L | L | 68 | address | function | data (L-2 bytes) | checksum | 16

L (sent twice) counts the address, function and data bytes; the checksum is their sum modulo
256. A keypad sends its key as the last data byte (function 0x11 is a rating pad's value
instead); the hub answers every frame by echoing it, except a rating, answered with function
0x01 and the value. To a keypad the hub sends function 0x02 with six 7-segment digits (0x0A
blank), 0x03 to beep, 0x01 0B to open a rating pad, 0x02 with one byte to set its stars.

Keys (last data byte): 0B rate (评价: the visit ends and the pad asks for a rating), 0C call,
0D recall, 0E cancel (unused), 0F confirm, 11 one-metre line (一米线), 12 pause (等候),
13 transfer. Confirm after a digit makes a combination: 6+confirm no-show, 0+confirm hold,
3+confirm call back. 1+confirm (start serving) and 9+confirm (close the window) are this
hub's own combinations: the keypad has no keys for them, and these combinations are free.
Digits typed and then confirm (or confirm alone) that are not one of these combinations are a
`DigitEntry`: how a clerk signs in, staff number then PIN (`devices.drivers.keypad485`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError

__all__ = [
    "FOUR_KEY_RATING",
    "KEY_TO_OP",
    "BadFrame",
    "Decoder",
    "DigitEntry",
    "FrameDecoder",
    "Key",
    "KeyPress",
    "KeypadError",
    "KeypadFrame",
    "Rating",
    "UnknownKey",
    "checksum",
    "encode_ack",
    "encode_beep",
    "encode_frame",
    "encode_open_rating",
    "encode_set_stars",
    "encode_show_digits",
    "encode_show_ticket",
    "encode_show_waiting",
    "parse_frame",
    "typed_digits",
]

HEAD: Final = 0xFF
SYNC: Final = 0x68
END: Final = 0x16
FUNC_RATING_ACK: Final = 0x01
FUNC_DISPLAY: Final = 0x02
FUNC_BEEP: Final = 0x03
FUNC_RATING: Final = 0x11
KEY_RATE_INVITE: Final = 0x0B
BLANK: Final = 0x0A
DEFAULT_MAX_LEN: Final = 16


class KeypadError(CodecError):
    """A keypad frame that cannot be built, or bytes that are not one."""


class Key(StrEnum):
    """A key, or a digit-and-confirm combination, pressed on a caller keypad."""

    CALL = "call"
    RECALL = "recall"
    RATE = "rate"
    CANCEL = "cancel"
    ONE_METRE = "one_metre"
    PAUSE = "pause"
    TRANSFER = "transfer"
    NO_SHOW = "no_show"
    HOLD = "hold"
    CALL_BACK = "call_back"
    START = "start"
    CLOSE = "close"


SINGLE_KEYS: Final[dict[int, Key]] = {
    0x0B: Key.RATE,
    0x0C: Key.CALL,
    0x0D: Key.RECALL,
    0x0E: Key.CANCEL,
    0x11: Key.ONE_METRE,
    0x12: Key.PAUSE,
    0x13: Key.TRANSFER,
}
CONFIRM: Final = 0x0F
CONFIRM_COMBINATIONS: Final[dict[int, Key]] = {
    0x06: Key.NO_SHOW,
    0x00: Key.HOLD,
    0x03: Key.CALL_BACK,
    0x01: Key.START,  # this hub's combination
    0x09: Key.CLOSE,  # this hub's combination
}

# The hall contract's operation for each key. Keys without an operation (hold, call back,
# cancel, one-metre line) are decoded and left to the driver. The driver adds the arguments
# a keypad cannot give: a pause reason, and the service a transfer goes to. A window that is
# paused is resumed (window.resume) before any other key's operation, as keypads have no
# resume key.
KEY_TO_OP: Final[dict[Key, str]] = {
    Key.CALL: "call.next",
    Key.RECALL: "call.recall",
    Key.NO_SHOW: "call.no_show",
    Key.START: "ticket.start",
    Key.RATE: "ticket.finish",
    Key.PAUSE: "window.pause",
    Key.TRANSFER: "ticket.transfer",
    Key.CLOSE: "window.close",
}

# A 4-key rating pad sends 0-3, worst first (the production system stores them as
# dissatisfied, neutral, satisfied, very satisfied). On the contract's 1-5 scale (5 非常满意
# … 1 非常不满意) they are 不满意 2, 基本满意 3, 满意 4, 非常满意 5.
FOUR_KEY_RATING: Final[Mapping[int, int]] = {0: 2, 1: 3, 2: 4, 3: 5}


@dataclass(frozen=True, slots=True)
class KeypadFrame:
    """One checked frame: address, function and data."""

    address: int
    function: int
    data: bytes


@dataclass(frozen=True, slots=True)
class KeyPress:
    """A key (or combination) pressed on the keypad at `address`."""

    address: int
    key: Key
    function: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating from the pad at `address`: `level` 1-5, from the pad's `value`."""

    address: int
    level: int
    value: int
    data: bytes


@dataclass(frozen=True, slots=True)
class DigitEntry:
    """Digits typed on the keypad at `address` and confirmed (`digits` may be empty: confirm
    alone). A digit-and-confirm combination is a `KeyPress`; its digit is in its `data`."""

    address: int
    digits: str
    function: int
    data: bytes


def typed_digits(data: bytes) -> str | None:
    """The digits of a keypad's data that ends with confirm, or None when it is not one."""
    if not data or data[-1] != CONFIRM or any(b > 9 for b in data[:-1]):
        return None
    return "".join(str(b) for b in data[:-1])


@dataclass(frozen=True, slots=True)
class UnknownKey:
    """A well-formed keypad frame whose key this codec does not know (a digit alone, …)."""

    address: int
    function: int
    data: bytes


def checksum(address: int, function: int, data: bytes) -> int:
    """Sum of address, function and data bytes, modulo 256."""
    return (address + function + sum(data)) & 0xFF


def encode_frame(address: int, function: int, data: bytes = b"") -> bytes:
    """Any frame: `FF 68 L L 68 address function data checksum 16`."""
    for name, value in (("address", address), ("function", function)):
        if not isinstance(value, int) or not 0 <= value <= 0xFF:
            raise KeypadError(f"{name} is 0-255, not {value!r}")
    length = len(data) + 2
    if length > 0xFF:
        raise KeypadError(f"at most 253 data bytes, not {len(data)}")
    return (
        bytes([HEAD, SYNC, length, length, SYNC, address, function])
        + data
        + bytes([checksum(address, function, data), END])
    )


def encode_ack(frame: KeypadFrame) -> bytes:
    """The hub's answer to a received frame: its echo, or 01 and the value for a rating."""
    if frame.function == FUNC_RATING:
        return encode_frame(frame.address, FUNC_RATING_ACK, frame.data[:1])
    return encode_frame(frame.address, frame.function, frame.data)


def encode_show_digits(address: int, left: str = "", right: str = "") -> bytes:
    """Show up to three digits in the left and in the right half of the 7-segment display."""
    cells = bytearray()
    for part in (left, right):
        if len(part) > 3 or not all(c in "0123456789" for c in part):
            raise KeypadError(f"each half of the display shows up to 3 digits, not {part!r}")
        cells += bytes([BLANK] * (3 - len(part))) + bytes(int(c) for c in part)
    return encode_frame(address, FUNC_DISPLAY, bytes(cells))


def encode_show_ticket(address: int, number: str) -> bytes:
    """Show a called ticket's last three digits ("A001" shows 001) on the right half."""
    digits = "".join(c for c in number if c.isdigit())[-3:]
    if not digits:
        raise KeypadError(f"ticket number {number!r} has no digits to show")
    return encode_show_digits(address, "", digits.rjust(3, "0"))


def encode_show_waiting(address: int, count: int) -> bytes:
    """Show how many wait (capped at 999) on the left half."""
    if count < 0:
        raise KeypadError(f"a waiting count cannot be negative ({count})")
    return encode_show_digits(address, f"{min(count, 999):03d}", "")


def encode_beep(address: int) -> bytes:
    """Make the keypad beep."""
    return encode_frame(address, FUNC_BEEP)


def encode_open_rating(address: int) -> bytes:
    """Ask a rating pad for a rating (pads also open by themselves after the rate key)."""
    return encode_frame(address, FUNC_RATING_ACK, bytes([KEY_RATE_INVITE]))


def encode_set_stars(address: int, stars: int) -> bytes:
    """Set the service stars a rating pad shows (1-5; pads start at 5)."""
    if not 1 <= stars <= 5:
        raise KeypadError(f"stars are 1-5, not {stars}")
    return encode_frame(address, FUNC_DISPLAY, bytes([stars]))


def parse_frame(raw: bytes) -> KeypadFrame:
    """Parse one complete frame; `KeypadError` says what is wrong with a bad one."""
    if len(raw) < 9 or raw[0] != HEAD or raw[1] != SYNC or raw[4] != SYNC:
        raise KeypadError("a frame starts FF 68 L L 68 and is at least 9 bytes")
    length = raw[2]
    if raw[3] != length:
        raise KeypadError(f"the two length bytes differ ({raw[2]:02X} {raw[3]:02X})")
    if length < 2 or len(raw) != length + 7:
        raise KeypadError(f"length {length} does not fit a frame of {len(raw)} bytes")
    if raw[-1] != END:
        raise KeypadError(f"a frame ends with 16, not {raw[-1]:02X}")
    address, function, data = raw[5], raw[6], raw[7:-2]
    want = checksum(address, function, data)
    if raw[-2] != want:
        raise KeypadError(f"checksum {raw[-2]:02X} does not match {want:02X}")
    return KeypadFrame(address=address, function=function, data=data)


class FrameDecoder:
    """Bytes in, `KeypadFrame` or `BadFrame` out, in either direction.

    A header is `FF 68 L L 68` with 2 <= L <= `max_len`; bytes that cannot start one are
    skipped. After a bad frame the search for the next header resumes one byte after the
    bad frame's start, so a real frame hidden behind a false header is still found.
    """

    def __init__(self, max_len: int = DEFAULT_MAX_LEN) -> None:
        self._max_len = max_len
        self._buf = bytearray()
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def feed(self, data: bytes) -> list[KeypadFrame | BadFrame]:
        self._buf += data
        events: list[KeypadFrame | BadFrame] = []
        buf = self._buf
        while True:
            start = buf.find(HEAD)
            if start < 0:
                self._skipped += len(buf)
                buf.clear()
                break
            if start:
                self._skipped += start
                del buf[:start]
            if len(buf) < 5:
                if not self._could_start(buf):
                    self._skipped += 1
                    del buf[:1]
                    continue
                break
            length = buf[2]
            if not self._could_start(buf):
                self._skipped += 1
                del buf[:1]
                continue
            total = length + 7
            if len(buf) < total:
                break
            raw = bytes(buf[:total])
            try:
                events.append(parse_frame(raw))
                del buf[:total]
            except KeypadError as exc:
                events.append(BadFrame(str(exc), raw))
                del buf[:1]
        return events

    def _could_start(self, head: bytearray) -> bool:
        """Whether the (up to 5) bytes at `head` can begin a frame."""
        if len(head) > 1 and head[1] != SYNC:
            return False
        if len(head) > 2 and not 2 <= head[2] <= self._max_len:
            return False
        if len(head) > 3 and head[3] != head[2]:
            return False
        return not (len(head) > 4 and head[4] != SYNC)


class Decoder:
    """What keypads and rating pads send: `KeyPress`, `Rating`, `UnknownKey` or `BadFrame`.

    `rating_map` turns a pad's value into the contract's 1-5 level (`FOUR_KEY_RATING` by
    default); a value outside it is a `BadFrame`.
    """

    def __init__(
        self,
        rating_map: Mapping[int, int] = FOUR_KEY_RATING,
        max_len: int = DEFAULT_MAX_LEN,
    ) -> None:
        for value, level in rating_map.items():
            if not 1 <= level <= 5:
                raise KeypadError(f"rating value {value} maps to {level}, outside 1-5")
        self._rating_map = dict(rating_map)
        self._frames = FrameDecoder(max_len)

    @property
    def skipped(self) -> int:
        return self._frames.skipped

    def feed(self, data: bytes) -> list[KeyPress | Rating | DigitEntry | UnknownKey | BadFrame]:
        events: list[KeyPress | Rating | DigitEntry | UnknownKey | BadFrame] = []
        for item in self._frames.feed(data):
            events.append(item if isinstance(item, BadFrame) else self._interpret(item))
        return events

    def _interpret(
        self, frame: KeypadFrame
    ) -> KeyPress | Rating | DigitEntry | UnknownKey | BadFrame:
        address, function, data = frame.address, frame.function, frame.data
        if not data:
            return UnknownKey(address, function, data)
        if function == FUNC_RATING:
            level = self._rating_map.get(data[0])
            if level is None:
                raw = encode_frame(address, function, data)
                return BadFrame(f"rating value {data[0]} is not one this pad sends", raw)
            return Rating(address=address, level=level, value=data[0], data=data)
        code = data[-1]
        key: Key | None
        if code == CONFIRM:
            key = CONFIRM_COMBINATIONS.get(data[-2]) if len(data) == 2 else None
        else:
            key = SINGLE_KEYS.get(code)
        if key is None:
            digits = typed_digits(data)
            if digits is not None:
                return DigitEntry(address, digits, function, data)
            return UnknownKey(address, function, data)
        return KeyPress(address=address, key=key, function=function, data=data)
