"""Second-generation resident ID card readers (二代身份证, SAM module), serial frames.

Request and response share the preamble and a big-endian length that counts every byte after
it, the checksum included; the checksum is the XOR of every byte after the preamble::

    request:  AA AA AA 96 69 | len u16 BE | cmd | para | data | xor
    response: AA AA AA 96 69 | len u16 BE | SW1 | SW2 | SW3 | data | xor

SW3 is the reader's status (`STATUS_NAMES`): 90 done, 9F card found, 80 no card, …

Commands: reset the SAM 10 FF, SAM status 11 FF, SAM id 12 FF, find card 20 01, select card
20 02, read text and photo 30 01. Reset is 10 FF in the reference readers' C library
(libsamv) and in a Qt reader utility ("AA AA AA 96 69 00 03 10 FF EC", answered 90); one
BearPi sample uses 01 FF. This codec sends 10 FF, the value the libraries agree on.

The read answer's data: text length u16 BE (256), photo length u16 BE (1024), the text, the
photo. The text is UCS-2 little-endian, space padded: name 30 bytes, sex 2, nation 4, birth
16, address 70, ID number 36, issuer 30, valid from 16, valid to 16, 36 reserved. The photo
(a compressed format only the vendor's library decodes) is not kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError

__all__ = [
    "FIND_CARD",
    "PREAMBLE",
    "READ_CARD",
    "RESET_SAM",
    "SAM_ID",
    "SAM_STATUS",
    "SELECT_CARD",
    "STATUS_NAMES",
    "BadFrame",
    "CardFound",
    "CardRead",
    "CardSelected",
    "Decoder",
    "IdCardData",
    "IdCardError",
    "Response",
    "Status",
    "checksum",
    "encode_command",
    "encode_response",
    "parse_response",
    "parse_text",
]

PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
RESET_SAM: Final = (0x10, 0xFF)
SAM_STATUS: Final = (0x11, 0xFF)
SAM_ID: Final = (0x12, 0xFF)
FIND_CARD: Final = (0x20, 0x01)
SELECT_CARD: Final = (0x20, 0x02)
READ_CARD: Final = (0x30, 0x01)

SW3_OK: Final = 0x90
SW3_FOUND: Final = 0x9F
STATUS_NAMES: Final[dict[int, str]] = {
    0x90: "done",
    0x9F: "card found",
    0x10: "the reader got a bad checksum",
    0x11: "the reader got a bad length",
    0x21: "the reader got a bad command",
    0x23: "operation not permitted",
    0x24: "unrecognised error",
    0x31: "card failed to authenticate the SAM",
    0x32: "SAM failed to authenticate the card",
    0x33: "information check failed",
    0x40: "unrecognised card type",
    0x41: "reading the card failed",
    0x47: "getting a random number failed",
    0x60: "SAM self-test failed",
    0x66: "SAM not authorised",
    0x80: "no card found",
    0x81: "selecting the card failed",
    0x91: "the card has no such item",
}
TEXT_LEN: Final = 256
MAX_LEN: Final = 4096
# (name, bytes) of the text block, in order.
TEXT_FIELDS: Final = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuer", 30),
    ("valid_from", 16),
    ("valid_to", 16),
)


class IdCardError(CodecError):
    """A command that cannot be built, or bytes that are not a reader frame."""


def checksum(body: bytes) -> int:
    """XOR of every byte after the preamble (length bytes included), checksum excluded."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > 0xFFFF:
        raise IdCardError(f"a frame carries at most 65534 bytes, not {len(payload)}")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def encode_command(command: tuple[int, int], data: bytes = b"") -> bytes:
    """A request: `command` is (cmd, para), e.g. `FIND_CARD`; `data` is rarely needed."""
    cmd, para = command
    if not (0 <= cmd <= 0xFF and 0 <= para <= 0xFF):
        raise IdCardError(f"command bytes are 0-255, not {command!r}")
    return _frame(bytes([cmd, para]) + data)


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A reader's answer (for simulators and tests)."""
    for name, value in (("SW1", sw1), ("SW2", sw2), ("SW3", sw3)):
        if not 0 <= value <= 0xFF:
            raise IdCardError(f"{name} is 0-255, not {value}")
    return _frame(bytes([sw1, sw2, sw3]) + data)


def _mask_id(number: str) -> str:
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


@dataclass(frozen=True, slots=True, eq=False)
class IdCardData:
    """The text of a card. The ID number is not in `repr` or `str`, only in
    `id_number_secret()`; log `masked_name()` and `id_number_hash(key)` instead."""

    name: str
    sex: str  # GB/T 2261.1 code: 1 male, 2 female, 0 unknown, 9 unstated
    nation: str  # GB 3304 code, "01" 汉
    birth: str  # YYYYMMDD
    address: str
    issuer: str
    valid_from: str  # YYYYMMDD
    valid_to: str  # YYYYMMDD, or 长期 (no end)
    _id_number: str = field(repr=False)

    def id_number_secret(self) -> str:
        """The full ID number: personal data, never to be logged or published."""
        return self._id_number

    def id_number_hash(self, key: bytes) -> str:
        """HMAC-SHA256 of the ID number (X upper-cased) under `key`, as hex."""
        if not key:
            raise IdCardError("an ID number hash needs a non-empty secret key")
        message = self._id_number.upper().encode("ascii", "replace")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def masked_id_number(self) -> str:
        """First 3 and last 2 characters, the rest as *: 110*************34."""
        return _mask_id(self._id_number)

    def masked_name(self) -> str:
        """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜; a one-character name → *."""
        name = self.name
        if len(name) <= 1:
            return "*" * len(name)
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdCardData):
            return NotImplemented
        return hmac.compare_digest(self._id_number, other._id_number) and (
            self.name,
            self.sex,
            self.nation,
            self.birth,
            self.address,
            self.issuer,
            self.valid_from,
            self.valid_to,
        ) == (
            other.name,
            other.sex,
            other.nation,
            other.birth,
            other.address,
            other.issuer,
            other.valid_from,
            other.valid_to,
        )

    def __hash__(self) -> int:
        return hash((self.name, self._id_number))

    def __repr__(self) -> str:
        return (
            f"IdCardData(name={self.masked_name()!r}, sex={self.sex!r}, "
            f"nation={self.nation!r}, id_number={self.masked_id_number()!r}, "
            f"issuer={self.issuer!r}, valid_to={self.valid_to!r})"
        )

    __str__ = __repr__


def parse_text(block: bytes) -> IdCardData:
    """The 256-byte text block (UCS-2 LE, space padded) as `IdCardData`."""
    if len(block) < TEXT_LEN:
        raise IdCardError(f"the text block is {TEXT_LEN} bytes, not {len(block)}")
    values: dict[str, str] = {}
    offset = 0
    for name, size in TEXT_FIELDS:
        raw = block[offset : offset + size]
        offset += size
        try:
            values[name] = raw.decode("utf-16-le").rstrip(" \x00")
        except UnicodeDecodeError:
            raise IdCardError(f"the {name} field is not UCS-2 text") from None
    id_number = values.pop("id_number")
    return IdCardData(**values, _id_number=id_number)


@dataclass(frozen=True, slots=True)
class CardFound:
    """A card is on the reader (find card answered 9F)."""


@dataclass(frozen=True, slots=True)
class CardSelected:
    """The card on the reader is selected (select card answered 90)."""


@dataclass(frozen=True, slots=True)
class CardRead:
    """The card's text, read (read card answered 90)."""

    data: IdCardData


@dataclass(frozen=True, slots=True)
class Status:
    """Any other answer: SW3 `code` (`meaning` in words), with SW1, SW2 and any data."""

    code: int
    sw1: int = 0
    sw2: int = 0
    data: bytes = b""

    @property
    def meaning(self) -> str:
        return STATUS_NAMES.get(self.code, f"unknown status {self.code:02X}")


Response = CardFound | CardSelected | CardRead | Status


def _card_read(data: bytes) -> CardRead:
    if len(data) < 4:
        raise IdCardError("a read answer starts with the text and photo lengths")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len < TEXT_LEN or 4 + text_len + photo_len > len(data):
        raise IdCardError(
            f"text of {text_len} and photo of {photo_len} bytes do not fit {len(data) - 4}"
        )
    return CardRead(parse_text(data[4 : 4 + TEXT_LEN]))


def parse_response(raw: bytes, command: tuple[int, int] | None = None) -> Response:
    """Parse one complete response to `command` (when known); `IdCardError` if bad.

    Without the command, 9F is a found card, 90 with a read answer's layout is a read, and
    90 with 8 data bytes (the card's serial number area) is a selection.
    """
    if len(raw) < 11 or not raw.startswith(PREAMBLE):
        raise IdCardError("a response is preamble, length, SW1-SW3, data and checksum")
    length = int.from_bytes(raw[5:7], "big")
    if len(raw) != 7 + length:
        raise IdCardError(f"length {length} does not fit a frame of {len(raw)} bytes")
    want = checksum(raw[5:-1])
    if raw[-1] != want:
        raise IdCardError(f"checksum {raw[-1]:02X} does not match {want:02X}")
    sw1, sw2, sw3 = raw[7], raw[8], raw[9]
    data = raw[10:-1]
    if sw3 == SW3_FOUND and command in (None, FIND_CARD):
        return CardFound()
    if sw3 == SW3_OK:
        if command == SELECT_CARD or (command is None and len(data) == 8):
            return CardSelected()
        if command == READ_CARD or (command is None and len(data) >= 4 + TEXT_LEN):
            return _card_read(data)
    return Status(code=sw3, sw1=sw1, sw2=sw2, data=data)


class Decoder:
    """A reader's answers: `CardFound`, `CardSelected`, `CardRead`, `Status` or `BadFrame`.

    Call `sent(command)` for each command written so each answer is read as that command's;
    without it the answer's kind is inferred (see `parse_response`).
    """

    def __init__(self, max_len: int = MAX_LEN) -> None:
        self._max_len = max_len
        self._buf = bytearray()
        self._pending: deque[tuple[int, int]] = deque()
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def sent(self, command: tuple[int, int]) -> None:
        """Record that `command` was written, so the next answer is read as its answer."""
        self._pending.append(command)

    def feed(self, data: bytes) -> list[Response | BadFrame]:
        self._buf += data
        buf = self._buf
        events: list[Response | BadFrame] = []
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                keep = self._partial_preamble(buf)
                self._skipped += len(buf) - keep
                del buf[: len(buf) - keep]
                break
            if start:
                self._skipped += start
                del buf[:start]
            if len(buf) < 7:
                break
            length = int.from_bytes(buf[5:7], "big")
            if not 4 <= length <= self._max_len:
                self._skipped += 1
                del buf[:1]
                continue
            total = 7 + length
            if len(buf) < total:
                break
            raw = bytes(buf[:total])
            command = self._pending.popleft() if self._pending else None
            try:
                events.append(parse_response(raw, command))
                del buf[:total]
            except IdCardError as exc:
                events.append(BadFrame(str(exc), raw))
                del buf[:1]
        return events

    @staticmethod
    def _partial_preamble(buf: bytearray) -> int:
        """How many bytes at the end of `buf` could be the start of a preamble."""
        for keep in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
            if buf[-keep:] == PREAMBLE[:keep]:
                return keep
        return 0
