"""The simulated day's report: KPIs overall, per hour, per window and per service, and how
close each wait estimate came to the wait each ticket had (as JSON-ready values)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .day import DayResult, TicketRecord

Estimator = Callable[[TicketRecord], float | None]
ESTIMATORS: dict[str, Estimator] = {
    "naive": lambda r: r.naive,  # people ahead × mean service time ÷ open windows
    "hall": lambda r: None if r.ours is None else float(r.ours),  # the hall's forecast
}


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted or unsorted values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def accuracy(errors: Sequence[float]) -> dict[str, float | int]:
    """MAE, median and p90 absolute error and bias (estimate − actual), in seconds."""
    if not errors:
        return {"n": 0, "mae_s": 0.0, "median_abs_s": 0.0, "p90_abs_s": 0.0, "bias_s": 0.0}
    absolute = [abs(e) for e in errors]
    return {
        "n": len(errors),
        "mae_s": round(statistics.fmean(absolute), 1),
        "median_abs_s": round(statistics.median(absolute), 1),
        "p90_abs_s": round(percentile(absolute, 0.9), 1),
        "bias_s": round(statistics.fmean(errors), 1),
    }


def waited(record: TicketRecord) -> float | None:
    return None if record.called_at is None else record.called_at - record.issued_at


def estimate_errors(tickets: Iterable[TicketRecord], name: str) -> list[float]:
    """Estimate − actual wait of every called ticket both estimates were given for: the
    estimators are compared on the same tickets."""
    out: list[float] = []
    for record in tickets:
        actual = waited(record)
        values = [estimate(record) for estimate in ESTIMATORS.values()]
        if actual is None or any(v is None for v in values):
            continue
        mine = ESTIMATORS[name](record)
        assert mine is not None
        out.append(mine - actual)
    return out


def _waits(records: Iterable[TicketRecord]) -> dict[str, float | int]:
    waits = [w for r in records if (w := waited(r)) is not None]
    if not waits:
        return {
            "called": 0,
            "mean_wait_s": 0.0,
            "median_wait_s": 0.0,
            "p90_wait_s": 0.0,
            "max_wait_s": 0.0,
        }
    return {
        "called": len(waits),
        "mean_wait_s": round(statistics.fmean(waits), 1),
        "median_wait_s": round(statistics.median(waits), 1),
        "p90_wait_s": round(percentile(waits, 0.9), 1),
        "max_wait_s": round(max(waits), 1),
    }


def day_report(result: DayResult, tz: ZoneInfo) -> dict[str, Any]:
    tickets = list(result.tickets.values())
    served = [r for r in tickets if r.outcome == "done"]
    ratings = [r.rating for r in tickets if r.rating is not None]
    service_times = [s for w in result.windows.values() for s in w.service_s]
    no_estimate: dict[str, int] = {}
    for r in tickets:
        if r.reason is not None:
            no_estimate[r.reason] = no_estimate.get(r.reason, 0) + 1
    overall: dict[str, Any] = {
        "issued": len(tickets),
        "served": len(served),
        "no_shows": sum(1 for r in tickets if r.outcome == "no_show"),
        "transferred": sum(1 for r in tickets if r.transferred),
        "never_called": sum(1 for r in tickets if r.called_at is None),
        "green": sum(1 for r in tickets if r.priority == "green"),
        "appointments_booked": result.booked,
        "appointments_checked_in": sum(1 for r in tickets if r.priority == "appointment"),
        "mean_service_s": round(statistics.fmean(service_times), 1) if service_times else 0.0,
        "ratings": len(ratings),
        "rating_mean": round(statistics.fmean(ratings), 2) if ratings else None,
        "max_waiting": max((sum(q.values()) for _t, q in result.queue_samples), default=0),
        **_waits(tickets),
    }
    return {
        "profile": result.profile.name,
        "day": result.profile.day.isoformat(),
        "seed": result.seed,
        "overall": overall,
        "estimates": {
            **{name: accuracy(estimate_errors(tickets, name)) for name in ESTIMATORS},
            "no_estimate": no_estimate,
        },
        "classes": [_class(tickets, klass) for klass in CLASSES],
        "hours": _hours(result, tz),
        "windows": [
            {
                "id": w.id,
                "served": w.served,
                "no_shows": w.no_shows,
                "signed_in_s": round(w.signed_in_s),
                "paused_s": round(w.paused_s),
                "busy_share": round(w.busy_s / w.signed_in_s, 3) if w.signed_in_s else 0.0,
                "mean_service_s": round(statistics.fmean(w.service_s), 1) if w.service_s else 0.0,
            }
            for w in result.windows.values()
        ],
        "services": [_service(result, load.code) for load in result.profile.services],
        "refused": dict(sorted(result.refused.items())),
    }


CLASSES = ("green", "appointment", "normal")


def _class(tickets: Sequence[TicketRecord], klass: str) -> dict[str, Any]:
    """One class's waits: its worst wait shows whether the policy kept it ahead."""
    return {"class": klass, **_waits([r for r in tickets if r.priority == klass])}


def _service(result: DayResult, code: str) -> dict[str, Any]:
    records = [r for r in result.tickets.values() if r.service == code]
    return {
        "code": code,
        "issued": len(records),
        **_waits(records),
        **{
            f"{name}_mae_s": accuracy(estimate_errors(records, name))["mae_s"]
            for name in ESTIMATORS
        },
    }


def _hours(result: DayResult, tz: ZoneInfo) -> list[dict[str, Any]]:
    def hour_of(ts: float) -> int:
        return datetime.fromtimestamp(ts, tz).hour

    hours: dict[int, dict[str, Any]] = {}

    def row(hour: int) -> dict[str, Any]:
        return hours.setdefault(
            hour, {"hour": f"{hour:02d}:00", "arrivals": 0, "called": 0, "max_waiting": 0}
        )

    for r in result.tickets.values():
        row(hour_of(r.issued_at))["arrivals"] += 1
        if r.called_at is not None:
            row(hour_of(r.called_at))["called"] += 1
    for at, queue in result.queue_samples:
        entry = row(hour_of(at))
        entry["max_waiting"] = max(entry["max_waiting"], sum(queue.values()))
    for hour, entry in hours.items():
        issued = [r for r in result.tickets.values() if hour_of(r.issued_at) == hour]
        # The waits of those who came this hour; "called" stays the calls made in the hour.
        entry.update({k: v for k, v in _waits(issued).items() if k != "called"})
        entry.update(
            {
                f"{name}_mae_s": accuracy(estimate_errors(issued, name))["mae_s"]
                for name in ESTIMATORS
            }
        )
    return [hours[h] for h in sorted(hours)]
