"""Daily ticket numbering per service, in the hall's timezone."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

MAX_PER_DAY = 999  # three digits: A001 … A999


def local_day(ts: float, tz: ZoneInfo) -> str:
    """The hall-local date of a moment: "today" for numbering and the daily reset."""
    return datetime.fromtimestamp(ts, tz).date().isoformat()


class LocalTime:
    """The hall-local date and time of day ("HH:MM") of moments, worked out once a minute.

    Every request asks both (is it a new day? is the service within its hours?), and a
    conversion through the time zone costs more than much of a decision. Both are the same
    for every moment of one minute: offsets and their changes (summer time) fall on whole
    minutes in every zone in use, so the answer is kept for the minute `now` falls in; in a
    zone whose offset has seconds (a historical local mean time) nothing is kept.
    """

    __slots__ = ("_day", "_from", "_hhmm", "_until", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._from = math.inf  # the minute kept: [_from, _until)
        self._until = -math.inf
        self._day = ""
        self._hhmm = ""

    def day(self, now: float) -> str:
        """The hall-local date, "YYYY-MM-DD" (as `local_day`)."""
        if not self._from <= now < self._until:
            self._convert(now)
        return self._day

    def hhmm(self, now: float) -> str:
        """The hall-local time of day, "HH:MM"."""
        if not self._from <= now < self._until:
            self._convert(now)
        return self._hhmm

    def _convert(self, now: float) -> None:
        moment = datetime.fromtimestamp(now, self.tz)
        self._day = moment.date().isoformat()
        self._hhmm = moment.strftime("%H:%M")
        offset = moment.utcoffset()
        if offset is not None and offset.total_seconds() % 60 == 0:
            self._from = math.floor(now / 60) * 60.0
            self._until = self._from + 60.0
        else:
            self._from, self._until = math.inf, -math.inf


def ticket_no(service: str, n: int) -> str:
    if not 1 <= n <= MAX_PER_DAY:
        raise ValueError(f"ticket number {n} out of range 1..{MAX_PER_DAY}")
    return f"{service}{n:03d}"
