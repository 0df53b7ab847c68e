"""The day's charts, as PNG bytes by file name: the queue through the day per service, the
arrivals and calls per hour, each ticket's estimates against its wait, each window's busy
share. Colours follow `png.PALETTE` in the order of the profile's services (dashed past its
ten)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .day import DayResult
from .png import PALETTE, Plot, nice_step
from .report import waited

GREY = (170, 170, 170)
BLUE = PALETTE[0]
ORANGE = PALETTE[1]


def _hours(result: DayResult, tz: ZoneInfo) -> tuple[float, float, list[tuple[float, str]]]:
    """The day's span in hours of the clock and a tick per hour."""

    def hour(ts: float) -> float:
        moment = datetime.fromtimestamp(ts, tz)
        return moment.hour + moment.minute / 60 + moment.second / 3600

    start = int(result.profile.opens_s // 3600)
    end_ts = max([t for t, _q in result.queue_samples] or [result.day_start + 18 * 3600])
    end = int(hour(end_ts)) + 1
    return float(start), float(end), [(h, f"{h}:00") for h in range(start, end + 1)]


def charts(result: DayResult, report: dict[str, Any], tz: ZoneInfo) -> dict[str, bytes]:
    start, end, ticks = _hours(result, tz)
    out: dict[str, bytes] = {}

    def clock(ts: float) -> float:
        moment = datetime.fromtimestamp(ts, tz)
        return moment.hour + moment.minute / 60 + moment.second / 3600

    # The queue per service through the day.
    codes = [load.code for load in result.profile.services]
    peak = max((max(q.values(), default=0) for _t, q in result.queue_samples), default=0)
    styles = [Plot.style(i) for i in range(len(codes))]
    plot = Plot(
        (start, end),
        max(5, peak),
        title="Tickets waiting per service",
        x_title="time of day",
        y_title="waiting",
        legend=[(color, code, dashed) for code, (color, dashed) in zip(codes, styles, strict=True)],
    )
    plot.axes(ticks)
    for code, (color, dashed) in zip(codes, styles, strict=True):
        points = [(clock(t), float(q.get(code, 0))) for t, q in result.queue_samples]
        plot.series(points, color, dashed=dashed)
    out["waiting.png"] = plot.canvas.png()

    # Arrivals (blue) and calls (orange) per hour.
    hours = report["hours"]
    top = max([max(h["arrivals"], h["called"]) for h in hours] or [1])
    plot = Plot(
        (start, end),
        top,
        title="Arrivals and calls per hour",
        x_title="hour of the day",
        y_title="tickets",
        legend=[(BLUE, "arrivals", False), (ORANGE, "calls", False)],
    )
    plot.axes(ticks)
    for h in hours:
        at = float(h["hour"][:2])
        plot.bar(at + 0.1, at + 0.45, h["arrivals"], BLUE)
        plot.bar(at + 0.55, at + 0.9, h["called"], ORANGE)
    out["hourly.png"] = plot.canvas.png()

    # Each ticket: its wait (x, minutes) against the naive estimate (grey) and the hall's
    # (blue); the diagonal is a perfect estimate.
    pairs = [
        (w / 60, r.naive / 60 if r.naive is not None else None, r.ours / 60 if r.ours else 0.0)
        for r in result.tickets.values()
        if (w := waited(r)) is not None
    ]
    # The same round scale across and up, so that the diagonal is the exact estimate.
    most = max([p[0] for p in pairs] or [10.0])
    step = nice_step(most, 8)
    longest = math.ceil(most / step) * step
    plot = Plot(
        (0.0, longest),
        longest,
        640,
        640,
        title="Estimate against the wait",
        x_title="actual wait (min)",
        y_title="estimate (min)",
        legend=[(GREY, "naive", False), (BLUE, "the hall's", False), ((0, 0, 0), "exact", False)],
        y_step=step,
    )
    plot.axes([(i * step, f"{i * step:g}") for i in range(round(longest / step) + 1)])
    plot.series([(0.0, 0.0), (longest, longest)], (0, 0, 0))
    for actual, naive, _ours in pairs:
        if naive is not None:
            plot.point(actual, naive, GREY)
    for actual, _naive, ours in pairs:
        plot.point(actual, ours, BLUE)
    out["estimates.png"] = plot.canvas.png()

    # Each window's busy share (calls to ends of visits over signed-in time), in percent.
    windows = report["windows"]
    plot = Plot(
        (0.0, float(len(windows))),
        100.0,
        title="Busy share per window",
        x_title="window",
        y_title="busy %",
    )
    plot.axes([(i + 0.5, w["id"]) for i, w in enumerate(windows)])
    for i, w in enumerate(windows):
        plot.bar(i + 0.2, i + 0.8, 100 * w["busy_share"], BLUE)
    out["windows.png"] = plot.canvas.png()
    return out
