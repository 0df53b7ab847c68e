"""Loading the bitmap font that BX-6 LED cards are drawn with (the I/O half of
`displays.bitmap`).

`load_font()` reads GNU Unifont from Debian's `unifont` package
(/usr/share/unifont/unifont.hex: every character of the Basic Multilingual Plane) and, when
that is not installed, the subset bundled here (`devices/fonts/hall-subset.hex`: ASCII and the
characters of a hall's usual texts). `load_font(path)` reads any .hex file.

The bundled subset is generated from unifont.hex:

    python -m devices.font devices/fonts/hall-subset.hex
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from displays.bitmap import REPLACEMENT, FontError, HexFont

SYSTEM_UNIFONT: Final = Path("/usr/share/unifont/unifont.hex")
BUNDLED_SUBSET: Final = Path(__file__).resolve().parent / "fonts" / "hall-subset.hex"

# What window strips and boards show: the strip texts of displays.ledtext, board lines
# ("A001 → 1号窗口"), pause reasons, guidance, and numbers in words.
HALL_PHRASES: Final = (
    "请号到窗口办理中欢迎光临暂停服务关闭综合前面还有人预计等待约分钟午休"
    "一二三四五六七八九十零"
    "→·：，。、（）！？"
)
ASCII_PRINTABLE: Final = "".join(chr(c) for c in range(0x20, 0x7F))
SUBSET_CHARS: Final = ASCII_PRINTABLE + HALL_PHRASES + chr(REPLACEMENT)

SUBSET_HEADER: Final = """\
# hall-subset.hex: the glyphs of GNU Unifont that a service hall's LED strips need: printable
# ASCII, the characters of the hall's usual texts (请号到窗口办理中欢迎光临暂停服务关闭综合
# 前面还有人预计等待约分钟午休, 一二三四五六七八九十零, → and common punctuation) and U+FFFD.
#
# Source: unifont.hex of GNU Unifont 15.0.01 (Debian package unifont 1:15.0.01-2),
# https://unifoundry.com/unifont/ . Unifont is dual licensed: the GNU General Public License,
# version 2 or later, with the GNU font embedding exception, or the SIL Open Font License,
# version 1.1, at your option.
#
# Format: one glyph per line, "XXXX:hexbits" (code point, then 16 rows of 8 or 16 pixels).
# Regenerate with: python -m devices.font devices/fonts/hall-subset.hex
"""


def load_font(path: str | Path | None = None) -> HexFont:
    """The font at `path`; by default the system's Unifont, else the bundled subset.

    Raises `FontError` for a file that is not a .hex font and `OSError` for one that cannot
    be read.
    """
    if path is None:
        path = SYSTEM_UNIFONT if SYSTEM_UNIFONT.is_file() else BUNDLED_SUBSET
    file = Path(path)
    with file.open(encoding="utf-8") as lines:
        try:
            return HexFont.from_lines(lines, source=str(file))
        except UnicodeDecodeError as exc:
            raise FontError(f"{file}: not a .hex font (not UTF-8 text)") from exc


def subset_lines(font: HexFont, chars: Iterable[str]) -> list[str]:
    """The .hex lines of `chars` that `font` has, in code point order, each once."""
    lines: list[str] = []
    for char in sorted(set(chars), key=ord):
        line = font.hex_line(char)
        if line is not None:
            lines.append(line)
    return lines


def write_subset(source: Path, out: Path, chars: str = SUBSET_CHARS) -> list[str]:
    """Write the bundled subset from `source` to `out`; the characters `source` lacks."""
    font = load_font(source)
    missing = [c for c in dict.fromkeys(chars) if c not in font]
    out.write_text(SUBSET_HEADER + "\n".join(subset_lines(font, chars)) + "\n", "utf-8")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devices.font", description="write the bundled Unifont subset"
    )
    parser.add_argument("out", type=Path, help="where to write it")
    parser.add_argument("--source", type=Path, default=SYSTEM_UNIFONT, help="unifont.hex")
    args = parser.parse_args(argv)
    missing = write_subset(args.source, args.out)
    if missing:
        print(f"not in {args.source}: {''.join(missing)}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
