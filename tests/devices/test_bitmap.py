"""The bitmap font and BX-6 pixel packing (pure), and the font loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import bx6
from devices.font import load_font
from displays.bitmap import (
    Bitmap,
    FontError,
    HexFont,
    bx6_renderer,
    pack_bx6,
    render_area,
    unpack_bx6,
)

A = "0041:0000000018242442427E424242420000"
QING = "8BF7:0040404027FC204003F80040E7FE200023F8220823F822082BF8320822280210"


def test_from_lines_reads_narrow_and_wide_glyphs() -> None:
    font = HexFont.from_lines(["# a comment", "", A, QING])
    assert len(font) == 2
    assert font.glyph("A").width == 8
    assert font.glyph("请").width == 16
    assert font.glyph("A").rows[4] == 0x18
    assert font.glyph("请").rows[1] == 0x4040


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0041:00", "2 hex digits"),
        ("zz:" + "0" * 32, "expected 'XXXX:hexbits'"),
        ("0041" + "0" * 32, "expected 'XXXX:hexbits'"),
        ("0041:" + "g" * 32, "32 hex digits"),
        ("110000:" + "0" * 32, "not a Unicode code point"),
    ],
)
def test_bad_lines_name_the_source_and_line(line: str, message: str) -> None:
    with pytest.raises(FontError, match=message) as info:
        HexFont.from_lines([A, line], source="x.hex")
    assert "x.hex:2" in str(info.value)


def test_an_empty_font_is_an_error() -> None:
    with pytest.raises(FontError, match="no glyphs"):
        HexFont.from_lines(["# nothing"])


def test_render_places_glyphs_left_or_centred() -> None:
    font = HexFont.from_lines([A, QING])
    left = font.render("A", 32, 16)
    centred = font.render("A", 32, 16, align="center")
    assert left.width == 32 and left.height == 16
    assert left.rows[4] == 0x18 << 24
    assert centred.rows[4] == 0x18 << 12
    assert font.render("请A", 24, 16).rows[1] == 0x4040 << 8


def test_render_never_splits_a_glyph() -> None:
    font = HexFont.from_lines([A, QING])
    # 请 (16) + A (8) = 24 pixels; a width of 30 keeps both, 23 only 请, 15 nothing.
    assert font.render("请A", 30, 16) == font.render("请A", 30, 16)
    assert font.render("请A", 23, 16).rows == font.render("请", 23, 16).rows
    assert font.render("请A", 15, 16).lit() == 0


def test_vertical_centring_and_cropping() -> None:
    font = HexFont.from_lines([A])
    tall = font.render("A", 8, 32)
    assert tall.rows[8:24] == font.render("A", 8, 16).rows
    assert tall.rows[:8] == (0,) * 8
    short = font.render("A", 8, 8)
    assert short.rows == font.render("A", 8, 16).rows[:8]


def test_missing_characters_use_the_replacement_glyph_or_a_box() -> None:
    font = HexFont.from_lines([A])
    boxed = font.render("龘", 16, 16)
    assert boxed.lit() > 0
    with_fffd = HexFont.from_lines([A, "FFFD:0000007E665A5A7A76767E76767E0000"])
    assert with_fffd.glyph("龘") == with_fffd.glyph("\ufffd")


def test_render_lines_stacks_lines_of_16_pixels() -> None:
    font = HexFont.from_lines([A, QING])
    both = font.render_lines(["A", "请"], 16, 32)
    assert both.rows[:16] == font.render("A", 16, 16).rows
    assert both.rows[16:] == font.render("请", 16, 16).rows
    # Only as many lines as fit.
    assert font.render_lines(["A", "请"], 16, 16) == font.render("A", 16, 16)


def test_bitmap_checks_its_shape() -> None:
    with pytest.raises(ValueError, match="rows"):
        Bitmap(8, 2, (0,))
    with pytest.raises(ValueError, match="outside the width"):
        Bitmap(8, 1, (0x100,))
    bitmap = Bitmap(8, 1, (0x81,))
    assert bitmap.pixel(0, 0) and bitmap.pixel(7, 0) and not bitmap.pixel(1, 0)
    assert bitmap.to_text() == "#......#"


def test_pack_bx6_follows_the_bx6e_word_rule() -> None:
    # One lit pixel at (0, 0): bit 31 of the first word is 0, every other bit 1 (unlit),
    # and the word goes out little-endian.
    bitmap = Bitmap(32, 1, (1 << 31,))
    assert pack_bx6(bitmap) == bytes([0xFF, 0xFF, 0xFF, 0x7F])
    # A 40-pixel row takes two words; its last pixel (column 39) is bit 24 of the second
    # word, and the columns past the area are padding (1).
    two = pack_bx6(Bitmap(40, 1, (1,)))
    assert two == bytes([0xFF, 0xFF, 0xFF, 0xFF]) + bytes([0xFF, 0xFF, 0xFF, 0xFE])
    # An area starting at x = 35: its first pixel is column 3 of its word (bit 28).
    shifted = pack_bx6(Bitmap(8, 1, (0x80,)), 35)
    assert shifted == (0xFFFFFFFF & ~(1 << 28)).to_bytes(4, "little")


@given(
    width=st.integers(1, 80),
    height=st.integers(1, 4),
    x=st.integers(0, 70),
    data=st.data(),
)
def test_unpack_bx6_inverts_pack_bx6(width: int, height: int, x: int, data: st.DataObject) -> None:
    rows = tuple(data.draw(st.integers(0, (1 << width) - 1)) for _ in range(height))
    bitmap = Bitmap(width, height, rows)
    packed = pack_bx6(bitmap, x)
    assert len(packed) % 4 == 0
    assert unpack_bx6(packed, width, height, x) == bitmap


def test_the_renderer_fits_encode_update_area(font: HexFont) -> None:
    area = bx6.DynamicArea(area_id=0, x=0, y=0, width=64, height=16)
    frame = bx6.encode_update_area(area, "请A001号", render=bx6_renderer(font))
    parsed = bx6.parse_frame(frame)
    page = parsed.data[-len(pack_bx6(font.render("请A001号", 64, 16, align="center"))) :]
    assert unpack_bx6(page, 64, 16) == render_area(font, "请A001号", area)
    # 请 A 0 0 1 号 is exactly 64 pixels: nothing is cut.
    assert font.text_width("请A001号") == 64


def test_load_font_reports_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hex"
    bad.write_text("0041:12\n", encoding="utf-8")
    with pytest.raises(FontError, match=r"bad\.hex:1"):
        load_font(bad)
    with pytest.raises(OSError):
        load_font(tmp_path / "missing.hex")
