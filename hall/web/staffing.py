"""The dashboard's staffing advice for the rest of today: ``GET /api/staffing/today``.

Per half hour from now to the last arrival the hall expects today, which of the hall's
windows to open to call `SHARE` of its citizens within the hall's wait target
(`[supervision] wait_target_s`): pooled windows by Erlang C (`hall.simulation.pooling`),
each window serving the services it serves now, never more windows than the hall has. The
arrivals are expected from the hall's learned history, scaled to how busy today has been so
far (`hall.domain.arrivals`), each visit the learned time a window spends per ticket of the
service (call to next call); a service that takes no more tickets now (suspended by a
manager, or its daily cap reached) expects none. The citizens waiting now are to be called
within the target too: the current and the next half hour each also carry the queue's work
over the wait target (its waiting citizens as arrivals spread over the target wait, pooled
like the rest). Per service, the advised windows that serve it; beside it the windows
working now (open and not paused), per service (a window serving several services counts for
each in both), and how many are paused.
A half hour that even every window cannot serve to the target says so (`target_met`).
Read by a signed-in dashboard session (any role but a clerk's) or an API client. Pure but
for the route; no personal data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hall.contract.wire import dumps_text
from hall.domain.arrivals import seconds_of_day
from hall.domain.config import WindowConfig
from hall.domain.state import HallState
from hall.simulation.pooling import choose_windows
from hall.web import api
from hall.web.api import HUB
from hall.web.pages import session_of

__all__ = ["SHARE", "add_routes", "staffing_advice"]

ROUTES = web.RouteTableDef()
SLOT_S = 1800
SHARE = 0.8  # of citizens called within the wait target
DAY_S = 24 * 3600
BACKLOG_SLOTS = 2  # the current half hour and the next also clear the queue waiting now


def _clock(second: float) -> str:
    second = int(second)
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"


@dataclass(frozen=True)
class Today:
    """What the advice is worked out from, read from the hall's state (copied values)."""

    second: float  # of the hall's day, now
    counts: dict[int, dict[str, float]]  # half hour's start -> service -> expected arrivals
    codes: list[str]
    windows: list[WindowConfig]  # the hall's, each with the services it serves now
    open_ids: list[str]  # working now: open and not paused
    visit_s: dict[str, float]
    horizon: float = DAY_S  # second of the day up to which arrivals are expected
    waiting: dict[str, int] = field(default_factory=dict)  # per service, now
    paused_ids: list[str] = field(default_factory=list)


def read_today(state: HallState, now: float) -> Today:
    second = seconds_of_day(now, state.tz)
    # Opening hours are in the learned arrivals already; a suspension or a full day is not.
    closed = {
        s.code for s, full in zip(state.services, state.full(), strict=True) if full or not s.open
    }
    counts: dict[int, dict[str, float]] = {}
    for (service, _klass), pieces in state.arrivals.expected(second, DAY_S).items():
        if service in closed:
            continue
        for start, _end, count in pieces:
            # A piece lies within one learned bin (a quarter hour): inside one half hour.
            slot = int(start // SLOT_S) * SLOT_S
            row = counts.setdefault(slot, {})
            row[service] = row.get(service, 0.0) + count
    codes = [s.code for s in state.services]
    windows = [
        WindowConfig(w.id, tuple(state.window_services.get(w.id, w.services)), w.name)
        for w in state.config.windows
    ]
    states = {w.id: w.state for w in state.windows.values()}
    waiting = state.waiting_counts()
    return Today(
        second,
        counts,
        codes,
        windows,
        sorted(w for w, s in states.items() if s == "open"),
        {code: state.occupancy_s(code, None) for code in codes},
        state.arrivals.horizon(second, DAY_S),
        {code: waiting.get(code, 0) for code in codes},
        sorted(w for w, s in states.items() if s == "paused"),
    )


def advise(today: Today, wait_target_s: float) -> dict[str, Any]:
    """The advice for the rest of today against the windows open now (see the docstring)."""
    first = int(today.second // SLOT_S) * SLOT_S
    codes, windows, open_ids = today.codes, today.windows, today.open_ids
    open_now = {
        code: sum(1 for w in windows if w.id in open_ids and code in w.services) for code in codes
    }
    half_hours: list[dict[str, Any]] = []
    kept: tuple[str, ...] = tuple(open_ids)  # on a tie, the windows working now stay open
    waiting = {code: today.waiting.get(code, 0) for code in codes}
    slots = sorted(today.counts)
    if any(waiting.values()):
        # The queue is to be cleared even when no more arrivals are expected.
        slots = sorted({*slots, *(first + i * SLOT_S for i in range(BACKLOG_SLOTS))} - {DAY_S})
    for slot in slots:
        # The part of the half hour the arrivals are expected for: the rest of the current
        # one, and up to the horizon (an hour ahead when the hall has no earlier days).
        length = min(slot + SLOT_S, today.horizon) - max(slot, today.second)
        row = today.counts.get(slot, {})
        rates = {c: row.get(c, 0.0) * 3600 / max(60.0, length) for c in codes}
        backlog = waiting if slot < first + BACKLOG_SLOTS * SLOT_S else dict.fromkeys(codes, 0)
        # The waiting citizens' work over the target wait, on top of the arrivals.
        per_s = {code: rate / 3600 + backlog[code] / wait_target_s for code, rate in rates.items()}
        pool = choose_windows(windows, per_s, today.visit_s, SHARE, wait_target_s, kept)
        kept = pool.open
        serving = {
            code: sum(1 for w in windows if w.id in pool.open and code in w.services)
            if per_s[code] > 0
            else 0
            for code in codes
        }
        total = len(pool.open)
        half_hours.append(
            {
                "start": _clock(slot),
                "end": _clock(slot + SLOT_S),
                "arrivals_per_hour": {c: round(r, 1) for c, r in rates.items()},
                "waiting": backlog,
                "windows": serving,
                "total": total,
                "window_ids": list(pool.open),
                "target_met": pool.met,
                "more_than_open": max(0, total - len(open_ids)),
                # Advised and not working now: to open, in addition or instead.
                "to_open": [w for w in pool.open if w not in open_ids],
            }
        )
    return {
        "target": {"share": SHARE, "wait_s": wait_target_s},
        "open_now": {
            "windows": len(open_ids),
            "paused": len(today.paused_ids),
            "services": open_now,
        },
        "waiting": waiting,
        "hall_windows": len(windows),
        "half_hours": half_hours,
    }


def staffing_advice(state: HallState, now: float, wait_target_s: float) -> dict[str, Any]:
    """The advice for the rest of today against the windows open now (see the docstring)."""
    return advise(read_today(state, now), wait_target_s)


@ROUTES.get("/api/staffing/today")
async def staffing_today(request: web.Request) -> web.Response:
    session = await session_of(request)
    if session is None or session.role == "clerk":
        await api.authenticate(request, b"")  # an API client's token, or 401
    hub = request.app[HUB]
    today = read_today(hub.state, hub.now())
    # Choosing the windows takes some milliseconds with many services: off the event loop.
    wait_s = float(hub.config.supervision.wait_target_s)
    advice = await asyncio.to_thread(advise, today, wait_s)
    return web.Response(text=dumps_text(advice), content_type="application/json")


def add_routes(app: web.Application) -> None:
    app.router.add_routes(ROUTES)
