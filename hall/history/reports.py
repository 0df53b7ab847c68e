"""Reports for a date range by service, window, clerk or hour, read from the daily rollup.

Per group and in total: tickets, served, no-shows, cancelled and transferred tickets and their
rates, the waits (mean, p90 and max), the service times (mean and max), the service level
(the share of called tickets called within the target) and the 好差评 distribution; and the
comments left with ratings. Four queries, whatever the range: a year of a 2,000-ticket-a-day
hall reads a few tens of thousands of rollup rows (`bench/reports.py`).

The p90 of the waits is read from the buckets of `rollup.py` (to the minute under an hour, to
ten minutes under four): within the bucket that holds the 90th percentile, the waits are
taken as spread evenly, and the figure is never above the longest wait. So it is off by less
than its bucket's width: a hall whose waits are all under a minute gets a p90 in seconds, not
the 0 its bucket starts at. When the 90th percentile is the longest wait itself (fewer than ten
waits), it is that wait, exact: a lone 86 s wait has a p90 of 86 s.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, get_args

from hall.history.databases import Database, Row
from hall.history.rollup import Dimension, bucket_width

__all__ = [
    "DIMENSION_NAMES",
    "MAX_COMMENTS",
    "MAX_RANGE_DAYS",
    "RATING_LEVELS",
    "Comment",
    "Report",
    "ReportRow",
    "read_report",
]

DIMENSION_NAMES: tuple[str, ...] = get_args(Dimension)
MAX_RANGE_DAYS = 3660  # ten years, the longest range a report may ask for
MAX_COMMENTS = 200  # the latest comments a report lists
RATING_LEVELS = ("1", "2", "3", "4", "5", "unrated")
_P = 0.9


@dataclass
class ReportRow:
    key: str  # the service code, window id, clerk's staff number or hour ("08"); "" for none
    tickets: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred: int = 0
    called: int = 0
    wait_sum: int = 0
    wait_max: int | None = None
    within_target: int = 0
    service_n: int = 0
    service_sum: int = 0
    service_max: int | None = None
    waits: dict[int, int] = field(default_factory=dict)  # bucket -> tickets
    ratings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATING_LEVELS, 0))

    def add(self, other: ReportRow) -> None:
        for name in ("tickets", "served", "no_show", "cancelled", "transferred", "called"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wait_sum += other.wait_sum
        self.within_target += other.within_target
        self.service_n += other.service_n
        self.service_sum += other.service_sum
        self.wait_max = _max(self.wait_max, other.wait_max)
        self.service_max = _max(self.service_max, other.service_max)
        for bucket, n in other.waits.items():
            self.waits[bucket] = self.waits.get(bucket, 0) + n
        for level, n in other.ratings.items():
            self.ratings[level] += n

    def view(self) -> dict[str, Any]:
        """The row as the API, the exports and the dashboard show it."""
        return {
            "key": self.key,
            "tickets": self.tickets,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "transferred": self.transferred,
            "no_show_rate": _share(self.no_show, self.tickets),
            "transfer_rate": _share(self.transferred, self.tickets),
            "wait_mean_s": _mean(self.wait_sum, self.called),
            "wait_p90_s": _percentile(self.waits, _P, self.wait_max),
            "wait_max_s": self.wait_max,
            "service_mean_s": _mean(self.service_sum, self.service_n),
            "service_max_s": self.service_max,
            "service_level": _share(self.within_target, self.called),
            "ratings": dict(self.ratings),
        }


@dataclass(frozen=True)
class Comment:
    case_id: str
    day: str
    window: str
    staff: str
    level: int | None
    comment: str
    at: str


@dataclass(frozen=True)
class Report:
    halls: tuple[str, ...]
    start: str  # the first day, "2026-11-01"
    end: str  # the last day, included
    by: str
    rows: tuple[ReportRow, ...]
    total: ReportRow
    comments: tuple[Comment, ...]

    def view(self) -> dict[str, Any]:
        """The report's JSON form (`GET /api/reports`)."""
        return {
            "hall": self.halls[0] if len(self.halls) == 1 else list(self.halls),
            "from": self.start,
            "to": self.end,
            "by": self.by,
            "rows": [row.view() for row in self.rows],
            "total": self.total.view(),
            "comments": [asdict(c) for c in self.comments],
        }


async def read_report(
    db: Database, halls: Sequence[str], start: dt.date, end: dt.date, by: str
) -> Report:
    """The report for the days `start` to `end` (included) of `halls`, grouped `by`."""
    if by not in DIMENSION_NAMES:
        raise ValueError(f"by must be one of {', '.join(DIMENSION_NAMES)}, got {by!r}")
    if end < start:
        raise ValueError("the range ends before it starts")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValueError(f"a report covers at most {MAX_RANGE_DAYS} days")
    where = f"hall IN ({', '.join('?' for _ in halls)}) AND dim = ? AND day BETWEEN ? AND ?"
    params = (*halls, by, start.isoformat(), end.isoformat())
    totals = await db.query(
        "SELECT group_key, SUM(tickets), SUM(served), SUM(no_show), SUM(cancelled), "
        "SUM(transferred), SUM(called), SUM(wait_sum), MAX(wait_max), SUM(within_target), "
        "SUM(service_n), SUM(service_sum), MAX(service_max) "
        f"FROM day_totals WHERE {where} GROUP BY group_key ORDER BY group_key",
        params,
    )
    waits = await db.query(
        f"SELECT group_key, bucket, SUM(n) FROM day_waits WHERE {where} GROUP BY group_key, bucket",
        params,
    )
    ratings = await db.query(
        f"SELECT group_key, level, SUM(n) FROM day_ratings WHERE {where} GROUP BY group_key, level",
        params,
    )
    rows = _rows(totals, waits, ratings)
    total = ReportRow(key="")
    for row in rows.values():
        total.add(row)
    comments = await _comments(db, halls, start, end)
    return Report(
        tuple(halls), start.isoformat(), end.isoformat(), by, tuple(rows.values()), total, comments
    )


def _rows(totals: list[Row], waits: list[Row], ratings: list[Row]) -> dict[str, ReportRow]:
    rows: dict[str, ReportRow] = {}
    for key, *values in totals:
        n = [None if v is None else int(v) for v in values]
        rows[str(key)] = ReportRow(
            str(key),
            tickets=n[0] or 0,
            served=n[1] or 0,
            no_show=n[2] or 0,
            cancelled=n[3] or 0,
            transferred=n[4] or 0,
            called=n[5] or 0,
            wait_sum=n[6] or 0,
            wait_max=n[7],
            within_target=n[8] or 0,
            service_n=n[9] or 0,
            service_sum=n[10] or 0,
            service_max=n[11],
        )
    by_key: Mapping[str, dict[int, int]] = defaultdict(dict)
    for key, bucket, n in waits:
        by_key[str(key)][int(bucket)] = int(n)
    for key, buckets in by_key.items():
        rows.setdefault(key, ReportRow(key)).waits = buckets
    for key, level, n in ratings:
        name = "unrated" if int(level) == 0 else str(int(level))
        row = rows.setdefault(str(key), ReportRow(str(key)))
        row.ratings[name] = row.ratings.get(name, 0) + int(n)
    return dict(sorted(rows.items()))


async def _comments(
    db: Database, halls: Sequence[str], start: dt.date, end: dt.date
) -> tuple[Comment, ...]:
    found = await db.query(
        "SELECT case_id, day, window_id, staff, level, comment, at FROM ratings "
        f"WHERE hall IN ({', '.join('?' for _ in halls)}) AND day BETWEEN ? AND ? "
        "AND comment IS NOT NULL AND comment <> '' ORDER BY at DESC, case_id "
        f"LIMIT {MAX_COMMENTS}",
        (*halls, start.isoformat(), end.isoformat()),
    )
    return tuple(
        Comment(str(c), str(d), str(w), str(s), None if lv is None else int(lv), str(t), str(a))
        for c, d, w, s, lv, t, a in found
    )


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _percentile(buckets: Mapping[int, int], p: float, longest: int | None) -> int | None:
    """The nearest-rank `p` percentile of the counted waits: the longest wait when the rank is
    the last one (known exactly), else read within the bucket that holds it, its waits taken
    as spread evenly over the bucket (and never beyond the longest wait)."""
    count = sum(buckets.values())
    if not count:
        return None
    rank = max(1, math.ceil(round(p * count, 6)))  # rounded first: 0.9 * 10 is 9.000000000000002
    if rank == count and longest is not None:
        return longest
    seen = 0
    for bucket in sorted(buckets):
        inside = buckets[bucket]
        if seen + inside >= rank:
            # The k-th of the bucket's n waits sits at (k - 0.5) / n of its width.
            at = bucket + bucket_width(bucket) * (rank - seen - 0.5) / inside
            return min(round(at), longest) if longest is not None else round(at)
        seen += inside
    return max(buckets)
