"""Daily ticket numbering per service, in the hall's timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

MAX_PER_DAY = 999  # three digits: A001 … A999


def local_day(ts: float, tz: ZoneInfo) -> str:
    """The hall-local date of a moment: "today" for numbering and the daily reset."""
    return datetime.fromtimestamp(ts, tz).date().isoformat()


def ticket_no(service: str, n: int) -> str:
    if not 1 <= n <= MAX_PER_DAY:
        raise ValueError(f"ticket number {n} out of range 1..{MAX_PER_DAY}")
    return f"{service}{n:03d}"
