"""A simulated month of a small hall, as the outbox entries the hub writes, with what its
reports must say worked out from the visits themselves (not from the history's code)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

FIRST_DAY = dt.date(2026, 3, 1)
DAYS = 31
TICKETS_PER_DAY = 24
TARGET_S = 900
TZ = "+08:00"
SERVICES = ("A", "B", "C")
WINDOWS = {"1": "S001", "2": "S002", "3": "S003"}


@dataclass(frozen=True)
class Visit:
    case_id: str
    day: str
    hour: str
    service: str
    origin_service: str | None
    window: str
    staff: str
    outcome: str
    wait_s: int | None
    service_s: int | None
    level: int | None  # None: reported unrated; 0: no evaluation entry at all
    comment: str | None

    def entries(self, hall: str) -> list[dict[str, Any]]:
        issued = f"{self.day}T{self.hour}:05:00{TZ}"
        case = {
            "case_id": self.case_id,
            "hall": hall,
            "ticket": self.case_id.rsplit("-", 1)[1],
            "service": self.service,
            "window": self.window or None,
            "staff": self.staff or None,
            "outcome": self.outcome,
            "issued_at": issued,
            "called_at": None if self.wait_s is None else issued,
            "started_at": issued if self.service_s is not None else None,
            "finished_at": issued,
            "wait_s": self.wait_s,
            "service_s": self.service_s,
            "origin_service": self.origin_service,
            "recalls": 0,
        }
        out = [{"kind": "case", "key": self.case_id, "body": case}]
        if self.level != 0:
            rating = {
                "case_id": self.case_id,
                "hall": hall,
                "ticket": case["ticket"],
                "window": self.window,
                "staff": self.staff,
                "level": self.level,
                "rated": self.level is not None,
                "at": f"{self.day}T{self.hour}:30:00{TZ}",
            }
            if self.comment:
                rating["comment"] = self.comment
            out.append({"kind": "evaluation", "key": self.case_id, "body": rating})
        return out


def simulated_month(hall: str, seed: int = 7) -> list[Visit]:
    rng = random.Random(seed)
    visits = []
    for d in range(DAYS):
        day = (FIRST_DAY + dt.timedelta(days=d)).isoformat()
        for n in range(TICKETS_PER_DAY):
            service = SERVICES[n % 3]
            outcome = rng.choice(("done",) * 8 + ("no_show", "cancelled"))
            window = "" if outcome == "cancelled" else rng.choice(sorted(WINDOWS))
            level: int | None = 0
            comment = None
            if outcome == "done":
                level = rng.choice((1, 2, 3, 4, 5, 5, 5, None, 0))
                if level == 1:
                    comment = f"等了太久 {day} {n}"
            visits.append(
                Visit(
                    case_id=f"{hall}-{day}-{service}{n:03d}",
                    day=day,
                    hour=f"{9 + n % 8:02d}",
                    service=service,
                    origin_service=rng.choice((None,) * 5 + ("C",)) if service != "C" else None,
                    window=window,
                    staff=WINDOWS[window] if window else "",
                    outcome=outcome,
                    # whole minutes under an hour: the p90's buckets hold them exactly
                    wait_s=None if outcome == "cancelled" else 60 * rng.randint(0, 50),
                    service_s=rng.randint(60, 900) if outcome == "done" else None,
                    level=level,
                    comment=comment,
                )
            )
    return visits


def raw_entries(visits: list[Visit], hall: str) -> list[bytes]:
    return [json.dumps(e, ensure_ascii=False).encode() for v in visits for e in v.entries(hall)]


def expected(visits: list[Visit]) -> dict[str, Any]:
    """What a report of these visits says, worked out one visit at a time."""
    waits = sorted(v.wait_s for v in visits if v.wait_s is not None)
    services = [v.service_s for v in visits if v.service_s is not None]
    ratings = Counter(
        "unrated" if v.level is None else str(v.level) for v in visits if v.level != 0
    )
    return {
        "tickets": len(visits),
        "served": sum(v.outcome == "done" for v in visits),
        "no_show": sum(v.outcome == "no_show" for v in visits),
        "cancelled": sum(v.outcome == "cancelled" for v in visits),
        "transferred": sum(v.origin_service is not None for v in visits),
        "wait_mean_s": round(sum(waits) / len(waits), 1) if waits else None,
        "wait_p90_s": waits[-(-9 * len(waits) // 10) - 1] if waits else None,
        "wait_max_s": max(waits) if waits else None,
        "service_mean_s": round(sum(services) / len(services), 1) if services else None,
        "service_max_s": max(services) if services else None,
        "service_level": round(sum(w <= TARGET_S for w in waits) / len(waits), 4)
        if waits
        else None,
        "ratings": {level: ratings.get(level, 0) for level in ("1", "2", "3", "4", "5", "unrated")},
    }
