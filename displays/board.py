"""The hall's main board: recent calls and waiting counts.

``compose_board`` builds the retained ``board`` payload of the device contract, the one the
hub publishes::

    {"calls": [{"ticket": "A001", "window": "1", "at": "2024-05-06T09:30:00+08:00",
                "window_name": "1号窗口", "text": "A001 → 1号窗口"}, ...],
     "waiting": {"A": 3, "B": 0}}

with the newest call first and at most 10 calls. A ticket appears once, at its latest call:
a recall moves it back to the top instead of listing it twice. Each call carries the window's
name as the hall file gives it and ``text``, the finished board line, so an LED board or a
screen shows names without any table of its own.

``board_lines`` fits those finished lines to an LED board's width; it adds nothing to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, TypedDict

from displays.ledtext import fit
from displays.phrasing import WINDOW_ID_PATTERN, check_ticket_no, check_window_name

MAX_CALLS: Final = 10
ARROW: Final = "→"
_SERVICE_CODE = re.compile(r"[A-Z]")


class BoardCall(TypedDict):
    ticket: str
    window: str
    at: str  # RFC 3339
    window_name: str  # as the hall file names the window, e.g. 综合窗口
    text: str  # the finished board line, e.g. "A001 → 综合窗口"


class BoardPayload(TypedDict):
    calls: list[BoardCall]
    waiting: dict[str, int]


Call = tuple[str, str, datetime | str]  # (ticket, window id, when it was called)


def board_line(ticket: str, window_name: str) -> str:
    """One call as a board line: ``board_line("A001", "1号窗口")`` → ``A001 → 1号窗口``."""
    return f"{check_ticket_no(ticket)} {ARROW} {check_window_name(window_name)}"


def _parse_at(at: datetime | str) -> tuple[datetime, str]:
    """The call time as an aware datetime (for ordering) and as RFC 3339 text.

    A text is kept as given once it parses, so the payload carries the hub's own precision.
    """
    if isinstance(at, datetime):
        moment, text = at, at.isoformat()
    elif isinstance(at, str):
        try:
            moment, text = datetime.fromisoformat(at), at
        except ValueError:
            raise ValueError(f"call time is not RFC 3339: {at!r}") from None
    else:
        raise ValueError(f"call time must be a datetime or RFC 3339 text, got {at!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"call time has no UTC offset: {at!r}")
    return moment, text


def compose_board(
    calls: Iterable[Call],
    waiting: Mapping[str, int],
    *,
    window_name: Callable[[str], str],
    limit: int = MAX_CALLS,
) -> BoardPayload:
    """The ``board`` payload from calls ``(ticket, window, at)`` in any order.

    Calls are ordered newest first (equal times: the later-listed call counts as the newer),
    each ticket kept at its latest call, and cut to ``limit`` (at most 10). ``window_name``
    gives the name of a window id (the hub's names, from the hall file). ``waiting`` maps
    service codes to counts and is copied in code order.
    """
    if not 0 <= limit <= MAX_CALLS:
        raise ValueError(f"limit must be between 0 and {MAX_CALLS}, got {limit}")
    parsed: list[tuple[datetime, int, str, str, str]] = []
    for index, (ticket, window, at) in enumerate(calls):
        check_ticket_no(ticket)
        if not isinstance(window, str) or WINDOW_ID_PATTERN.fullmatch(window) is None:
            raise ValueError(f"not a window id: {window!r}")
        moment, text = _parse_at(at)
        parsed.append((moment, index, ticket, window, text))
    parsed.sort(key=lambda item: (item[0], item[1]), reverse=True)
    seen: set[str] = set()
    recent: list[BoardCall] = []
    for _, _, ticket, window, text in parsed:
        if len(recent) == limit:
            break
        if ticket in seen:
            continue
        seen.add(ticket)
        name = window_name(window)
        line = board_line(ticket, name)
        recent.append(
            {"ticket": ticket, "window": window, "at": text, "window_name": name, "text": line}
        )
    counts: dict[str, int] = {}
    for code in sorted(waiting):
        count = waiting[code]
        if _SERVICE_CODE.fullmatch(code) is None:
            raise ValueError(f"not a service code: {code!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"waiting count for {code} must be an integer >= 0, got {count!r}")
        counts[code] = count
    return {"calls": recent, "waiting": counts}


def board_lines(calls: Sequence[object], cells: int) -> list[str]:
    """The ``text`` of each call of a board payload, newest first, cut to ``cells`` cells.

    A call without a text line is a payload this board cannot show: ValueError.
    """
    lines: list[str] = []
    for call in calls:
        text = call.get("text") if isinstance(call, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a board call has no text line")
        lines.append(fit(text, cells, "truncate")[0])
    return lines
