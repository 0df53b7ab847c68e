"""Mandarin (and optional English) announcement phrasing for a call to a window.

Two forms of the same call:

- the display text, shown on screens and sent in the ``announce`` payload:
  ``请A001号到1号窗口办理``;
- the spoken text, written for a speech engine: the ticket's letter stands alone between
  pauses so it is read as a letter name, every digit is read one by one
  (``001`` → ``零零一``, never ``一`` or ``两``), e.g. ``请，A，零零一号，到，一号窗口办理``.

Only a ticket number and a window name go in; nothing here can carry a citizen's name or
ID number. Ticket numbers are checked against ``^[A-Z][0-9]{3}$`` and window names are
short labels without long digit runs; anything else raises ``ValueError``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

TICKET_NO_PATTERN: Final = re.compile(r"[A-Z][0-9]{3}")
WINDOW_ID_PATTERN: Final = re.compile(r"[a-z0-9-]{1,16}")

# Mandarin digit names, read one by one: 二 (not 两) and 零 (not 〇) as callers say them.
ZH_DIGITS: Final = "零一二三四五六七八九"

MAX_WINDOW_NAME_CHARS: Final = 24
# Window numbers have a few digits; a longer run looks like a phone or ID number.
MAX_DIGIT_RUN: Final = 4
_DIGIT_RUN = re.compile(r"[0-9]+")
_ANY_DIGIT_RUN = re.compile(r"\d+")  # full-width digits too
_DEFAULT_NAME = re.compile(r"([0-9]+)号窗口")

Lang = Literal["zh", "en"]


def check_ticket_no(ticket_no: str) -> str:
    """Return ``ticket_no`` if it is a ticket number like ``A001``; raise ValueError if not."""
    if not isinstance(ticket_no, str) or TICKET_NO_PATTERN.fullmatch(ticket_no) is None:
        raise ValueError(
            f"not a ticket number: {ticket_no!r} (expected a capital letter and 3 digits, "
            'e.g. "A001")'
        )
    return ticket_no


def default_window_name(window_id: str) -> str:
    """How a window without a configured name is shown and spoken: ``"1"`` → ``1号窗口``."""
    if WINDOW_ID_PATTERN.fullmatch(window_id) is None:
        raise ValueError(f"not a window id: {window_id!r} (expected [a-z0-9-]{{1,16}})")
    return f"{window_id}号窗口"


def window_display_name(window_id: str, configured: str | None = None) -> str:
    """The configured window name (e.g. ``综合窗口``) if there is one, else the default."""
    if configured is not None and configured.strip():
        return check_window_name(configured.strip())
    return default_window_name(window_id)


def check_window_name(window_name: str) -> str:
    """Return ``window_name`` if it is a plausible window label; raise ValueError if not."""
    if not isinstance(window_name, str) or not window_name.strip():
        raise ValueError("window name is empty")
    if len(window_name) > MAX_WINDOW_NAME_CHARS:
        raise ValueError(
            f"window name too long ({len(window_name)} characters, at most "
            f"{MAX_WINDOW_NAME_CHARS}): {window_name!r}"
        )
    if any(unicodedata.category(ch)[0] == "C" for ch in window_name):
        raise ValueError(f"window name holds control characters: {window_name!r}")
    if any(len(run) > MAX_DIGIT_RUN for run in _DIGIT_RUN.findall(window_name)):
        raise ValueError(
            f"window name holds more than {MAX_DIGIT_RUN} digits in a row: {window_name!r}"
        )
    return window_name


MAX_SAID_CHARS: Final = 200


def check_said_text(text: object) -> str:
    """Return ``text`` if it may be shown or said as given; raise ValueError if not.

    A text from a message is not trusted to be harmless: it must be one line of at most 200
    characters, and it may not hold a run of more than 4 digits (a phone or ID number is
    never read out). The message names no part of the text: it might be personal data.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the text is empty")
    if len(text) > MAX_SAID_CHARS:
        raise ValueError(f"the text is longer than {MAX_SAID_CHARS} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise ValueError("the text holds control characters")
    if any(len(run) > MAX_DIGIT_RUN for run in _ANY_DIGIT_RUN.findall(text)):
        raise ValueError(f"the text holds more than {MAX_DIGIT_RUN} digits in a row")
    return text


def announce_text(ticket_no: str, window_name: str) -> str:
    """Display text of a call: ``announce_text("A001", "1号窗口")`` → ``请A001号到1号窗口办理``."""
    check_ticket_no(ticket_no)
    check_window_name(window_name)
    return f"请{ticket_no}号到{window_name}办理"


def digits_zh(digits: str) -> str:
    """Read ASCII digits one by one in Mandarin: ``"001"`` → ``零零一``."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not ASCII digits: {digits!r}")
    return "".join(ZH_DIGITS[int(d)] for d in digits)


def _speakable_zh(window_name: str) -> str:
    """A window name written for a Mandarin voice.

    Digits become Mandarin digit names, read one by one; a run of Latin letters is spelled
    letter by letter (upper case, space separated, so ``VIP`` is not read as a word); ``-``
    is read ``杠`` as in room numbers (``3-1`` → 三杠一). Everything else is kept.
    """
    out: list[str] = []
    prev_letter = False
    for ch in window_name:
        is_letter = ch.isascii() and ch.isalpha()
        if ch.isascii() and ch.isdigit():
            out.append(ZH_DIGITS[int(ch)])
        elif is_letter:
            if prev_letter:
                out.append(" ")
            out.append(ch.upper())
        elif ch == "-":
            out.append("杠")
        else:
            out.append(ch)
        prev_letter = is_letter
    return "".join(out)


def _speakable_en(window_name: str) -> str:
    match = _DEFAULT_NAME.fullmatch(window_name)
    if match is not None:
        return "window " + " ".join(match.group(1))
    return window_name


def spoken_text(ticket_no: str, window_name: str, lang: Lang = "zh") -> str:
    """What the speaker reads for a call.

    ``spoken_text("A001", "1号窗口")`` → ``请，A，零零一号，到，一号窗口办理``; the commas are
    short pauses that keep the letter apart, so the voice says its letter name.
    ``lang="en"`` gives ``Number A 0 0 1, please go to window 1``.
    """
    check_ticket_no(ticket_no)
    check_window_name(window_name)
    letter, number = ticket_no[0], ticket_no[1:]
    if lang == "zh":
        return f"请，{letter}，{digits_zh(number)}号，到，{_speakable_zh(window_name)}办理"
    if lang == "en":
        spaced = " ".join(number)
        return f"Number {letter} {spaced}, please go to {_speakable_en(window_name)}"
    raise ValueError(f"unsupported language: {lang!r} (expected 'zh' or 'en')")
