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

Four-byte GB18030 characters. In Chinese mode a printer reads text as single bytes 00-7F and
byte pairs with a lead byte 81-FE; GB18030's four-byte sequences (81-FE, 30-39, 81-FE, 30-39:
CJK Extension B and later, e.g. 𠀀 U+20000, and everything outside GBK such as ß or emoji)
are read as two unrelated pairs, and the printer's resident font (GB2312 or GBK) has no glyph
for them anyway. So in a GB encoding each character whose code is not one ASCII byte or one
byte pair is printed as a defined fallback (`printable_text`): `？` (full-width, A3 BF) for a
wide character, so that a name keeps its width, and `?` for any other. A raster image of the
glyph is not an option: the rare characters this concerns lie beyond Unifont's plane-0 file,
the font the gateway has. The ticket still prints; with any other encoding (UTF-8 on a printer
set up for it) a character the encoding lacks is still an `EscPosError`.

Character sizes. GS ! n takes the width multiplier - 1 in bits 4-6 and the height's in bits
0-2; the command's range is 1-8 for each, but printers differ (`PRINTER_MODELS`), and a value
beyond what a printer takes is ignored or printed at another size. `render_ticket` asks for
the hall name at 2 × 2 and the number at 4 × 4 and limits each to the model's maximum.

Raster images (`render_copy`: a copy of a page captured at a window). GS v 0 m xL xH yL yH
d1…dk prints a one-bit image of x bytes (8x dots) across and y rows, each row's first byte
the leftmost eight dots with the leftmost in bit 7, 1 printing black: the bytes of a binary
PBM (P4) row by row. m = 0 is normal size. Printers hold one image in a buffer of limited
size, so a tall image goes as several images one under the other, each of at most the
model's `band_rows` rows (255 by default; python-escpos sends 960-row fragments, but many
58/80 mm printers lose rows past 255), which print with no gap between them. The image is
`dots` wide (576 on 80 mm paper at 203 dpi, 384 on 58 mm; the model's, or the driver's
`dots` option).
"""

from __future__ import annotations

import unicodedata
from collections import deque
from dataclasses import dataclass
from typing import Final

from devices.codecs.base import BadFrame
from devices.codecs.errors import CodecError

__all__ = [
    "PRINTER_MODELS",
    "BadFrame",
    "Decoder",
    "EscPosError",
    "PrintTicket",
    "PrinterModel",
    "PrinterStatus",
    "StatusReport",
    "encode_qr",
    "encode_raster",
    "encode_size",
    "encode_status_request",
    "parse_status",
    "printable_text",
    "render_copy",
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

# The sizes a ticket asks for, as (width, height) multipliers; each limited to the model's.
SIZE_NORMAL: Final = (1, 1)
SIZE_HALL_NAME: Final = (2, 2)
SIZE_NUMBER: Final = (4, 4)
FALLBACK_NARROW: Final = "?"
FALLBACK_WIDE: Final = "？"  # U+FF1F, GB2312 A3 BF

GB_ENCODINGS: Final = frozenset({"gb18030", "gbk", "gb2312", "cp936"})
QR_ERROR_LEVELS: Final[dict[str, int]] = {"L": 48, "M": 49, "Q": 50, "H": 51}
QR_MAX_BYTES: Final = 7089
RASTER_NORMAL: Final = 0  # GS v 0 m: normal width and height
MAX_RASTER_ROW_BYTES: Final = 255  # the width the printers of the table take, in bytes


class EscPosError(CodecError):
    """A ticket that cannot be printed as asked, or a byte that is not a status byte."""


@dataclass(frozen=True, slots=True)
class PrinterModel:
    """The largest GS ! character size a printer takes, and where that is written; the dots
    across its paper and the most rows of one GS v 0 image it takes."""

    name: str
    max_width: int
    max_height: int
    source: str
    dots: int = 576  # 80 mm paper, 72 mm printed at 203 dpi
    band_rows: int = 255


PRINTER_MODELS: Final[dict[str, PrinterModel]] = {
    m.name: m
    for m in (
        # The command's own range, as Epson's TM series and the printers that follow its
        # reference take it (Axiohm APOS, Posiflex Aura, Woosim Porti manuals: 1-8 each).
        PrinterModel("generic", 8, 8, "ESC/POS GS ! n: 1-8 times, width and height"),
        # TM-T88 prints 72 mm at 180 dpi: 512 dots.
        PrinterModel("epson-tm-t88", 8, 8, "Epson TM-T88 series: GS ! 1-8 times", dots=512),
        PrinterModel("posiflex-aura", 8, 8, "Posiflex Aura command manual: GS ! 1-8 times"),
        # Pinnacle PP7M's manual lists width 1 or 2 and height 1-8.
        PrinterModel("pinnacle-pp7m", 2, 8, "Pinnacle PP7M manual: width 1-2, height 1-8"),
        # Matrix T5's GS ! has a double-height and a double-width bit only.
        PrinterModel("matrix-t5", 2, 2, "Matrix T5 user's manual: double height and width"),
        # Any printer that only doubles (choose it when a 4 × 4 number prints wrong).
        PrinterModel("double-only", 2, 2, "printers whose GS ! only doubles"),
    )
}
GENERIC: Final = PRINTER_MODELS["generic"]


def encode_size(width: int, height: int, model: PrinterModel = GENERIC) -> bytes:
    """GS ! n for `width` × `height` times the normal size, each limited to `model`'s."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise EscPosError(f"character size is 1-8 times each way, not {width} x {height}")
    w, h = min(width, model.max_width), min(height, model.max_height)
    return GS + b"!" + bytes([(w - 1) << 4 | (h - 1)])


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


def _is_gb(encoding: str) -> bool:
    return encoding.lower().replace("-", "").replace("_", "") in GB_ENCODINGS


def _two_byte(char: str, encoding: str) -> bytes | None:
    """`char`'s code in `encoding` if it is one ASCII byte or one byte pair, else None."""
    try:
        code = char.encode(encoding)
    except UnicodeEncodeError:
        return None
    if (len(code) == 1 and code[0] < 0x80) or (len(code) == 2 and code[0] >= 0x81):
        return code
    return None


def printable_text(text: str, encoding: str = "gb18030") -> str:
    """`text` as a printer in Chinese mode prints it: each character without a one- or
    two-byte code in `encoding` (GB18030's four-byte ones, or any GB2312 lacks) replaced by
    `？` when it is wide and by `?` otherwise; control characters as spaces."""
    out = []
    for char in text:
        if ord(char) < 0x20 or char == "\x7f":
            out.append(" ")
        elif _two_byte(char, encoding) is not None:
            out.append(char)
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            out.append(FALLBACK_WIDE)
        else:
            out.append(FALLBACK_NARROW)
    return "".join(out)


def _encode(text: str, encoding: str, what: str) -> bytes:
    cleaned = "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text)
    try:
        if _is_gb(encoding):
            return printable_text(cleaned, encoding).encode(encoding)
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
    model: PrinterModel = GENERIC,
) -> bytes:
    """The whole ticket, from ESC @ to the partial cut, ready to write to the printer.

    Character sizes are limited to what `model` takes; in a GB encoding, characters without
    a two-byte code print as a fallback (`printable_text`).
    """
    if ticket.ahead < 0:
        raise EscPosError(f"people ahead cannot be negative ({ticket.ahead})")
    if ticket.eta_min is not None and ticket.eta_min < 0:
        raise EscPosError(f"estimated wait cannot be negative ({ticket.eta_min})")
    if not 0 <= feed_lines <= 255:
        raise EscPosError(f"feed lines is 0-255, not {feed_lines}")
    if _is_gb(encoding):
        out = bytearray(INIT + CHINESE_ON)
    else:
        out = bytearray(INIT + CHINESE_OFF)

    def line(text: str, what: str) -> None:
        out.extend(_encode(text, encoding, what) + LF)

    normal = encode_size(*SIZE_NORMAL, model)
    out += ALIGN_CENTER + BOLD_ON + encode_size(*SIZE_HALL_NAME, model)
    line(ticket.hall_name, "hall name")
    out += BOLD_OFF + normal
    line(ticket.service_name, "service name")
    out += LF + encode_size(*SIZE_NUMBER, model) + BOLD_ON
    line(ticket.number, "ticket number")
    out += BOLD_OFF + normal + LF
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


# ----------------------------------------------------------------------------- raster


def encode_raster(width: int, height: int, rows: bytes, *, band_rows: int = 255) -> bytes:
    """GS v 0 (normal size) for a one-bit image `width` dots across and `height` rows high,
    `rows` as a binary PBM keeps them (ceil(width / 8) bytes a row, leftmost dot in bit 7, 1
    black), as one image per band of at most `band_rows` rows."""
    row_bytes = (width + 7) // 8
    if not 1 <= row_bytes <= MAX_RASTER_ROW_BYTES:
        raise EscPosError(f"a raster is 1-{MAX_RASTER_ROW_BYTES * 8} dots wide, not {width}")
    if height < 1:
        raise EscPosError(f"a raster has at least one row, not {height}")
    if len(rows) != row_bytes * height:
        raise EscPosError(
            f"a {width} x {height} raster is {row_bytes * height} bytes of dots, not {len(rows)}"
        )
    if not 1 <= band_rows <= 0xFFFF:
        raise EscPosError(f"a band is 1-65535 rows, not {band_rows}")
    out = bytearray()
    for top in range(0, height, band_rows):
        band = min(band_rows, height - top)
        out += GS + b"v0" + bytes([RASTER_NORMAL])
        out += row_bytes.to_bytes(2, "little") + band.to_bytes(2, "little")
        out += rows[top * row_bytes : (top + band) * row_bytes]
    return bytes(out)


def render_copy(
    width: int, height: int, rows: bytes, *, feed_lines: int = 3, model: PrinterModel = GENERIC
) -> bytes:
    """A whole copy, from ESC @ to the partial cut: the image centred, in the model's bands."""
    if not 0 <= feed_lines <= 255:
        raise EscPosError(f"feed lines is 0-255, not {feed_lines}")
    image = encode_raster(width, height, rows, band_rows=model.band_rows)
    return INIT + ALIGN_CENTER + image + ALIGN_LEFT + ESC + b"d" + bytes([feed_lines]) + PARTIAL_CUT


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
