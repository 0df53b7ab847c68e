"""LED text layout: cell widths, truncation, marquee frames, window strip texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from displays.ledtext import (
    char_cells,
    clean,
    fit,
    pad,
    text_cells,
    window_strip_text,
)

# Mixed LED text: ASCII, Chinese, full-width forms, ambiguous symbols, combining marks.
led_chars = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from("Ａ１号，：→·…①ｶé\u0301\u3000"),
    st.characters(exclude_categories=["Cs"]),
)
led_texts = st.text(led_chars, max_size=40)
widths = st.integers(min_value=1, max_value=40)


@pytest.mark.parametrize(
    ("ch", "cells"),
    [("A", 1), ("1", 1), (" ", 1), ("号", 2), ("Ａ", 2), ("，", 2), ("→", 2), ("ｶ", 1)],
)
def test_char_cells(ch: str, cells: int) -> None:
    assert char_cells(ch) == cells


def test_ambiguous_width_can_be_narrow() -> None:
    assert char_cells("→", ambiguous_wide=False) == 1
    assert text_cells("A001 → 1号窗口") == 15
    assert text_cells("A001 → 1号窗口", ambiguous_wide=False) == 14


@pytest.mark.parametrize(
    ("text", "cells", "expected"),
    [
        ("请A001号", 8, "请A001号"),
        ("请A001号", 7, "请A001"),  # 号 needs 2 cells, only 1 is left: it is left out whole
        ("请A001号", 1, ""),
        ("欢迎光临", 5, "欢迎"),
        ("A001 办理中", 20, "A001 办理中"),
        ("line\nbreak", 20, "line break"),
    ],
)
def test_truncate(text: str, cells: int, expected: str) -> None:
    assert fit(text, cells) == [expected]


def test_scroll_frames() -> None:
    frames = fit("欢迎光临ABC", 6, "scroll", gap=2)
    assert frames == [
        "欢迎光",
        "迎光临",
        "光临AB",
        "临ABC ",
        "ABC   ",  # 欢 would need 2 cells, 1 is left: a blank instead of half a character
        "BC  欢",
        "C  欢 ",
        "  欢迎",
        " 欢迎 ",
    ]


def test_scroll_of_a_fitting_text_is_one_frame() -> None:
    assert fit("欢迎光临", 8, "scroll") == ["欢迎光临"]


@pytest.mark.parametrize("cells", [0, -1])
def test_fit_needs_a_cell(cells: int) -> None:
    with pytest.raises(ValueError):
        fit("x", cells)


def test_unknown_overflow() -> None:
    with pytest.raises(ValueError, match="overflow"):
        fit("x", 4, "wrap")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("align", "expected"),
    [("left", "号A  "), ("right", "  号A"), ("center", " 号A ")],
)
def test_pad(align: str, expected: str) -> None:
    assert pad("号A", 5, align) == expected  # type: ignore[arg-type]


@given(led_texts, widths)
def test_truncate_never_exceeds_and_keeps_whole_chars(text: str, cells: int) -> None:
    (frame,) = fit(text, cells, "truncate")
    line = clean(text)
    assert text_cells(frame) <= cells
    assert line.startswith(frame)  # whole characters only, in order
    rest = line[len(frame) :]
    if rest:  # it stopped only because the next character does not fit
        assert text_cells(frame) + char_cells(rest[0]) > cells


@given(led_texts, widths, st.integers(min_value=0, max_value=4))
def test_scroll_frames_never_exceed_and_keep_whole_chars(text: str, cells: int, gap: int) -> None:
    frames = fit(text, cells, "scroll", gap=gap)
    line = clean(text)
    assert frames
    for frame in frames:
        assert text_cells(frame) <= cells
    if text_cells(line) <= cells:
        assert frames == [line]
        return
    loop = line + " " * gap
    for frame in frames:
        assert text_cells(frame) == cells  # every frame fills the strip exactly
        # Each frame is a run of whole characters of the looping text, then padding.
        body = frame.rstrip(" ") if frame.strip() else ""
        assert body in loop + loop
    assert frames[0].startswith(truncate_to(line, cells))


def truncate_to(line: str, cells: int) -> str:
    return fit(line, cells)[0]


@pytest.mark.parametrize(
    ("state", "ticket", "reason", "expected"),
    [
        ("called", "A001", None, "请A001号"),
        ("open", "A001", None, "请A001号"),
        ("serving", "A001", None, "A001 办理中"),
        ("open", None, None, "欢迎光临"),
        ("paused", None, None, "暂停服务"),
        ("paused", "A001", "午休", "暂停服务 午休"),
        ("paused", None, "  系统\n维护 ", "暂停服务 系统 维护"),
        ("closed", None, None, "窗口关闭"),
        ("closed", "A001", None, "窗口关闭"),
    ],
)
def test_window_strip_text(
    state: str, ticket: str | None, reason: str | None, expected: str
) -> None:
    assert window_strip_text(state, ticket, reason) == expected


@pytest.mark.parametrize(
    ("state", "ticket"),
    [("called", None), ("serving", None), ("busy", None), ("called", "a001"), ("serving", "A1")],
)
def test_window_strip_text_refuses(state: str, ticket: str | None) -> None:
    with pytest.raises(ValueError):
        window_strip_text(state, ticket)
