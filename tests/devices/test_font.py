"""The bundled LED font: all of GB2312 and the hall's own texts, copied unchanged from GNU
Unifont, reproducible from it, shipped with its licences; `check-config` names the configured
texts it cannot draw."""

from __future__ import annotations

import fnmatch
import gzip
import re
import tomllib
from pathlib import Path

import pytest

from devices.font import BUNDLED_FONT, FONTS_DIR, bundled_font, load_font, undrawable
from devices.fonts import build_font
from displays import board, ledtext, phrasing
from displays.bitmap import REPLACEMENT, FontError
from hall.cli.demo import PAUSE_REASONS
from hall.cli.main import main
from tests.support import DEMO_HALL, REPO_ROOT

SYSTEM_UNIFONT = Path("/usr/share/unifont/unifont.hex")
I18N = REPO_ROOT / "hall" / "web" / "static_files" / "static" / "i18n.js"
RARE = "\U00020000"  # 𠀀, CJK Extension B: not in GB2312 (nor in the Basic Multilingual Plane)


def gb2312() -> list[str]:
    return list(build_font.gb2312_chars())


def test_every_gb2312_character_and_ascii_is_drawn() -> None:
    font = bundled_font()
    chars = gb2312()
    assert len(chars) == 7445  # 6,763 hanzi and 682 other characters
    assert [c for c in chars if c not in font] == []
    assert all(chr(c) in font for c in range(0x20, 0x7F))
    assert chr(REPLACEMENT) in font
    assert font.glyph("中").width == 16 and font.glyph("A").width == 8


def pad_reasons() -> list[str]:
    """The pause reasons the window pad offers, in Chinese (its English ones are ASCII)."""
    found = re.findall(r'"pad\.reason\.[a-z]+": "([^"]+)"', I18N.read_text(encoding="utf-8"))
    return [reason for reason in found if not reason.isascii()]


def test_every_phrase_of_the_hall_is_drawn() -> None:
    font = bundled_font()
    reasons = pad_reasons()
    assert "午休" in reasons
    with DEMO_HALL.open("rb") as f:
        demo = tomllib.load(f)
    names = [demo["hall"]["name"]] + [s["name"] for s in demo["services"]]
    names += [w["name"] for w in demo["windows"] if "name" in w]
    texts = [
        ledtext.window_strip_text("called", "A001"),
        ledtext.window_strip_text("serving", "B012"),
        ledtext.window_strip_text("open", None),
        ledtext.window_strip_text("closed", None),
        *(ledtext.window_strip_text("paused", None, r) for r in (*reasons, *PAUSE_REASONS)),
        board.board_line("C123", "综合窗口"),
        phrasing.announce_text("A001", phrasing.default_window_name("12")),
        phrasing.ZH_DIGITS,
        *names,
    ]  # fmt: skip
    for text in texts:
        assert undrawable(text, font) == "", text
        assert font.glyph(chr(REPLACEMENT)) not in [font.glyph(c) for c in text if c != " "]


@pytest.mark.skipif(not SYSTEM_UNIFONT.is_file(), reason="Debian's unifont is not installed")
def test_glyphs_are_unifonts_own_and_the_file_is_reproducible(tmp_path: Path) -> None:
    system = load_font(SYSTEM_UNIFONT)
    font = bundled_font()
    for char in [*gb2312()[::97], "A", "→", chr(REPLACEMENT)]:
        assert font.hex_line(char) == system.hex_line(char)
    out = tmp_path / "font.hex.gz"
    missing = build_font.build(
        SYSTEM_UNIFONT, out, [DEMO_HALL], "15.0.01 (Debian package unifont 1:15.0.01-2)"
    )
    assert missing == []
    # The shipped file is what the script makes from Debian's unifont.hex, byte for byte.
    assert out.read_bytes() == BUNDLED_FONT.read_bytes()


def test_the_font_ships_with_its_licences() -> None:
    with gzip.open(BUNDLED_FONT, "rt", encoding="utf-8") as f:
        header = [next(f) for _ in range(12)]
    assert any("GNU Unifont 15.0.01" in line for line in header)
    assert any("SIL Open Font License, version 1.1" in line for line in header)
    assert any("font embedding" in line for line in header)
    readme = (FONTS_DIR / "README.md").read_text(encoding="utf-8")
    assert "As a special exception, if you create a document which uses this font" in readme
    assert "GNU GENERAL PUBLIC LICENSE" in (FONTS_DIR / "GPL-2.0.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in (FONTS_DIR / "OFL-1.1.txt").read_text(encoding="utf-8")
    # pyproject.toml's package data takes each of them into the package.
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["devices.fonts"]
    for name in ("hall-gb2312.hex.gz", "README.md", "GPL-2.0.txt", "OFL-1.1.txt"):
        assert (FONTS_DIR / name).is_file()
        assert any(fnmatch.fnmatch(name, p) for p in patterns), name


def test_undrawable_names_each_missing_character_once() -> None:
    font = bundled_font()
    assert undrawable(f"企业{RARE}开办{RARE}", font) == RARE
    assert undrawable("综合 窗口", font) == ""
    assert undrawable("", font) == ""


def test_gzipped_font_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hex.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(FontError, match=r"bad\.hex\.gz"):
        load_font(bad)
    good = tmp_path / "small.hex.gz"
    good.write_bytes(gzip.compress(b"0041:0000000018242442427E424242420000\n"))
    assert "A" in load_font(good) and "B" not in load_font(good)


def test_check_config_names_texts_a_strip_cannot_draw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DEMO_HALL.read_text(encoding="utf-8")
    text = text.replace('name = "企业开办"', f'name = "企业开办{RARE}"')
    text = text.replace('name = "综合窗口"', 'name = "综合窗口\U0002a6a5"')
    hall = tmp_path / "hall.toml"
    hall.write_text(text.replace('path = "../var/demo"', f'path = "{tmp_path}"'), "utf-8")
    lines = text.splitlines()
    service_line = lines.index(f'name = "企业开办{RARE}"') + 1
    window_line = lines.index('name = "综合窗口\U0002a6a5"') + 1
    assert main(["check-config", str(hall)]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if "LED strips cannot draw" in line]
    assert len(warnings) == 2, out
    assert warnings[0].startswith(f"{hall}:{service_line}: warning: services[3].name")
    assert "U+20000" in warnings[0]
    assert warnings[1].startswith(f"{hall}:{window_line}: warning: windows[4].name")
    assert "U+2A6A5" in warnings[1]
    # The demo hall itself draws whole; with Debian's whole Unifont as the font, so would
    # a name of the Basic Multilingual Plane beyond GB2312.
    assert main(["check-config", str(DEMO_HALL)]) == 0
    assert "LED strips cannot draw" not in capsys.readouterr().out
