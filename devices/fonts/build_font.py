"""Write `hall-gb2312.hex.gz`, the gateway's bundled LED font, from GNU Unifont's unifont.hex.

    python devices/fonts/build_font.py [--source /usr/share/unifont/unifont.hex]
                                       [--out devices/fonts/hall-gb2312.hex.gz]
                                       [--hall config/demo-hall.toml ...]

It keeps the glyphs of: printable ASCII; every character of GB2312 (each valid two-byte code,
rows A1-F7, decoded with Python's gb2312 codec: 7,445 characters); the hall's own phrases
(`HALL_TEXTS`: strip texts, board arrow, Mandarin numbers, the pads' pause reasons); the
names in the given hall files (hall, services, windows); and U+FFFD, the glyph of a character
the font lacks. Lines are written in code point order, unchanged, after a header saying where
they come from, and gzipped with no time stamp, so the same source gives the same bytes.

Debian's `unifont` package installs unifont.hex (`apt-get install unifont`). A character that
the source lacks is named on stderr and the script exits with status 1.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

HERE: Final = Path(__file__).resolve().parent
DEFAULT_SOURCE: Final = Path("/usr/share/unifont/unifont.hex")
DEFAULT_OUT: Final = HERE / "hall-gb2312.hex.gz"
DEFAULT_HALLS: Final = tuple(sorted((HERE.parent.parent / "config").glob("*hall*.toml")))

# What strips and boards show besides configured names: `displays.ledtext` (请A001号,
# A001 办理中, 欢迎光临, 暂停服务, 窗口关闭), `displays.board` (A001 → 综合窗口), numbers in
# words, and the pause reasons the window pads offer and the demo uses.
HALL_TEXTS: Final = (
    "请号到窗口办理中欢迎光临暂停服务关闭综合前面还有人预计等待约分钟",
    "零一二三四五六七八九十百杠",
    "→·：，。、（）！？",
    "午休临时离开会议业务咨询系统故障维护",
)
REPLACEMENT: Final = "\ufffd"


def gb2312_chars() -> Iterator[str]:
    """Every character GB2312 encodes in two bytes, in code order."""
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                yield bytes((high, low)).decode("gb2312")
            except UnicodeDecodeError:
                continue  # an unassigned code


def hall_names(path: Path) -> Iterator[str]:
    """The hall's name and the names of its services and windows, from a hall file."""
    with path.open("rb") as f:
        doc = tomllib.load(f)
    yield str(doc.get("hall", {}).get("name", ""))
    for table in ("services", "windows"):
        for entry in doc.get(table, []):
            yield str(entry.get("name", ""))


def wanted_chars(halls: Iterable[Path]) -> list[str]:
    """The characters the bundled font keeps, each once, in code point order."""
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars.update(gb2312_chars())
    for text in HALL_TEXTS:
        chars.update(text)
    for hall in halls:
        for name in hall_names(hall):
            chars.update(name)
    chars.add(REPLACEMENT)
    chars.discard("\n")
    return sorted(chars, key=ord)


def read_hex(source: Path) -> dict[int, str]:
    glyphs: dict[int, str] = {}
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            code, sep, bits = line.strip().partition(":")
            if sep and code and not code.startswith("#"):
                glyphs[int(code, 16)] = bits.upper()
    return glyphs


def unifont_version() -> str:
    """The installed Debian package's version, for the header."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "unifont"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown version"
    version = done.stdout.strip()
    if done.returncode != 0 or not version:
        return "unknown version"
    upstream = version.split(":", 1)[-1].rsplit("-", 1)[0]
    return f"{upstream} (Debian package unifont {version})"


def header(version: str, count: int) -> str:
    return f"""\
# hall-gb2312.hex: {count} glyphs of GNU Unifont for a service hall's LED strips and boards:
# printable ASCII, every character of GB2312, the hall's own phrases and U+FFFD.
#
# Source: unifont.hex of GNU Unifont {version},
# https://unifoundry.com/unifont/ , lines copied unchanged. Copyright (C) 1998-2019 Jungshik
# Shin, Roman Czyborra, Qianqian Fang, Luis Alejandro Gonzalez Miranda, Paul Hardy, Andrew
# Miller, David Corbett, Johnnie Weaver and the other contributors to GNU Unifont.
# Licence: GNU General Public License, version 2 or later, with the GNU font embedding
# exception, or SIL Open Font License, version 1.1, at your option (README.md, GPL-2.0.txt,
# OFL-1.1.txt beside this file).
#
# Format: one glyph per line, "XXXX:hexbits" (code point, then 16 rows of 8 or 16 pixels).
# Regenerate with: python devices/fonts/build_font.py
"""


def build(source: Path, out: Path, halls: Iterable[Path], version: str) -> list[str]:
    """Write the font to `out`; the wanted characters `source` lacks."""
    glyphs = read_hex(source)
    chars = wanted_chars(halls)
    missing = [c for c in chars if ord(c) not in glyphs]
    kept = [c for c in chars if ord(c) in glyphs]
    lines = [f"{ord(c):04X}:{glyphs[ord(c)]}" for c in kept]
    text = header(version, len(lines)) + "\n".join(lines) + "\n"
    with out.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as packed:  # fmt: skip
        packed.write(text.encode("utf-8"))
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the bundled GB2312 LED font")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="unifont.hex")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .hex.gz to write")
    parser.add_argument(
        "--hall", type=Path, action="append", help="a hall file whose names to keep (repeatable)"
    )
    parser.add_argument("--version", default=None, help="Unifont's version, for the header")
    args = parser.parse_args(argv)
    halls = args.hall if args.hall is not None else list(DEFAULT_HALLS)
    missing = build(args.source, args.out, halls, args.version or unifont_version())
    if missing:
        shown = " ".join(f"{c} (U+{ord(c):04X})" for c in missing)
        print(f"not in {args.source}: {shown}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
