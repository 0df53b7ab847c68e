"""Who is expected to arrive, and how much of the time windows work, by time of day: learned
from the hall's earlier days.

A waiting citizen is overtaken by people who arrive later: the green channel, and at a shared
window whoever comes for a service the window prefers. The forecast (`forecast.py`) plays
these expected arrivals into the queue. The hall's history is the arrivals of its earlier days
per service and class in quarter-hour bins; today's count so far scales it (a busier day than
usual stays busier), within bounds. Without history, the last hour's arrivals are expected to
go on at the same rate for the next hour: the rate over the time actually watched (since
today's first arrival when that is less than the hour, at least `MIN_RATE_SPAN_S`), in pieces
that each lie within one bin.

Windows pause at about the same times each day (lunch above all): the share of signed-in
window time that is not paused, per bin of the earlier days, tells the forecast that the
windows working now will do less at lunch time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .model import Ticket

BIN_S = 900
BINS = 24 * 3600 // BIN_S
MAX_DAYS = 20  # the newest days kept; older ones are forgotten
SCALE_BOUNDS = (0.5, 2.0)  # how far today's count may scale the history
SCALE_MIN_ARRIVALS = 20  # today's scale counts from this many arrivals
NO_HISTORY_HORIZON_S = 3600.0
MIN_RATE_SPAN_S = 120.0  # without history, a rate is never taken over less than this

# (service, class) of an arrival: "normal" or "green" (appointments come from the bookings)
Stream = tuple[str, str]
Piece = tuple[float, float, float]  # (from, to, expected count), seconds of the day


def seconds_of_day(ts: float, tz: ZoneInfo) -> float:
    moment = datetime.fromtimestamp(ts, tz)
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def _stream(ticket: Ticket) -> Stream | None:
    if ticket.priority == "appointment" or ticket.appointment is not None:
        return None
    return (ticket.origin_service or ticket.service, ticket.priority)


@dataclass
class ArrivalHistory:
    """Arrival counts per stream and bin: the mean of earlier days, and today's."""

    days: list[dict[Stream, list[int]]] = field(default_factory=list)
    today: dict[Stream, list[int]] = field(default_factory=dict)
    first_today: float | None = None  # second of the day of today's first arrival counted
    # Per earlier day and bin: (window-seconds signed in, window-seconds of them paused).
    staffing: list[list[tuple[float, float]]] = field(default_factory=list)
    staffing_today: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 0.0)] * BINS)
    # Earlier days' pauses by reason: (total seconds, count); a lunch is not a short break.
    pauses: dict[str, tuple[float, int]] = field(default_factory=dict)
    _mean: dict[Stream, list[float]] | None = None

    def signed_in(self, paused: bool, start: float, end: float) -> None:
        """A window was signed in (paused or not) from one second of the day to another."""
        while start < end and start < BINS * BIN_S:
            b = int(start // BIN_S)
            stop = min(end, (b + 1) * BIN_S)
            signed, held = self.staffing_today[b]
            self.staffing_today[b] = (signed + stop - start, held + (stop - start if paused else 0))
            start = stop

    def add_pause(self, reason: str, seconds: float) -> None:
        total, count = self.pauses.get(reason, (0.0, 0))
        self.pauses[reason] = (total + seconds, count + 1)

    def add_staffing_day(self, bins: list[tuple[float, float]]) -> None:
        self.staffing.append(list(bins))
        del self.staffing[:-MAX_DAYS]

    def working_shares(self) -> list[float] | None:
        """Per bin, the share of signed-in window time the earlier days worked (None: no
        earlier day)."""
        if not self.staffing:
            return None
        shares: list[float] = []
        for b in range(BINS):
            signed = sum(day[b][0] for day in self.staffing)
            paused = sum(day[b][1] for day in self.staffing)
            shares.append(1.0 - paused / signed if signed > 0 else 1.0)
        return shares

    def add_day(self, arrivals: Iterable[tuple[Stream, float]]) -> None:
        """One earlier day: each arrival's stream and its second of the day."""
        counts: dict[Stream, list[int]] = {}
        for stream, second in arrivals:
            counts.setdefault(stream, [0] * BINS)[min(BINS - 1, int(second // BIN_S))] += 1
        self.days.append(counts)
        del self.days[:-MAX_DAYS]
        self._mean = None

    def add_tickets_day(self, tickets: Iterable[Ticket], tz: ZoneInfo) -> None:
        """One earlier day from its tickets (a hub at midnight)."""
        self.add_day(
            (stream, seconds_of_day(t.issued_at, tz))
            for t in tickets
            if t.visit == 1 and (stream := _stream(t)) is not None
        )

    def arrived(self, ticket: Ticket, tz: ZoneInfo) -> None:
        """A ticket taken today."""
        stream = _stream(ticket)
        if stream is not None:
            second = seconds_of_day(ticket.issued_at, tz)
            if self.first_today is None or second < self.first_today:
                self.first_today = second
            self.today.setdefault(stream, [0] * BINS)[min(BINS - 1, int(second // BIN_S))] += 1

    def mean(self) -> dict[Stream, list[float]]:
        if self._mean is None:
            mean: dict[Stream, list[float]] = {}
            for day in self.days:
                for stream, counts in day.items():
                    row = mean.setdefault(stream, [0.0] * BINS)
                    for b, count in enumerate(counts):
                        row[b] += count / len(self.days)
            self._mean = mean
        return self._mean

    def _scale(self, second: float) -> float:
        """How busy today is compared with the history up to this time of day."""
        upto = int(second // BIN_S)
        seen = sum(sum(row[:upto]) for row in self.today.values())
        usual = sum(sum(row[:upto]) for row in self.mean().values())
        if seen < SCALE_MIN_ARRIVALS or usual <= 0:
            return 1.0
        low, high = SCALE_BOUNDS
        return min(high, max(low, seen / usual))

    def expected(self, second: float, until: float) -> dict[Stream, list[Piece]]:
        """Expected arrivals per stream between two seconds of the day, as pieces (from, to,
        count): the count expected in each part of a bin."""
        out: dict[Stream, list[Piece]] = {}
        if not self.days:
            return self._recent_rate(second, self.horizon(second, until))
        scale = self._scale(second)
        for stream, row in self.mean().items():
            pieces: list[Piece] = []
            start = second
            while start < until and start < BINS * BIN_S:
                b = int(start // BIN_S)
                end = min(until, (b + 1) * BIN_S)
                count = row[b] * scale * (end - start) / BIN_S
                if count > 0:
                    pieces.append((start, end, count))
                start = end
            if pieces:
                out[stream] = pieces
        return out

    def _recent_rate(self, second: float, until: float) -> dict[Stream, list[Piece]]:
        b = int(second // BIN_S)
        # The last four whole bins and the current one so far (about an hour), but only the
        # time since today's first arrival when that is shorter: a hub started minutes ago
        # has not watched the hour.
        since = max(0.0, (b - 4) * BIN_S)
        if self.first_today is not None:
            since = max(since, min(self.first_today, second))
        span = max(MIN_RATE_SPAN_S, second - since)
        out: dict[Stream, list[Piece]] = {}
        for stream, row in self.today.items():
            seen = sum(row[max(0, b - 4) : b + 1])
            if not seen or until <= second:
                continue
            pieces: list[Piece] = []
            start = second
            while start < until:
                end = min(until, (int(start // BIN_S) + 1) * BIN_S)
                pieces.append((start, end, seen * (end - start) / span))
                start = end
            out[stream] = pieces
        return out

    def horizon(self, second: float, until: float) -> float:
        """Up to when `expected` expects arrivals: `until`, or an hour ahead without history."""
        return until if self.days else min(until, second + NO_HISTORY_HORIZON_S)
