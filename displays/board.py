"""The hall's main board: recent calls and waiting counts.

``compose_board`` builds the retained ``board`` payload of the device contract::

    {"calls": [{"ticket": "A001", "window": "1", "at": "2024-05-06T09:30:00+08:00"}, ...],
     "waiting": {"A": 3, "B": 0}}

with the newest call first and at most 10 calls. A ticket appears once, at its latest call:
a recall moves it back to the top instead of listing it twice.

``board_lines`` turns that payload into the lines of an LED board, one per call, e.g.
``A001 → 1号窗口``, each fitted to the board's width.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, TypedDict

from displays.ledtext import fit
from displays.phrasing import WINDOW_ID_PATTERN, check_ticket_no, window_display_name

MAX_CALLS: Final = 10
ARROW: Final = "→"
_SERVICE_CODE = re.compile(r"[A-Z]")


class BoardCall(TypedDict):
    ticket: str
    window: str
    at: str  # RFC 3339


class BoardPayload(TypedDict):
    calls: list[BoardCall]
    waiting: dict[str, int]


Call = tuple[str, str, datetime | str]


def _parse_at(at: datetime | str) -> tuple[datetime, str]:
    """The call time as an aware datetime (for ordering) and as RFC 3339 text."""
    if isinstance(at, datetime):
        moment = at
    elif isinstance(at, str):
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise ValueError(f"call time is not RFC 3339: {at!r}") from None
    else:
        raise ValueError(f"call time must be a datetime or RFC 3339 text, got {at!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"call time has no UTC offset: {at!r}")
    return moment, moment.isoformat()


def compose_board(
    calls: Iterable[Call], waiting: Mapping[str, int], limit: int = MAX_CALLS
) -> BoardPayload:
    """The ``board`` payload from calls ``(ticket, window, at)`` in any order.

    Calls are ordered newest first (equal times keep their given order), each ticket kept
    at its latest call, and cut to ``limit`` (at most 10). ``waiting`` maps service codes to
    counts and is copied in code order.
    """
    if not 0 <= limit <= MAX_CALLS:
        raise ValueError(f"limit must be between 0 and {MAX_CALLS}, got {limit}")
    parsed: list[tuple[datetime, int, BoardCall]] = []
    for index, (ticket, window, at) in enumerate(calls):
        check_ticket_no(ticket)
        if not isinstance(window, str) or WINDOW_ID_PATTERN.fullmatch(window) is None:
            raise ValueError(f"not a window id: {window!r}")
        moment, text = _parse_at(at)
        parsed.append((moment, index, {"ticket": ticket, "window": window, "at": text}))
    # Newest first; among equal times the later-listed call counts as the newer one.
    parsed.sort(key=lambda item: (item[0], item[1]), reverse=True)
    seen: set[str] = set()
    recent: list[BoardCall] = []
    for _, _, call in parsed:
        if call["ticket"] in seen:
            continue
        seen.add(call["ticket"])
        recent.append(call)
        if len(recent) == limit:
            break
    counts: dict[str, int] = {}
    for code in sorted(waiting):
        count = waiting[code]
        if _SERVICE_CODE.fullmatch(code) is None:
            raise ValueError(f"not a service code: {code!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"waiting count for {code} must be an integer >= 0, got {count!r}")
        counts[code] = count
    return {"calls": recent, "waiting": counts}


def board_lines(board: BoardPayload, window_names: Mapping[str, str], cells: int) -> list[str]:
    """One line per call in ``board``, newest first, e.g. ``A001 → 1号窗口``.

    ``window_names`` maps window ids to configured names (``综合窗口``); a window without
    one is shown as ``<id>号窗口``. Each line is truncated to ``cells`` cells.
    """
    lines: list[str] = []
    for call in board["calls"]:
        name = window_display_name(call["window"], window_names.get(call["window"]))
        line = f"{call['ticket']} {ARROW} {name}"
        lines.append(fit(line, cells, "truncate")[0])
    return lines
