"""Announcement phrasing: display text, spoken text, and what is refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from displays.phrasing import (
    ZH_DIGITS,
    announce_text,
    default_window_name,
    digits_zh,
    spoken_text,
    window_display_name,
)

ticket_nos = st.from_regex(r"\A[A-Z][0-9]{3}\Z")
window_ids = st.integers(min_value=1, max_value=9999).map(str)


@pytest.mark.parametrize(
    ("ticket", "window", "expected"),
    [
        ("A001", "1号窗口", "请A001号到1号窗口办理"),
        ("B120", "综合窗口", "请B120号到综合窗口办理"),
        ("Z999", "12号窗口", "请Z999号到12号窗口办理"),
    ],
)
def test_announce_text(ticket: str, window: str, expected: str) -> None:
    assert announce_text(ticket, window) == expected


@pytest.mark.parametrize(
    ("ticket", "window", "expected"),
    [
        ("A001", "1号窗口", "请，A，零零一号，到，一号窗口办理"),
        ("A001", "3号窗口", "请，A，零零一号，到，三号窗口办理"),
        ("B220", "2号窗口", "请，B，二二零号，到，二号窗口办理"),  # 二, never 两
        ("C100", "10号窗口", "请，C，一零零号，到，一零号窗口办理"),  # digit by digit
        ("D052", "综合窗口", "请，D，零五二号，到，综合窗口办理"),
        ("E789", "VIP窗口", "请，E，七八九号，到，V I P窗口办理"),
        ("F346", "3-1号窗口", "请，F，三四六号，到，三杠一号窗口办理"),
    ],
)
def test_spoken_text_zh(ticket: str, window: str, expected: str) -> None:
    assert spoken_text(ticket, window) == expected


@pytest.mark.parametrize(
    ("ticket", "window", "expected"),
    [
        ("A001", "1号窗口", "Number A 0 0 1, please go to window 1"),
        ("B120", "12号窗口", "Number B 1 2 0, please go to window 1 2"),
        ("C007", "综合窗口", "Number C 0 0 7, please go to 综合窗口"),
    ],
)
def test_spoken_text_en(ticket: str, window: str, expected: str) -> None:
    assert spoken_text(ticket, window, lang="en") == expected


@pytest.mark.parametrize(
    "ticket",
    ["", "A01", "A0001", "a001", "AA01", "1001", "A 001", "Ａ001", "A٠٠١", "A001\n", "张三"],
)
def test_bad_ticket_numbers_are_refused(ticket: str) -> None:
    with pytest.raises(ValueError, match="ticket number"):
        announce_text(ticket, "1号窗口")
    with pytest.raises(ValueError, match="ticket number"):
        spoken_text(ticket, "1号窗口")


@pytest.mark.parametrize(
    "window",
    ["", "   ", "1号窗口\n", "x" * 25, "110101199003077777", "请13800138000联系"],
)
def test_bad_window_names_are_refused(window: str) -> None:
    with pytest.raises(ValueError, match="window name"):
        spoken_text("A001", window)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        spoken_text("A001", "1号窗口", lang="fr")  # type: ignore[arg-type]


def test_window_names() -> None:
    assert default_window_name("1") == "1号窗口"
    assert window_display_name("4", "综合窗口") == "综合窗口"
    assert window_display_name("4", None) == "4号窗口"
    assert window_display_name("4", "  ") == "4号窗口"
    with pytest.raises(ValueError):
        default_window_name("Window 1")


@given(ticket_nos, window_ids)
def test_spoken_digits_are_read_one_by_one(ticket: str, window_id: str) -> None:
    spoken = spoken_text(ticket, default_window_name(window_id))
    assert not re.search(r"[0-9]", spoken)  # no digit left for the engine to read as a number
    assert not re.search("[十百千两]", spoken)
    expected_ticket = "".join(ZH_DIGITS[int(d)] for d in ticket[1:])
    expected_window = "".join(ZH_DIGITS[int(d)] for d in window_id)
    assert spoken == f"请，{ticket[0]}，{expected_ticket}号，到，{expected_window}号窗口办理"


@given(ticket_nos, window_ids)
def test_display_text_holds_only_ticket_and_window(ticket: str, window_id: str) -> None:
    window = default_window_name(window_id)
    assert announce_text(ticket, window) == f"请{ticket}号到{window}办理"


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_digits_zh_maps_each_digit(digits: str) -> None:
    spoken = digits_zh(digits)
    assert len(spoken) == len(digits)
    assert [ZH_DIGITS.index(ch) for ch in spoken] == [int(d) for d in digits]
