"""ESC/POS for thermal ticket printers: the queue ticket, and the printer's real-time status.

How Chinese printers take text (from python-escpos issues):

- #281 (Rongta RP325): text sent as UTF-8 came out as other Chinese characters ("你好"
  printed as "挂批"): the printer reads every byte pair as a GB code. The maintainers' answer
  is that ESC/POS itself has no Chinese; it is the printer's own double-byte mode.
- #491 (Xprinter XP58IIH over serial; later confirmed on a Zywell 808 with a resident GB18030
  font): garbled Chinese was fixed by sending the text's GB18030 bytes raw, while the QR code
  printed fine either way (its data is not text in the printer's sense).
- #678 is not in the stored issue index; the closest thread is pull request #680 (kanji
  commands: FS & / FS . and a kanji code system selection, with gb2312 and gb18030 marked
  as untested on real devices). Other drivers' threads show printers that start in Chinese mode
  and print single-byte code pages as Chinese until FS . cancels it.

So `render_ticket` sends FS & (Chinese character mode on) before GB18030/GBK/GB2312 text, and
FS . (off) before text in any other encoding (e.g. UTF-8 for printers configured for it); the
encoding is the printer's setting, not a guess.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError

__all__ = [
    "BadFrame",
    "Decoder",
    "EscPosError",
    "PrintTicket",
    "PrinterStatus",
    "StatusReport",
    "encode_qr",
    "encode_status_request",
    "parse_status",
    "render_ticket",
]

ESC: Final = b"\x1b"
GS: Final = b"\x1d"
FS: Final = b"\x1c"
DLE: Final = b"\x10"
INIT: Final = ESC + b"@"
CHINESE_ON: Final = FS + b"&"
CHINESE_OFF: Final = FS + b"."
ALIGN_LEFT: Final = ESC + b"a\x00"
ALIGN_CENTER: Final = ESC + b"a\x01"
BOLD_ON: Final = ESC + b"E\x01"
BOLD_OFF: Final = ESC + b"E\x00"
PARTIAL_CUT: Final = GS + b"V\x42\x00"  # feed to the cutter, then cut leaving a hinge
LF: Final = b"\n"

SIZE_NORMAL: Final = 0x00
SIZE_DOUBLE: Final = 0x11  # GS ! n: width ×2, height ×2
SIZE_NUMBER: Final = 0x33  # width ×4, height ×4

GB_ENCODINGS: Final = frozenset({"gb18030", "gbk", "gb2312", "cp936"})
QR_ERROR_LEVELS: Final[dict[str, int]] = {"L": 48, "M": 49, "Q": 50, "H": 51}
QR_MAX_BYTES: Final = 7089


class EscPosError(CodecError):
    """A ticket that cannot be printed as asked, or a byte that is not a status byte."""


def _size(n: int) -> bytes:
    return GS + b"!" + bytes([n])


@dataclass(frozen=True, slots=True)
class PrintTicket:
    """What a queue ticket shows; `issued_at` is local time as text, e.g. "2024-05-06 09:12"."""

    hall_name: str
    service_name: str
    number: str
    ahead: int
    eta_min: int | None
    issued_at: str
    qr_url: str | None = None
    footer: str | None = None


def _encode(text: str, encoding: str, what: str) -> bytes:
    cleaned = "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text)
    try:
        return cleaned.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = cleaned[exc.start : exc.end]
        raise EscPosError(
            f"{what} {text!r}: character {bad!r} at position {exc.start} cannot be printed "
            f"in {encoding}; use gb18030 (it has every character) or change the text"
        ) from None
    except LookupError:
        raise EscPosError(f"unknown encoding {encoding!r}") from None


def encode_qr(data: str, *, module_size: int = 6, error_level: str = "M") -> bytes:
    """GS ( k: select model 2, set the module size and error correction, store, print."""
    if not 1 <= module_size <= 16:
        raise EscPosError(f"QR module size is 1-16 dots, not {module_size}")
    level = QR_ERROR_LEVELS.get(error_level)
    if level is None:
        raise EscPosError(f"QR error correction is L, M, Q or H, not {error_level!r}")
    payload = data.encode("utf-8")
    if not payload or len(payload) > QR_MAX_BYTES:
        raise EscPosError(f"QR data must be 1-{QR_MAX_BYTES} bytes, not {len(payload)}")
    store_len = len(payload) + 3
    return (
        GS + b"(k\x04\x00\x31\x41\x32\x00"  # fn 165: model 2
        + GS + b"(k\x03\x00\x31\x43" + bytes([module_size])  # fn 167: module size
        + GS + b"(k\x03\x00\x31\x45" + bytes([level])  # fn 169: error correction
        + GS + b"(k" + store_len.to_bytes(2, "little") + b"\x31\x50\x30" + payload  # fn 180
        + GS + b"(k\x03\x00\x31\x51\x30"  # fn 181: print the stored symbol
    )  # fmt: skip


def render_ticket(
    ticket: PrintTicket,
    encoding: str = "gb18030",
    *,
    qr_module_size: int = 6,
    feed_lines: int = 3,
) -> bytes:
    """The whole ticket, from ESC @ to the partial cut, ready to write to the printer."""
    if ticket.ahead < 0:
        raise EscPosError(f"people ahead cannot be negative ({ticket.ahead})")
    if ticket.eta_min is not None and ticket.eta_min < 0:
        raise EscPosError(f"estimated wait cannot be negative ({ticket.eta_min})")
    if not 0 <= feed_lines <= 255:
        raise EscPosError(f"feed lines is 0-255, not {feed_lines}")
    enc = encoding.lower().replace("-", "").replace("_", "")
    if enc in GB_ENCODINGS:
        out = bytearray(INIT + CHINESE_ON)
    else:
        out = bytearray(INIT + CHINESE_OFF)

    def line(text: str, what: str) -> None:
        out.extend(_encode(text, encoding, what) + LF)

    out += ALIGN_CENTER + BOLD_ON + _size(SIZE_DOUBLE)
    line(ticket.hall_name, "hall name")
    out += BOLD_OFF + _size(SIZE_NORMAL)
    line(ticket.service_name, "service name")
    out += LF + _size(SIZE_NUMBER) + BOLD_ON
    line(ticket.number, "ticket number")
    out += BOLD_OFF + _size(SIZE_NORMAL) + LF
    line(f"前面还有 {ticket.ahead} 人", "people ahead")
    if ticket.eta_min is not None:
        line(f"预计等待约 {ticket.eta_min} 分钟", "estimated wait")
    line(f"取号时间 {ticket.issued_at}", "issue time")
    if ticket.qr_url:
        out += LF + encode_qr(ticket.qr_url, module_size=qr_module_size) + LF
        line("扫码查看排队进度", "QR caption")
    if ticket.footer:
        out += LF
        line(ticket.footer, "footer")
    out += ALIGN_LEFT + ESC + b"d" + bytes([feed_lines]) + PARTIAL_CUT
    return bytes(out)


# ----------------------------------------------------------------------------- status


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer reported; a field is None until a status byte that carries it came."""

    online: bool | None = None
    paper_out: bool | None = None
    paper_near_end: bool | None = None
    cover_open: bool | None = None
    error: bool | None = None

    def merged(self, newer: PrinterStatus) -> PrinterStatus:
        """This status updated with every field `newer` knows."""
        return PrinterStatus(
            *(
                getattr(self, name) if getattr(newer, name) is None else getattr(newer, name)
                for name in ("online", "paper_out", "paper_near_end", "cover_open", "error")
            )
        )


def encode_status_request(n: int) -> bytes:
    """DLE EOT n: 1 printer, 2 offline cause, 3 error cause, 4 roll paper sensor."""
    if n not in (1, 2, 3, 4):
        raise EscPosError(f"DLE EOT takes n = 1-4, not {n!r}")
    return DLE + b"\x04" + bytes([n])


def parse_status(n: int, byte: int) -> PrinterStatus:
    """The meaning of the status byte answering DLE EOT `n` (bits as in the ESC/POS manual).

    Every status byte has bit 1 and bit 4 set and bit 0 and bit 7 clear; a byte that does not
    is not a status byte (`EscPosError`).
    """
    if n not in (1, 2, 3, 4):
        raise EscPosError(f"DLE EOT takes n = 1-4, not {n!r}")
    if not 0 <= byte <= 0xFF or byte & 0x93 != 0x12:
        raise EscPosError(f"{byte!r} is not a real-time status byte (fixed bits 0x12 of 0x93)")
    if n == 1:
        return PrinterStatus(online=not byte & 0x08)
    if n == 2:
        return PrinterStatus(
            cover_open=bool(byte & 0x04), paper_out=bool(byte & 0x20), error=bool(byte & 0x40)
        )
    if n == 3:
        return PrinterStatus(error=bool(byte & 0x68))  # cutter, unrecoverable, auto-recoverable
    return PrinterStatus(paper_near_end=bool(byte & 0x0C), paper_out=bool(byte & 0x60))


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The answer to one DLE EOT `n`."""

    n: int
    byte: int
    status: PrinterStatus


class Decoder:
    """Pairs status bytes with the requests sent: call `sent(n)` for each DLE EOT n written.

    A byte with no request outstanding, or one whose fixed bits are wrong, is a `BadFrame`.
    """

    def __init__(self) -> None:
        self._pending: deque[int] = deque()
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    def sent(self, n: int) -> None:
        """Record that DLE EOT `n` was written, so the next status byte answers it."""
        encode_status_request(n)
        self._pending.append(n)

    def feed(self, data: bytes) -> list[StatusReport | BadFrame]:
        events: list[StatusReport | BadFrame] = []
        for b in data:
            if not self._pending:
                events.append(BadFrame("status byte with no request outstanding", bytes([b])))
                continue
            n = self._pending.popleft()
            try:
                events.append(StatusReport(n=n, byte=b, status=parse_status(n, b)))
            except EscPosError as exc:
                events.append(BadFrame(str(exc), bytes([b])))
        return events
