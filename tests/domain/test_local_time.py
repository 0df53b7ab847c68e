"""The hall-local date and time of day, kept a minute at a time, against a fresh conversion."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hall.domain.numbering import LocalTime, local_day

# Summer time at 02:00 (New York), a half-hour change (Lord Howe), offsets of :45 and :30
# (Kathmandu, Kolkata), none at all (Shanghai); and a zone whose offset had seconds (Amsterdam
# before 1937, +00:19:32), where nothing may be kept.
ZONES = [
    "Asia/Shanghai",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Europe/Amsterdam",
]


def fresh(now: float, tz: ZoneInfo) -> tuple[str, str]:
    return local_day(now, tz), datetime.fromtimestamp(now, tz).strftime("%H:%M")


def around_changes(tz: ZoneInfo) -> list[float]:
    """Moments either side of each offset change of 2026 and of midnight, to the millisecond."""
    moments: list[float] = []
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    previous = datetime.fromtimestamp(start, tz).utcoffset()
    for minute in range(0, 366 * 24 * 60, 15):
        at = start + minute * 60
        offset = datetime.fromtimestamp(at, tz).utcoffset()
        if offset != previous:
            # The change fell within the last 15 minutes: every second of them.
            moments += [at - 900 + s + f for s in range(901) for f in (0.0, 0.001, 0.999)]
            previous = offset
    for day in range(0, 366, 7):
        midnight = datetime.fromtimestamp(start + day * 86400, tz).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        at = midnight.timestamp()
        moments += [at - 0.001, at, at + 0.001, at + 59.999, at + 60]
    return moments


@pytest.mark.parametrize("zone", ZONES)
def test_the_kept_minute_agrees_with_a_fresh_conversion(zone: str) -> None:
    tz = ZoneInfo(zone)
    local = LocalTime(tz)
    moments = around_changes(tz)
    rng = random.Random(zone)
    moments += [rng.uniform(1.7e9, 1.9e9) for _ in range(5_000)]
    for now in moments:
        assert (local.day(now), local.hhmm(now)) == fresh(now, tz), now
    # In order, as a hub asks: every moment shortly after the one before.
    for now in sorted(moments):
        assert (local.day(now), local.hhmm(now)) == fresh(now, tz), now


def test_an_offset_with_seconds_is_converted_every_time() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    local = LocalTime(tz)
    then = datetime(1930, 6, 1, 23, 59, 50, tzinfo=tz).timestamp()  # +00:19:32 then
    for step in range(0, 40):
        now = then + step * 0.5
        assert (local.day(now), local.hhmm(now)) == fresh(now, tz), now
