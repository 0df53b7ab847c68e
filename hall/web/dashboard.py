"""The manager dashboard's snapshot and today's KPIs, built from the pure hall state. Pure.

No personal data: ticket numbers, window, device and staff ids, counts and times only
(never a citizen's name or ID number).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hall.domain.model import Ticket, rfc3339
from hall.domain.state import HallState
from hall.domain.supervision import Alarm
from hall.hub.views import window_device_state, window_name


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def kpis(tickets: Iterable[Ticket], tz: ZoneInfo, wait_target_s: int) -> dict[str, Any]:
    """Today's KPIs from today's tickets (`tz`: the hall's timezone, for the hours).

    arrivals = tickets issued; served = done; no-show % = no_show / (done + no_show);
    wait = called - issued (tickets called); service level = share of the called tickets
    called within `wait_target_s`; service time = finished - started; mean rating over the
    rated visits. A figure with nothing to average yet is None.
    """
    arrivals = served = no_show = bad = 0
    waits: list[float] = []
    services: list[float] = []
    ratings: list[int] = []
    hours: dict[int, list[int]] = {}  # hour -> [arrivals, served]
    for t in tickets:
        arrivals += 1
        hours.setdefault(datetime.fromtimestamp(t.issued_at, tz).hour, [0, 0])[0] += 1
        if t.state == "done":
            served += 1
            if t.finished_at is not None:
                hours.setdefault(datetime.fromtimestamp(t.finished_at, tz).hour, [0, 0])[1] += 1
        elif t.state == "no_show":
            no_show += 1
        if t.called_at is not None:
            waits.append(max(0.0, t.called_at - t.issued_at))
        if t.state == "done" and t.started_at is not None and t.finished_at is not None:
            services.append(max(0.0, t.finished_at - t.started_at))
        if t.rated and t.rating is not None:
            ratings.append(t.rating)
            if t.rating <= 2:
                bad += 1
    within = sum(1 for w in waits if w <= wait_target_s)
    mean_rating = _mean(ratings)
    hourly = []
    if hours:
        for hour in range(min(hours), max(hours) + 1):
            came, done = hours.get(hour, [0, 0])
            hourly.append({"hour": hour, "arrivals": came, "served": done})
    return {
        "arrivals": arrivals,
        "served": served,
        "no_show": no_show,
        "no_show_pct": _pct(no_show, served + no_show),
        "mean_wait_s": _round(_mean(waits)),
        "max_wait_s": _round(max(waits)) if waits else None,
        "service_level_pct": _pct(within, len(waits)),
        "mean_service_s": _round(_mean(services)),
        "mean_rating": None if mean_rating is None else round(mean_rating, 2),
        "ratings": len(ratings),
        "bad_ratings": bad,
        "hourly": hourly,
    }


def services_view(state: HallState, now: float) -> list[dict[str, Any]]:
    longest: dict[str, float] = {}
    for code, queue in state.waiting.items():
        if queue:
            longest[code] = max(0.0, now - min(t.issued_at for t in queue.values()))
    return [
        {
            "code": s["code"],
            "name": s["name"],
            "waiting": s["waiting"],
            "longest_wait_s": round(longest.get(s["code"], 0.0)),
            "eta_s": s["eta_s"],
            "open": s["open"],
            "accepting": s["accepting"],
            "full": s["full"],
            **({"name_en": s["name_en"]} if "name_en" in s else {}),
        }
        for s in state.services_view(now)
    ]


def windows_view(state: HallState, now: float) -> list[dict[str, Any]]:
    out = []
    for window_id in sorted(state.windows, key=_window_order(state)):
        window = state.windows[window_id]
        shown = window_device_state(state, window)
        paused_for = (
            round(max(0.0, now - window.since))
            if window.state == "paused" and window.since is not None
            else None
        )
        out.append(
            {
                "id": window.id,
                "name": window_name(state, window.id),
                "state": window.state,
                "staff": window.staff,
                "ticket": window.ticket,
                "ticket_state": shown["ticket_state"],
                "served": shown["served"],
                "paused_for_s": paused_for,
                "paused_reason": window.paused_reason,
                "since": rfc3339(window.since, state.tz),
            }
        )
    return out


def _window_order(state: HallState) -> Callable[[str], tuple[int, str]]:
    order = {w.id: i for i, w in enumerate(state.config.windows)}
    return lambda window_id: (order.get(window_id, len(order)), window_id)


def devices_view(
    state: HallState, online: Mapping[str, bool], since: Mapping[str, float]
) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "window": d.window,
            "online": bool(online.get(d.id, False)),
            "since": rfc3339(since.get(d.id), state.tz),
        }
        for d in state.config.devices
    ]


def snapshot(
    state: HallState,
    *,
    now: float,
    online: Mapping[str, bool],
    online_since: Mapping[str, float],
    alarms: Sequence[Alarm],
    notice: str,
) -> dict[str, Any]:
    """The whole dashboard (docs/web-protocol.md, `Dashboard`)."""
    config = state.config
    return {
        "hall": {
            "id": config.hall.id,
            "name": config.hall.name,
            "day": state.day,
            "now": rfc3339(now, state.tz),
            # Every time on the pages is shown in this zone, whatever the browser's.
            "timezone": config.hall.timezone,
        },
        "services": services_view(state, now),
        "windows": windows_view(state, now),
        "devices": devices_view(state, online, online_since),
        "kpis": kpis(state.tickets.values(), state.tz, config.supervision.wait_target_s),
        "alarms": [a.view(state.tz) for a in alarms],
        "notice": notice,
    }
