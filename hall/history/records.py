"""The records the history keeps, read from the outbox entries the hub writes.

A case (``kind: case``) is one visit that ended; an evaluation (``kind: evaluation``) is its
好差评 rating, or the report that it was not rated. Both are keyed by case id, so a record
delivered twice is written once. Pure: JSON in, values out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["CaseRecord", "RatingRecord", "Record", "record_of"]

_CASE_DAY = re.compile(r"-(\d{4}-\d{2}-\d{2})-[^-]+$")  # "<hall>-<day>-<ticket>"


@dataclass(frozen=True)
class CaseRecord:
    hall: str
    case_id: str
    day: str  # the hall-local date the ticket was issued, "2026-11-27"
    hour: str  # the hall-local hour it was issued, "08"
    ticket: str
    service: str  # the service it was served for (the last one, after transfers)
    origin_service: str | None  # the service it was issued for, when transferred
    window: str  # "" when it never reached a window
    staff: str  # "" when no clerk was signed in
    outcome: str  # done, no_show, cancelled
    issued_at: str
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    wait_s: int | None  # issued to (last) called
    service_s: int | None  # started to finished
    recalls: int
    services_done: str | None  # the catalogue's services recorded at finish, JSON, if any

    @property
    def transferred(self) -> bool:
        return self.origin_service is not None and self.origin_service != self.service


@dataclass(frozen=True)
class RatingRecord:
    hall: str
    case_id: str
    day: str  # the day of the visit it rates
    window: str
    staff: str
    level: int | None  # 1-5; None: reported unrated
    comment: str | None
    at: str


Record = CaseRecord | RatingRecord


def record_of(raw: bytes | str | None) -> Record | None:
    """The record an outbox entry carries; None for anything the history does not keep."""
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
        body = entry["body"]
        if entry.get("kind") == "case":
            return _case(body)
        if entry.get("kind") == "evaluation":
            return _rating(body)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def _case(body: dict[str, Any]) -> CaseRecord:
    issued = str(body["issued_at"])  # RFC 3339 in the hall's time zone: its date and hour
    done = body.get("services_done")
    return CaseRecord(
        hall=str(body["hall"]),
        case_id=str(body["case_id"]),
        day=issued[:10],
        hour=issued[11:13],
        ticket=str(body["ticket"]),
        service=str(body["service"]),
        origin_service=_text(body.get("origin_service")),
        window=_text(body.get("window")) or "",
        staff=_text(body.get("staff")) or "",
        outcome=str(body["outcome"]),
        issued_at=issued,
        called_at=_text(body.get("called_at")),
        started_at=_text(body.get("started_at")),
        finished_at=_text(body.get("finished_at")),
        wait_s=_seconds(body.get("wait_s")),
        service_s=_seconds(body.get("service_s")),
        recalls=_seconds(body.get("recalls")) or 0,
        services_done=None if done is None else json.dumps(done, ensure_ascii=False),
    )


def _rating(body: dict[str, Any]) -> RatingRecord:
    case_id = str(body["case_id"])
    at = str(body["at"])
    match = _CASE_DAY.search(case_id)
    level = body.get("level")
    return RatingRecord(
        hall=str(body["hall"]),
        case_id=case_id,
        day=match.group(1) if match else at[:10],
        window=_text(body.get("window")) or "",
        staff=_text(body.get("staff")) or "",
        level=int(level) if isinstance(level, int) and 1 <= level <= 5 else None,
        comment=_text(body.get("comment")),
        at=at,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _seconds(value: object) -> int | None:
    return max(0, int(value)) if isinstance(value, int | float) else None
