"""Text drawn as pixels, for LED controller cards that take dot-matrix data (BX-6 dynamic areas).

Glyphs come from a GNU Unifont ``.hex`` file: one glyph per line, ``XXXX:hexbits``, where
``XXXX`` is the code point and the bits are 16 rows of 8 pixels (32 hex digits, a narrow
glyph) or of 16 pixels (64 hex digits, a wide glyph, e.g. a Chinese character), the leftmost
pixel in the highest bit. Lines starting with ``#`` and blank lines are skipped, so a file can
carry a header saying where it comes from.

``HexFont.render(text, width, height)`` lays one line of text out left-aligned or centred in
a ``Bitmap`` of exactly ``width`` × ``height`` pixels: narrow characters take 8 pixels, wide
ones 16, and the text is cut after the last glyph that fits whole (never half a glyph). A
line is 16 pixels high and is centred vertically in a taller bitmap. ``render_lines`` stacks
several lines (an LED board).

``pack_bx6`` turns a bitmap into the page data of a single-colour BX-6 card (Onbon's manual,
appendix 2, BX-6E rule): row by row from the top, each row as 32-bit words aligned on the
screen's columns (the first word of a row covers columns ``32 * (x // 32)`` onwards), the
leftmost pixel of a word in bit 31, a lit pixel 0 and an unlit one 1, columns outside the
area filled with 1; every word little-endian like every other number of the protocol.
``bx6_renderer`` makes the ``(text, area) -> bytes`` callback that ``bx6.encode_update_area``
takes. Pure: no I/O; the font file is read by ``devices.font``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from displays.ledtext import clean

GLYPH_HEIGHT: Final = 16
NARROW: Final = 8
WIDE: Final = 16
REPLACEMENT: Final = 0xFFFD
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")

Align = Literal["left", "center"]
ByteOrder = Literal["little", "big"]


class FontError(ValueError):
    """A .hex font line that cannot be read; the message names the source and the line."""


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character's pixels: `rows` holds 16 rows, pixel x of a row in bit (width - 1 - x)."""

    width: int
    rows: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Bitmap:
    """`height` rows of `width` pixels; pixel x of a row is bit (width - 1 - x), 1 = lit."""

    width: int
    height: int
    rows: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"a bitmap is at least 1 x 1 pixels, not {self.width} x {self.height}")
        if len(self.rows) != self.height:
            raise ValueError(f"{len(self.rows)} rows for a bitmap {self.height} pixels high")
        limit = 1 << self.width
        if any(not 0 <= row < limit for row in self.rows):
            raise ValueError(f"a row has pixels outside the width of {self.width}")

    @classmethod
    def blank(cls, width: int, height: int) -> Bitmap:
        return cls(width, height, (0,) * height)

    def pixel(self, x: int, y: int) -> bool:
        """Whether the pixel at column `x`, row `y` (from the top left) is lit."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise IndexError(f"pixel ({x}, {y}) is outside {self.width} x {self.height}")
        return bool(self.rows[y] >> (self.width - 1 - x) & 1)

    def lit(self) -> int:
        """How many pixels are lit."""
        return sum(row.bit_count() for row in self.rows)

    def to_text(self, on: str = "#", off: str = ".") -> str:
        """The bitmap as text, one line per row: for logs and test failure messages."""
        return "\n".join(
            "".join(on if row >> (self.width - 1 - x) & 1 else off for x in range(self.width))
            for row in self.rows
        )


def _parse_line(line: str, source: str, number: int) -> tuple[int, str] | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    code, sep, bits = text.partition(":")
    where = f"{source}:{number}"
    if not sep or not code or len(code) > 6 or not set(code) <= _HEX_DIGITS:
        raise FontError(f"{where}: expected 'XXXX:hexbits', got {text[:40]!r}")
    if len(bits) not in (32, 64) or not set(bits) <= _HEX_DIGITS:
        raise FontError(
            f"{where}: U+{code.upper()} has {len(bits)} hex digits of bitmap; a glyph has 32 "
            "(8 x 16 pixels) or 64 (16 x 16 pixels)"
        )
    point = int(code, 16)
    if point > 0x10FFFF:
        raise FontError(f"{where}: U+{code.upper()} is not a Unicode code point")
    return point, bits


def _decode(bits: str) -> Glyph:
    width = NARROW if len(bits) == 32 else WIDE
    step = width // 4
    rows = tuple(int(bits[i : i + step], 16) for i in range(0, len(bits), step))
    return Glyph(width, rows)


def _box(width: int) -> Glyph:
    """A hollow box: the glyph of a character the font does not have."""
    inner = 1 << (width - 2) | 1 << 1  # columns 1 and width - 2
    full = ((1 << (width - 2)) - 1) << 1  # columns 1 to width - 2
    rows = (0, 0, full, *([inner] * 10), full, 0, 0)
    return Glyph(width, rows)


class HexFont:
    """Glyphs by code point, decoded on first use."""

    def __init__(self, glyphs: Mapping[int, str]) -> None:
        self._hex = dict(glyphs)
        self._cache: dict[int, Glyph] = {}

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, source: str = "<font>") -> HexFont:
        """Read .hex lines; a malformed line is a `FontError` naming `source` and the line."""
        glyphs: dict[int, str] = {}
        for number, line in enumerate(lines, start=1):
            parsed = _parse_line(line, source, number)
            if parsed is not None:
                glyphs[parsed[0]] = parsed[1]
        if not glyphs:
            raise FontError(f"{source}: no glyphs (expected lines like '0041:0000...')")
        return cls(glyphs)

    def __len__(self) -> int:
        return len(self._hex)

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and len(char) == 1 and ord(char) in self._hex

    def hex_line(self, char: str) -> str | None:
        """The .hex line of `char` as the font has it, or None (for writing a subset)."""
        bits = self._hex.get(ord(char))
        return None if bits is None else f"{ord(char):04X}:{bits.upper()}"

    def glyph(self, char: str) -> Glyph:
        """The glyph of `char`; U+FFFD (or a box) when the font does not have it."""
        point = ord(char)
        cached = self._cache.get(point)
        if cached is not None:
            return cached
        bits = self._hex.get(point)
        if bits is not None:
            glyph = _decode(bits)
        elif REPLACEMENT in self._hex:
            glyph = self.glyph(chr(REPLACEMENT))
        else:
            wide = unicodedata.east_asian_width(char) in ("W", "F")
            glyph = _box(WIDE if wide else NARROW)
        self._cache[point] = glyph
        return glyph

    def layout(self, text: str, width: int) -> list[Glyph]:
        """The glyphs of `text` (cleaned to one line) that fit whole in `width` pixels."""
        glyphs: list[Glyph] = []
        used = 0
        for char in clean(text):
            if unicodedata.combining(char):
                continue  # a combining mark has no cell of its own on an LED strip
            glyph = self.glyph(char)
            if used + glyph.width > width:
                break
            glyphs.append(glyph)
            used += glyph.width
        return glyphs

    def text_width(self, text: str) -> int:
        """Pixels `text` takes on one line, uncut."""
        return sum(
            self.glyph(char).width for char in clean(text) if not unicodedata.combining(char)
        )

    def render(self, text: str, width: int, height: int, *, align: Align = "left") -> Bitmap:
        """One line of `text` in a `width` × `height` bitmap (see the module docstring)."""
        return self.render_lines([text], width, height, align=align)

    def render_lines(
        self, lines: Sequence[str], width: int, height: int, *, align: Align = "left"
    ) -> Bitmap:
        """Lines of 16 pixels stacked from the top, as many as fit, centred vertically."""
        if width < 1 or height < 1:
            raise ValueError(f"a bitmap is at least 1 x 1 pixels, not {width} x {height}")
        if align not in ("left", "center"):
            raise ValueError(f"align is 'left' or 'center', not {align!r}")
        shown = list(lines[: max(1, height // GLYPH_HEIGHT)])
        top = max(0, (height - GLYPH_HEIGHT * len(shown)) // 2)
        rows = [0] * height
        for index, line in enumerate(shown):
            glyphs = self.layout(line, width)
            used = sum(g.width for g in glyphs)
            x = (width - used) // 2 if align == "center" else 0
            for glyph in glyphs:
                shift = width - x - glyph.width
                for gy, bits in enumerate(glyph.rows):
                    y = top + index * GLYPH_HEIGHT + gy
                    if y < height:
                        rows[y] |= bits << shift
                x += glyph.width
        return Bitmap(width, height, tuple(rows))


# ----------------------------------------------------------------------------- BX-6 packing


def _row_words(x: int, width: int, word_bits: int) -> tuple[int, int]:
    """(first word index, word count) of a row `width` pixels wide starting at column `x`."""
    first = x // word_bits
    last = (x + width - 1) // word_bits
    return first, last - first + 1


def pack_words(
    bitmap: Bitmap,
    *,
    x: int = 0,
    word_bits: int = 32,
    byteorder: ByteOrder = "little",
    lit_bit: int = 0,
) -> bytes:
    """Rows as words aligned on the screen's columns, leftmost pixel in the highest bit.

    `x` is the area's left column on the screen; columns of the first and last word outside
    the area are unlit. `lit_bit` is the value of a lit pixel (0 on BX-6 cards).
    """
    if x < 0:
        raise ValueError(f"x must be >= 0, not {x}")
    if word_bits % 8 or word_bits < 8:
        raise ValueError(f"word_bits must be a multiple of 8, not {word_bits}")
    if lit_bit not in (0, 1):
        raise ValueError(f"lit_bit is 0 or 1, not {lit_bit}")
    first, count = _row_words(x, bitmap.width, word_bits)
    total = count * word_bits
    shift = total - (x - first * word_bits) - bitmap.width
    full = (1 << total) - 1
    word_bytes = word_bits // 8
    out = bytearray()
    for row in bitmap.rows:
        lit = row << shift
        value = full & ~lit if lit_bit == 0 else lit
        for k in range(count - 1, -1, -1):
            word = value >> (k * word_bits) & ((1 << word_bits) - 1)
            out += word.to_bytes(word_bytes, byteorder)
    return bytes(out)


def unpack_words(
    data: bytes,
    width: int,
    height: int,
    *,
    x: int = 0,
    word_bits: int = 32,
    byteorder: ByteOrder = "little",
    lit_bit: int = 0,
) -> Bitmap:
    """The inverse of `pack_words`: what a card would show (for simulators and tests)."""
    first, count = _row_words(x, width, word_bits)
    word_bytes = word_bits // 8
    row_bytes = count * word_bytes
    if len(data) != row_bytes * height:
        raise ValueError(
            f"{len(data)} bytes of page data; {width} x {height} at x={x} needs "
            f"{row_bytes * height}"
        )
    total = count * word_bits
    shift = total - (x - first * word_bits) - width
    mask = (1 << width) - 1
    rows: list[int] = []
    for y in range(height):
        chunk = data[y * row_bytes : (y + 1) * row_bytes]
        value = 0
        for k in range(count):
            word = int.from_bytes(chunk[k * word_bytes : (k + 1) * word_bytes], byteorder)
            value = value << word_bits | word
        if lit_bit == 0:
            value = ~value & ((1 << total) - 1)
        rows.append(value >> shift & mask)
    return Bitmap(width, height, tuple(rows))


def pack_bx6(bitmap: Bitmap, x: int = 0, *, byteorder: ByteOrder = "little") -> bytes:
    """Single-colour BX-6 page data (the BX-6E rule of the manual's appendix 2)."""
    return pack_words(bitmap, x=x, word_bits=32, byteorder=byteorder, lit_bit=0)


def unpack_bx6(
    data: bytes, width: int, height: int, x: int = 0, *, byteorder: ByteOrder = "little"
) -> Bitmap:
    """The bitmap a single-colour BX-6 card draws from `data` (for simulators and tests)."""
    return unpack_words(data, width, height, x=x, word_bits=32, byteorder=byteorder, lit_bit=0)


class AreaGeometry(Protocol):
    """Where a dynamic area is: `bx6.DynamicArea` has these attributes."""

    @property
    def x(self) -> int: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


def render_area(font: HexFont, text: str, area: AreaGeometry, *, align: Align = "center") -> Bitmap:
    """What `bx6_renderer` draws: `text` (lines split at ``\\n``) in the area's size."""
    return font.render_lines(text.split("\n"), area.width, area.height, align=align)


def bx6_renderer(
    font: HexFont, *, align: Align = "center", byteorder: ByteOrder = "little"
) -> Callable[[str, AreaGeometry], bytes]:
    """The renderer `bx6.encode_update_area(area, text, render=...)` takes."""

    def render(text: str, area: AreaGeometry) -> bytes:
        return pack_bx6(render_area(font, text, area, align=align), area.x, byteorder=byteorder)

    return render
