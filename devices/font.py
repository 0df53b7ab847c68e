"""Loading the bitmap font that BX-6 LED cards are drawn with (the I/O half of
`displays.bitmap`).

`load_font()` reads the font bundled with the gateway, `devices/fonts/hall-gb2312.hex.gz`:
the 16-pixel glyphs of GNU Unifont for printable ASCII, every character of GB2312 (7,445:
the 6,763 hanzi of levels 1 and 2 and the symbols, full-width forms, kana, Greek and Cyrillic
of the standard) and every character the hall's own phrases use: 7,542 glyphs, 516 KB of text
in 167 KB gzipped. `load_font(path)` reads any GNU Unifont .hex file (plain, or gzipped when
its name ends in .gz), e.g. Debian's complete `/usr/share/unifont/unifont.hex` (57,000 glyphs of the
Basic Multilingual Plane) for a hall whose names need characters beyond GB2312.

Loading is lazy twice over: `bundled_font()` reads the file once per process, on first use
(the gateway only when a card draws pixels, `hall check-config` only when it checks texts),
and a glyph's bits are decoded only when it is first drawn. Time and memory are measured by
`bench/font_load.py` (BENCHMARKS.md).

`undrawable(text, font)` lists the characters of a text that the font lacks (drawn as the
replacement glyph): `hall check-config` names each configured text that has any.

The bundled file is generated from unifont.hex by `devices/fonts/build_font.py`; its
licences are beside it (`devices/fonts/README.md`).
"""

from __future__ import annotations

import functools
import gzip
import io
import unicodedata
from pathlib import Path
from typing import Final

from displays.bitmap import FontError, HexFont
from displays.ledtext import clean

FONTS_DIR: Final = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT: Final = FONTS_DIR / "hall-gb2312.hex.gz"


def load_font(path: str | Path | None = None) -> HexFont:
    """The font at `path` (.hex, or .hex.gz), by default the bundled one.

    Raises `FontError` for a file that is not a .hex font and `OSError` for one that cannot
    be read.
    """
    file = BUNDLED_FONT if path is None else Path(path)
    try:
        if file.name.endswith(".gz"):
            with gzip.open(file, "rb") as packed:
                text = packed.read().decode("utf-8")
        else:
            text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FontError(f"{file}: not a .hex font (not UTF-8 text)") from exc
    except (gzip.BadGzipFile, EOFError) as exc:
        raise FontError(f"{file}: not a gzipped .hex font ({exc})") from exc
    return HexFont.from_lines(io.StringIO(text), source=str(file))


@functools.cache
def bundled_font() -> HexFont:
    """The bundled font, read on first use and kept for the life of the process."""
    return load_font(BUNDLED_FONT)


def undrawable(text: str, font: HexFont) -> str:
    """The characters of `text` (as a strip shows it) that `font` has no glyph for, each once.

    Spaces and combining marks are left out: a strip draws no glyph for them.
    """
    missing: dict[str, None] = {}
    for char in clean(text):
        if char == " " or unicodedata.combining(char) or char in font:
            continue
        missing[char] = None
    return "".join(missing)
