"""Text layout for LED window strips and the hall LED board.

An LED controller draws text in cells: an ASCII (half-width) character takes one cell, a
Chinese or other full-width character two. Controllers fed GB2312/GBK text draw every
two-byte character, including "ambiguous" ones such as ``→`` and ``·``, in the full-width
font, so ambiguous characters count as two cells here too (``ambiguous_wide=False`` turns
that off for a controller with a half-width symbol font).

``fit`` lays a text out in a fixed number of cells, never exceeding it and never cutting a
double-width character in half: ``truncate`` keeps what fits, ``scroll`` returns the frames
of a marquee that moves one character per frame.

``window_strip_text`` says what a window's strip shows for the window's state.
"""

from __future__ import annotations

import unicodedata
from typing import Final, Literal

from displays.phrasing import check_ticket_no

Overflow = Literal["truncate", "scroll"]

# Shown on a window strip, by state.
TEXT_WELCOME: Final = "欢迎光临"
TEXT_PAUSED: Final = "暂停服务"
TEXT_CLOSED: Final = "窗口关闭"
STRIP_STATES: Final = ("closed", "open", "paused", "called", "serving")

# Blank cells between the end of a scrolling text and its next start.
DEFAULT_SCROLL_GAP: Final = 2


def char_cells(ch: str, *, ambiguous_wide: bool = True) -> int:
    """Cells one character takes: 2 for wide/full-width, 0 for combining marks, else 1."""
    if unicodedata.combining(ch):
        return 0
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("W", "F") or (ambiguous_wide and eaw == "A"):
        return 2
    return 1


def text_cells(text: str, *, ambiguous_wide: bool = True) -> int:
    """Cells a whole text takes."""
    return sum(char_cells(ch, ambiguous_wide=ambiguous_wide) for ch in text)


def clean(text: str) -> str:
    """One line of displayable text: NFC, line breaks and tabs as spaces, controls removed."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f\x85\u2028\u2029":
            out.append(" ")
        elif cat[0] == "C":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _take(text: str, start: int, cells: int, ambiguous_wide: bool) -> tuple[str, int]:
    """The longest run of whole characters from ``text[start:]`` fitting in ``cells``."""
    used = 0
    end = start
    while end < len(text):
        width = char_cells(text[end], ambiguous_wide=ambiguous_wide)
        if used + width > cells:
            break
        used += width
        end += 1
    return text[start:end], used


def truncate(text: str, cells: int, *, ambiguous_wide: bool = True) -> str:
    """The longest prefix of ``text`` that fits in ``cells`` (no padding)."""
    if cells < 0:
        raise ValueError(f"cells must be >= 0, got {cells}")
    head, _ = _take(text, 0, cells, ambiguous_wide)
    return head


def pad(
    text: str,
    cells: int,
    align: Literal["left", "center", "right"] = "left",
    *,
    ambiguous_wide: bool = True,
) -> str:
    """``text`` filled with spaces to exactly ``cells`` cells (truncated first if too long)."""
    head = truncate(text, cells, ambiguous_wide=ambiguous_wide)
    free = cells - text_cells(head, ambiguous_wide=ambiguous_wide)
    if align == "left":
        return head + " " * free
    if align == "right":
        return " " * free + head
    if align == "center":
        left = free // 2
        return " " * left + head + " " * (free - left)
    raise ValueError(f"unknown align: {align!r}")


def scroll_frames(
    text: str, cells: int, *, gap: int = DEFAULT_SCROLL_GAP, ambiguous_wide: bool = True
) -> list[str]:
    """Frames of a marquee showing ``text`` in ``cells`` cells, one character step per frame.

    The first frame starts with the text at the left edge; the last frame leads back into the
    first, so the frames can be shown in a loop. Every frame is padded to exactly ``cells``.
    A text that fits needs no scrolling and gives one frame.
    """
    if cells <= 0:
        raise ValueError(f"cells must be > 0, got {cells}")
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    if text_cells(text, ambiguous_wide=ambiguous_wide) <= cells:
        return [text]
    loop = text + " " * gap
    doubled = loop + loop
    frames: list[str] = []
    for start in range(len(loop)):
        if char_cells(loop[start], ambiguous_wide=ambiguous_wide) == 0:
            continue  # a combining mark stays with its base character
        # ``doubled`` holds at least one full loop after ``start``, which is wider than
        # ``cells``, so the frame is filled to the edge (short of a half wide character).
        frame, used = _take(doubled, start, cells, ambiguous_wide)
        frames.append(frame + " " * (cells - used))
    return frames


def fit(
    text: str,
    cells: int,
    overflow: Overflow = "truncate",
    *,
    gap: int = DEFAULT_SCROLL_GAP,
    ambiguous_wide: bool = True,
) -> list[str]:
    """Lay ``text`` out in ``cells`` cells as a list of frames.

    ``truncate``: one frame, the longest prefix that fits. ``scroll``: the marquee frames
    (one frame if the text fits). No frame is wider than ``cells``, and a double-width
    character is either whole in a frame or absent from it.
    """
    if cells <= 0:
        raise ValueError(f"cells must be > 0, got {cells}")
    line = clean(text)
    if overflow == "truncate":
        return [truncate(line, cells, ambiguous_wide=ambiguous_wide)]
    if overflow == "scroll":
        return scroll_frames(line, cells, gap=gap, ambiguous_wide=ambiguous_wide)
    raise ValueError(f"unknown overflow: {overflow!r} (expected 'truncate' or 'scroll')")


def window_strip_text(state: str, ticket: str | None, paused_reason: str | None = None) -> str:
    """What a window's LED strip shows.

    ``state`` is the window state (``closed``, ``open``, ``paused``) or, while the window
    holds a ticket, that ticket's state (``called``, ``serving``):

    - ``called`` → ``请A001号``; ``open`` with a ticket is shown the same way;
    - ``serving`` → ``A001 办理中``;
    - ``open`` without a ticket → ``欢迎光临``;
    - ``paused`` → ``暂停服务``, followed by the reason when one is given (``暂停服务 午休``);
    - ``closed`` → ``窗口关闭``. A closed window is told apart from a paused one, so people
      know whether to wait for it or go to another window.
    """
    if state == "closed":
        return TEXT_CLOSED
    if state == "paused":
        reason = " ".join(clean(paused_reason).split()) if paused_reason else ""
        return f"{TEXT_PAUSED} {reason}" if reason else TEXT_PAUSED
    if state in ("open", "called", "serving"):
        if ticket is None:
            if state == "open":
                return TEXT_WELCOME
            raise ValueError(f"state {state!r} needs a ticket number")
        check_ticket_no(ticket)
        return f"{ticket} 办理中" if state == "serving" else f"请{ticket}号"
    raise ValueError(f"unknown window state: {state!r} (expected one of {STRIP_STATES})")
