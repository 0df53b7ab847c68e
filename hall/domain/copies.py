"""Copies of captured pages on a window's printer: the raster a pad sends, and the printer's link.

Pure. A pad draws a page into the printer's width in dots, dithers it to one bit and sends
it as a binary PBM (``P4``): the header ``P4 <width> <height>`` (whitespace apart, ``#``
comments allowed before the numbers end), one whitespace byte, then `height` rows of
``ceil(width / 8)`` bytes each, the leftmost dot in the top bit of a row's first byte, 1 for
black, the unused bits of a row's last byte 0. These are exactly the bytes ESC/POS
``GS v 0`` prints, so the printer gets them as drawn.

The printer fetches the raster over HTTP by a signed, expiring link
``/copies/<copy id>?expires=<unix s>&sig=<hex HMAC-SHA256 over "path\\nexpires">`` under the
hall's link key (`hall.domain.documents.link_key`), once.
"""

from __future__ import annotations

from dataclasses import dataclass

from hall.domain.documents import DocumentError, check_link, sign_link

__all__ = [
    "DEFAULT_DOTS",
    "MAX_COPY_ROWS",
    "MAX_DOTS",
    "MIN_DOTS",
    "PBM_MEDIA_TYPE",
    "Raster",
    "check_copy_link",
    "copy_path",
    "dots_problem",
    "parse_pbm",
    "sign_copy_link",
]

DEFAULT_DOTS = 576  # 80 mm paper at 203 dpi: 72 mm printed
MAX_DOTS = 2040  # 255 bytes a row, the most GS v 0 takes on any printer
MIN_DOTS = 64  # 8 mm at 203 dpi: narrower is no receipt printer


def dots_problem(dots: object) -> str | None:
    """What is wrong with a printer's width in dots, or None: a whole number of bytes (a
    multiple of 8) from `MIN_DOTS` to `MAX_DOTS`."""
    if not isinstance(dots, int) or isinstance(dots, bool):
        return f"the dots across must be a whole number, not {dots!r}"
    if not MIN_DOTS <= dots <= MAX_DOTS or dots % 8:
        return f"the dots across must be a multiple of 8 from {MIN_DOTS} to {MAX_DOTS}, not {dots}"
    return None


MAX_COPY_ROWS = 4000  # about 50 cm of paper at 203 dpi: an A4 page and then some
PBM_MEDIA_TYPE = "image/x-portable-bitmap"
_MAX_HEADER = 64
_SPACE = b" \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class Raster:
    """A one-bit image: `rows` is `height` rows of `row_bytes` bytes (as PBM P4 keeps them)."""

    width: int
    height: int
    rows: bytes

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8


def _bad(message: str) -> DocumentError:
    return DocumentError(400, "bad_raster", message)


def parse_pbm(data: bytes, *, max_width: int = MAX_DOTS, max_rows: int = MAX_COPY_ROWS) -> Raster:
    """The raster of a binary PBM (P4); `DocumentError` (400 `bad_raster`) saying what is
    wrong otherwise, never another exception."""
    if not data.startswith(b"P4"):
        raise _bad("the raster must be a binary PBM (P4) image")
    numbers: list[int] = []
    at = 2
    while len(numbers) < 2:
        start = at
        while at < len(data) and at < _MAX_HEADER and data[at] in _SPACE:
            at += 1
        if at < len(data) and data[at : at + 1] == b"#":
            while at < len(data) and at < _MAX_HEADER and data[at] not in b"\r\n":
                at += 1
            continue
        if at == start or at >= _MAX_HEADER:
            raise _bad("the PBM header must be P4, the width and the height")
        digits = at
        while at < len(data) and at < _MAX_HEADER and 0x30 <= data[at] <= 0x39:
            at += 1
        if at == digits or at - digits > 6:
            raise _bad("the PBM header must be P4, the width and the height")
        numbers.append(int(data[digits:at]))
    if at >= len(data) or data[at] not in _SPACE:
        raise _bad("the PBM header must end with one whitespace byte")
    width, height = numbers
    if not 1 <= width <= max_width:
        raise _bad(f"the raster must be 1 to {max_width} dots wide, not {width}")
    if not 1 <= height <= max_rows:
        raise _bad(f"the raster must be 1 to {max_rows} rows high, not {height}")
    rows = data[at + 1 :]
    expected = (width + 7) // 8 * height
    if len(rows) != expected:
        raise _bad(
            f"a {width} x {height} raster has {expected} bytes of dots, this one {len(rows)}"
        )
    return Raster(width, height, rows)


def pbm(raster: Raster) -> bytes:
    """The raster as a binary PBM (the inverse of `parse_pbm`)."""
    return f"P4\n{raster.width} {raster.height}\n".encode() + raster.rows


def copy_path(copy_id: str) -> str:
    return f"/copies/{copy_id}"


def sign_copy_link(key: bytes, copy_id: str, expires: int) -> str:
    """The path and query of a copy's link, valid until `expires` (Unix seconds)."""
    return sign_link(key, copy_id, expires, path=copy_path(copy_id))


def check_copy_link(key: bytes, copy_id: str, expires: str, sig: str, now: float) -> None:
    """Nothing when the link is the hall's and has not expired; `DocumentError` otherwise
    (404 no such link, 403 a signature that does not match, 410 expired)."""
    check = check_link(key, copy_id, expires, sig, now, path=copy_path(copy_id))
    if not check.ok:
        raise DocumentError(check.status, "bad_link", check.message)
