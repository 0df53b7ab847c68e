"""The hall's records: tickets and windows, as immutable values with a stable JSON form.

Times are POSIX seconds (float) inside the core; `public()` renders the contract's view with
RFC 3339 times in the hall's timezone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from hall.domain.compact import compact_json

from .states import TicketState, WindowState

Priority = Literal["normal", "green", "appointment"]
PRIORITIES: tuple[Priority, ...] = ("normal", "green", "appointment")
# Lower rank is called first: green channel, then appointments inside their slot, then normal.
PRIORITY_RANK: dict[str, int] = {"green": 0, "appointment": 1, "normal": 2}


def _record_json(record: Ticket | Window) -> str:
    """A record's stored form, made once per record (a commit writes a record's text after,
    and the next commit of the same ticket or window compares with it as its text before).
    Every field is a plain value, so no deep copy (as `dataclasses.asdict` makes) is needed;
    the fields in one order keep the text stable for compare-and-set in the store."""
    text = record._stored
    if text is None:
        names = _FIELD_NAMES[type(record)]
        text = compact_json({name: getattr(record, name) for name in names})
        object.__setattr__(record, "_stored", text)  # a cache: not part of the value
    return text


# Times rendered lately: a ticket's times are rendered again in every view of it (its
# answer, its events, its window's state, the board), and a time zone's rules are slow.
_RENDERED: dict[tuple[float, ZoneInfo], str] = {}
_RENDERED_KEPT = 4096


def rfc3339(ts: float | None, tz: ZoneInfo) -> str | None:
    if ts is None:
        return None
    text = _RENDERED.get((ts, tz))
    if text is None:
        text = datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")
        if len(_RENDERED) >= _RENDERED_KEPT:
            _RENDERED.clear()
        _RENDERED[(ts, tz)] = text
    return text


BAD_RATING_MAX = 2  # ratings of 1-2 of 5 are bad ones (差评)


@dataclass(frozen=True, slots=True)
class Ticket:
    no: str  # "A001": service prefix + 3 digits, from 001 each day per service
    day: str  # the hall-local date it was issued, "2026-11-27"
    service: str  # the service it waits for now (changes on transfer)
    priority: Priority
    state: TicketState
    # Order of arrival in the day; a transfer keeps it. A ticket put back at a chosen place
    # (requeued, or transferred to the front or the back) gets a value between two others.
    arrival: float
    issued_at: float
    kiosk: str | None = None
    appointment: str | None = None
    window: str | None = None
    staff: str | None = None
    called_at: float | None = None
    recalled_at: float | None = None  # the latest recall: the board shows it at the top again
    started_at: float | None = None
    finished_at: float | None = None
    recalls: int = 0
    outcome: str | None = None
    origin_service: str | None = None  # the service it was issued for, when transferred
    rated: bool = False
    rating: int | None = None  # the 好差评 level 1-5, once rated
    rated_at: float | None = None  # when it was rated: a bad rating's alarm dates from then
    unrated_reported: bool = False  # reported to the back office as unrated (never invented)
    slot_start: float | None = None  # an appointment's slot: its priority counts from then
    visit: int = 1  # 1, then 2… each time a no-show is requeued: one case per visit
    requeued_at: float | None = None  # when the current visit began, for a requeued ticket
    for_window: str | None = None  # transferred to one window (or clerk): only it calls it
    services_done: tuple[str, ...] | None = None  # recorded at finish, codes of the catalogue
    # Its stored form once made (`to_json`); never copied by `evolve`, never compared.
    _stored: str | None = field(default=None, init=False, compare=False, repr=False)

    def to_json(self) -> str:
        return _record_json(self)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Ticket:
        data = json.loads(raw)
        if data.get("services_done") is not None:
            data["services_done"] = tuple(data["services_done"])
        return cls(**data)

    @property
    def rated_badly(self) -> bool:
        """Rated 1 or 2 of 5 (差评): alarmed, and followed up by the hall."""
        return self.rated and self.rating is not None and self.rating <= BAD_RATING_MAX

    def evolve(self, **changes: Any) -> Ticket:
        return replace(self, **changes)

    def public(
        self, tz: ZoneInfo, ahead: int | None = None, eta_s: int | None = None
    ) -> dict[str, Any]:
        """The contract's Ticket object: no personal data."""
        view: dict[str, Any] = {
            "no": self.no,
            "service": self.service,
            "priority": self.priority,
            "state": self.state,
            "issued_at": rfc3339(self.issued_at, tz),
            "window": self.window if self.state in ("called", "serving") else None,
            "recalls": self.recalls,
        }
        if self.state == "waiting":
            view["ahead"] = ahead if ahead is not None else 0
            view["eta_s"] = eta_s if eta_s is not None else 0
        if self.called_at is not None:
            view["called_at"] = rfc3339(self.called_at, tz)
        if self.started_at is not None:
            view["started_at"] = rfc3339(self.started_at, tz)
        if self.finished_at is not None:
            view["finished_at"] = rfc3339(self.finished_at, tz)
        if self.outcome is not None:
            view["outcome"] = self.outcome
        if self.origin_service is not None:
            view["origin_service"] = self.origin_service
        if self.visit > 1:
            view["visit"] = self.visit
        if self.for_window is not None and self.state == "waiting":
            view["for_window"] = self.for_window
        if self.services_done is not None:
            view["services_done"] = list(self.services_done)
        return view


@dataclass(frozen=True, slots=True)
class Window:
    id: str
    state: WindowState = "closed"
    staff: str | None = None
    ticket: str | None = None  # the ticket in hand (called or serving)
    paused_reason: str | None = None
    since: float | None = None  # when the current state began
    served_day: str | None = None  # the day `served` counts
    served: int = 0
    _stored: str | None = field(default=None, init=False, compare=False, repr=False)  # as Ticket's

    def to_json(self) -> str:
        return _record_json(self)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Window:
        return cls(**json.loads(raw))

    def evolve(self, **changes: Any) -> Window:
        return replace(self, **changes)

    def public(self, tz: ZoneInfo) -> dict[str, Any]:
        """The contract's Window object."""
        return {
            "id": self.id,
            "state": self.state,
            "staff": self.staff,
            "ticket": self.ticket,
            "paused_reason": self.paused_reason,
            "since": rfc3339(self.since, tz),
            "served": self.served,
        }


_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(sorted(f.name for f in fields(cls) if f.init)) for cls in (Ticket, Window)
}
