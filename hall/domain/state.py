"""The hall as a pure state, and the outcome of one decided operation.

`decide()` (in `hall.py`) never mutates: it returns an `Outcome` (the result for the device,
the new records, the domain events, what ended). The I/O shell commits the outcome atomically
to the store, and only then calls `HallState.apply()`; a refused commit (a duplicate request,
a fenced hub) leaves the in-memory hall untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..config import HallConfig
from .catalogue import Appointment, Catalogue, ServiceEntry
from .estimate import ServiceTimes, eta_seconds
from .model import Ticket, Window, rfc3339
from .queue import AgeingRule, ahead_of, select_next
from .queue_index import QueueIndex

RECENT_CALLS = 10


def _last_called(ticket: Ticket) -> float:
    return max(ticket.called_at or 0.0, ticket.recalled_at or 0.0)


def _on_board(ticket: Ticket) -> bool:
    return ticket.called_at is not None and ticket.window is not None


@dataclass(frozen=True)
class Call:
    """A call or recall to show and announce."""

    ticket: str
    window: str
    repeat: int  # 0 for the first call, n for the n-th recall


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    tickets: tuple[tuple[Ticket | None, Ticket], ...] = ()  # (before, after)
    windows: tuple[tuple[Window | None, Window], ...] = ()
    counter: tuple[str, int, int] | None = None  # (service, before, after) of the day's numbering
    events: tuple[dict[str, Any], ...] = ()
    ended: tuple[Ticket, ...] = ()  # tickets whose visit ended: one case each for the back office
    evaluations: tuple[dict[str, Any], ...] = ()
    calls: tuple[Call, ...] = ()
    prints: tuple[tuple[str, str], ...] = ()  # (printer device id, ticket no)
    learned: tuple[tuple[str, float], ...] = ()  # (service, measured service seconds)
    appointments: tuple[tuple[Appointment | None, Appointment], ...] = ()
    catalogue: tuple[Catalogue, Catalogue] | None = None  # (before, after)


@dataclass
class HallState:
    config: HallConfig
    day: str
    tickets: dict[str, Ticket] = field(default_factory=dict)  # today's, by number
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # service -> last number issued today
    times: ServiceTimes = field(default_factory=lambda: ServiceTimes(300.0))
    rules: Sequence[AgeingRule] = ()
    catalogue: Catalogue | None = None  # None: the hall file's services and windows
    appointments: dict[str, Appointment] = field(default_factory=dict)  # by code
    # Index of waiting tickets per service, kept by apply(), so nothing scans the whole day.
    waiting: dict[str, dict[str, Ticket]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.config.hall.timezone)
        self.times.default_s = float(self.config.queue.default_service_s)
        for w in self.config.windows:
            self.windows.setdefault(w.id, Window(w.id))
        if self.catalogue is None:
            self.catalogue = Catalogue.from_config(self.config)
        self.waiting = {s.code: {} for s in self.catalogue.services}
        for t in self.tickets.values():
            if t.state == "waiting":
                self.waiting.setdefault(t.service, {})[t.no] = t
        self._recent: list[str] | None = None  # ticket numbers on the board, newest first
        self.index = QueueIndex(t for q in self.waiting.values() for t in q.values())

    @property
    def services(self) -> tuple[ServiceEntry, ...]:
        assert self.catalogue is not None
        return self.catalogue.services

    @property
    def window_services(self) -> dict[str, tuple[str, ...]]:
        assert self.catalogue is not None
        return self.catalogue.window_services

    def next_for(self, window_id: str, now: float) -> Ticket | None:
        """Who this window calls next (the queue policy; ageing rules when configured)."""
        preference = self.window_services[window_id]
        if self.rules:
            candidates = [t for code in preference for t in self.waiting.get(code, {}).values()]
            return select_next(candidates, preference, now, self.rules)
        return self.index.select(preference, now)

    def service(self, code: str) -> ServiceEntry | None:
        assert self.catalogue is not None
        return self.catalogue.service(code)

    # ----- views -----------------------------------------------------------------------------
    def waiting_counts(self) -> dict[str, int]:
        return {code: len(q) for code, q in self.waiting.items()}

    def open_windows(self) -> set[str]:
        return {w.id for w in self.windows.values() if w.state != "closed"}

    def eta(self, service: str, ahead: int) -> int:
        return eta_seconds(
            ahead,
            service,
            self.times,
            self.window_services,
            self.open_windows(),
            self.waiting_counts(),
        )

    def ticket_view(self, ticket: Ticket) -> dict[str, Any]:
        if ticket.state != "waiting":
            return ticket.public(self.tz)
        ahead = ahead_of(ticket, self.waiting.get(ticket.service, {}).values())
        return ticket.public(self.tz, ahead, self.eta(ticket.service, ahead))

    def recent_calls(self) -> list[dict[str, Any]]:
        """The board's calls, newest first: a recall brings a ticket back to the top."""
        if self._recent is None:
            called = [t for t in self.tickets.values() if _on_board(t)]
            called.sort(key=_last_called, reverse=True)
            self._recent = [t.no for t in called[:RECENT_CALLS]]
        shown = [self.tickets[no] for no in self._recent]
        return [
            {"ticket": t.no, "window": t.window, "at": rfc3339(_last_called(t), self.tz)}
            for t in shown
        ]

    def _board_changed(self, before: Ticket | None, after: Ticket) -> None:
        """Keep the board's short list without sorting the whole day on every call."""
        if self._recent is None:
            return
        if _on_board(after):
            if before is None or _last_called(before) != _last_called(after):
                self._recent = [after.no, *(no for no in self._recent if no != after.no)]
                del self._recent[RECENT_CALLS:]
        elif after.no in self._recent:
            self._recent = None  # it left the board (transferred): rebuild once

    def services_view(self) -> list[dict[str, Any]]:
        counts = self.waiting_counts()
        open_ids = self.open_windows()
        return [
            {
                "code": s.code,
                "name": s.name,
                "waiting": counts.get(s.code, 0),
                "eta_s": self.eta(s.code, counts.get(s.code, 0)),
                "open": s.open and any(s.code in self.window_services[w] for w in open_ids),
                "accepting": s.open,
                "mean_service_s": round(self.times.mean(s.code)),
            }
            for s in self.services
        ]

    # ----- applying a committed outcome ------------------------------------------------------
    def apply(self, outcome: Outcome) -> None:
        for before, after in outcome.tickets:
            self.tickets[after.no] = after
            self._board_changed(before, after)
            if before is not None:
                self.waiting.get(before.service, {}).pop(after.no, None)
            self.index.remove(after.no)
            if after.state == "waiting":
                self.waiting.setdefault(after.service, {})[after.no] = after
                self.index.add(after)
        for _before_w, after_w in outcome.windows:
            self.windows[after_w.id] = after_w
        if outcome.counter is not None:
            service, _old, new = outcome.counter
            self.counters[service] = new
        for service, seconds in outcome.learned:
            self.times.learn(service, seconds)
        for _before_a, appointment in outcome.appointments:
            self.appointments[appointment.code] = appointment
        if outcome.catalogue is not None:
            self.catalogue = outcome.catalogue[1]
            for entry in self.catalogue.services:
                self.waiting.setdefault(entry.code, {})

    def event(self, kind: str, now: float, **data: Any) -> dict[str, Any]:
        return {"type": kind, "at": round(now, 3), **data}
