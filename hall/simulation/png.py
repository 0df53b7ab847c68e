"""PNG charts without an imaging library: a small RGB canvas, lines, bars, dots, a 3×5 font of
digits and capital letters for the axes, titles and legends, and the PNG encoding (zlib, as
the format specifies)."""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (40, 40, 40)
GRID: Color = (225, 225, 225)
# Ten colours told apart on screen and on paper; an eleventh series and on repeat them as
# dashed lines (`Plot.style`).
PALETTE: tuple[Color, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
DASH = 6  # pixels drawn, then as many skipped, in a dashed line

# 3×5 glyphs, rows top to bottom, 3 bits each (4 is the left column). Text is drawn in
# capitals; a character without a glyph is a space.
_GLYPHS = {
    "A": (2, 5, 7, 5, 5),
    "B": (6, 5, 6, 5, 6),
    "C": (3, 4, 4, 4, 3),
    "D": (6, 5, 5, 5, 6),
    "E": (7, 4, 6, 4, 7),
    "F": (7, 4, 6, 4, 4),
    "G": (3, 4, 5, 5, 3),
    "H": (5, 5, 7, 5, 5),
    "I": (7, 2, 2, 2, 7),
    "J": (1, 1, 1, 5, 2),
    "K": (5, 5, 6, 5, 5),
    "L": (4, 4, 4, 4, 7),
    "M": (5, 7, 7, 5, 5),
    "N": (6, 5, 5, 5, 5),
    "O": (2, 5, 5, 5, 2),
    "P": (6, 5, 6, 4, 4),
    "Q": (2, 5, 5, 6, 3),
    "R": (6, 5, 6, 5, 5),
    "S": (3, 4, 2, 1, 6),
    "T": (7, 2, 2, 2, 2),
    "U": (5, 5, 5, 5, 7),
    "V": (5, 5, 5, 5, 2),
    "W": (5, 5, 7, 7, 5),
    "X": (5, 5, 2, 5, 5),
    "Y": (5, 5, 2, 2, 2),
    "Z": (7, 1, 2, 4, 7),
    "(": (1, 2, 2, 2, 1),
    ")": (4, 2, 2, 2, 4),
    "/": (1, 1, 2, 4, 4),
    ",": (0, 0, 0, 2, 4),
    "'": (2, 2, 0, 0, 0),
    "=": (0, 7, 0, 7, 0),
    "0": (7, 5, 5, 5, 7),
    "1": (2, 6, 2, 2, 7),
    "2": (7, 1, 7, 4, 7),
    "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7),
    "6": (7, 4, 7, 5, 7),
    "7": (7, 1, 1, 2, 2),
    "8": (7, 5, 7, 5, 7),
    "9": (7, 5, 7, 1, 7),
    ":": (0, 2, 0, 2, 0),
    ".": (0, 0, 0, 0, 2),
    "%": (5, 1, 2, 4, 5),
    "-": (0, 0, 7, 0, 0),
    " ": (0, 0, 0, 0, 0),
}


def encode_png(width: int, height: int, pixels: bytearray) -> bytes:
    """An 8-bit RGB PNG of `pixels` (rows of width × 3 bytes, top first)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 3
    raw = b"".join(b"\x00" + bytes(pixels[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def dot(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.pixels[i : i + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, min(y0, y1)), min(self.height, max(y0, y1) + 1)):
            for x in range(max(0, min(x0, x1)), min(self.width, max(x0, x1) + 1)):
                self.dot(x, y, color)

    def line(
        self, x0: int, y0: int, x1: int, y1: int, color: Color, *, dashed: bool = False
    ) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            if dashed and (i // DASH) % 2:
                continue
            self.dot(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps), color)

    def text(self, x: int, y: int, text: str, color: Color = BLACK, scale: int = 2) -> None:
        for n, char in enumerate(text.upper()):
            rows = _GLYPHS.get(char, _GLYPHS[" "])
            for row, bits in enumerate(rows):
                for col in range(3):
                    if bits & (4 >> col):
                        left, top = x + (n * 4 + col) * scale, y + row * scale
                        self.rect(left, top, left + scale - 1, top + scale - 1, color)

    def png(self) -> bytes:
        return encode_png(self.width, self.height, self.pixels)


def nice_step(top: float, count: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) dividing 0..`top` into about `count`."""
    if top <= 0:
        return 1.0
    rough = top / count
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= rough)


def text_width(text: str, scale: int = 2) -> int:
    """Pixels `Canvas.text` takes for `text` across (a glyph and a column of space each)."""
    return 4 * scale * len(text) - scale if text else 0


LEGEND_ROW = 14  # pixels from one legend row to the next
LegendEntry = tuple[Color, str, bool]  # a series' colour, its label, whether it is dashed


class Plot:
    """A chart area with axes: x and y in data units mapped onto the canvas. Above it the
    chart's title, then the y axis's title (left) and the legend (right, in as many rows as
    it needs, the chart area below them); below it the x axis's ticks and title. The y axis
    goes up to a round number in round steps."""

    def __init__(
        self,
        x_range: tuple[float, float],
        y_max: float,
        width: int = 900,
        height: int = 440,
        *,
        title: str = "",
        x_title: str = "",
        y_title: str = "",
        legend: Sequence[LegendEntry] = (),
        y_step: float | None = None,
    ) -> None:
        self.canvas = Canvas(width, height)
        self.left, self.right = 60, width - 20
        rows = self._legend(legend, 8 + text_width(y_title) + 24)
        self.top, self.bottom = 56 + LEGEND_ROW * (rows - 1), height - 56
        self.x0, self.x1 = x_range
        self.y_step = y_step or (nice_step(y_max) if y_max > 0 else 0.2)
        self.y_max = math.ceil(y_max / self.y_step - 1e-9) * self.y_step if y_max > 0 else 1.0
        self.canvas.text(self.left, 8, title, scale=3)
        self.canvas.text(8, 34, y_title)
        self.canvas.text(
            (self.left + self.right - text_width(x_title)) // 2, self.bottom + 32, x_title
        )

    @staticmethod
    def style(index: int) -> tuple[Color, bool]:
        """The colour of the index-th series, and whether its line is dashed."""
        return PALETTE[index % len(PALETTE)], (index // len(PALETTE)) % 2 == 1

    def _legend(self, entries: Sequence[LegendEntry], leftmost: int) -> int:
        """A swatch (hollow for a dashed series) and a label per entry, in rows ending at the
        plot's right edge and not reaching left of `leftmost`; the number of rows drawn."""
        rows: list[list[tuple[LegendEntry, int]]] = [[]]
        used = 0
        for entry in entries:
            width = 14 + text_width(entry[1]) + 16
            if rows[-1] and used + width - 16 > self.right - leftmost:
                rows.append([])
                used = 0
            rows[-1].append((entry, width))
            used += width
        for n, row in enumerate(rows):
            y = 34 + n * LEGEND_ROW
            x = self.right - sum(width for _entry, width in row) + 16
            for (color, label, dashed), width in row:
                self.canvas.rect(x, y, x + 9, y + 9, color)
                if dashed:
                    self.canvas.rect(x + 2, y + 2, x + 7, y + 7, WHITE)
                self.canvas.text(x + 14, y, label)
                x += width
        return len(rows)

    def x(self, value: float) -> int:
        span = (self.x1 - self.x0) or 1.0
        return round(self.left + (value - self.x0) / span * (self.right - self.left))

    def y(self, value: float) -> int:
        return round(self.bottom - value / self.y_max * (self.bottom - self.top))

    def axes(self, x_ticks: Sequence[tuple[float, str]]) -> None:
        c = self.canvas
        for i in range(round(self.y_max / self.y_step) + 1):
            value = i * self.y_step
            y = self.y(value)
            c.line(self.left, y, self.right, y, GRID)
            label = f"{value:.0f}" if self.y_step >= 1 else f"{value:.1f}"
            c.text(self.left - 8 - 8 * len(label), y - 5, label)
        for value, label in x_ticks:
            x = self.x(value)
            c.line(x, self.top, x, self.bottom, GRID)
            c.text(x - 4 * len(label), self.bottom + 10, label)
        c.line(self.left, self.bottom, self.right, self.bottom, BLACK)
        c.line(self.left, self.top, self.left, self.bottom, BLACK)

    def series(
        self, points: Sequence[tuple[float, float]], color: Color, *, dashed: bool = False
    ) -> None:
        for (xa, ya), (xb, yb) in itertools.pairwise(points):
            self.canvas.line(self.x(xa), self.y(ya), self.x(xb), self.y(yb), color, dashed=dashed)

    def bar(self, x_from: float, x_to: float, value: float, color: Color) -> None:
        if value <= 0:  # nothing to draw: not a sliver on the axis
            return
        self.canvas.rect(self.x(x_from), self.y(value), self.x(x_to), self.bottom - 1, color)

    def point(self, x: float, y: float, color: Color) -> None:
        cx, cy = self.x(x), self.y(min(y, self.y_max))
        self.canvas.rect(cx - 1, cy - 1, cx + 1, cy + 1, color)
