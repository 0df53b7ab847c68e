"""The hall as a pure state, and the outcome of one decided operation.

`decide()` (in `hall.py`) never mutates: it returns an `Outcome` (the result for the device,
the new records, the domain events, what ended). The I/O shell commits the outcome atomically
to the store, and only then calls `HallState.apply()`; a refused commit (a duplicate request,
a fenced hub) leaves the in-memory hall untouched.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .arrivals import BIN_S, ArrivalHistory, seconds_of_day
from .catalogue import Appointment, Catalogue, ServiceEntry
from .config import HallConfig
from .estimate import ServiceTimes
from .events import DomainEvent
from .forecast import (
    DEFAULT_SHOW_SHARE,
    HORIZON_S,
    Estimate,
    Forecast,
    Forecaster,
    Steps,
    drawn_steps,
    estimate_at,
    play_out_steps,
    run_steps,
)
from .model import Ticket, Window, rfc3339
from .numbering import MAX_PER_DAY, LocalTime
from .occupancy import Occupancy
from .queue import ahead_of, places
from .queue_index import QueueIndex

RECENT_CALLS = 10
ARRIVALS_AHEAD_S = 7200.0
DRAWN_RUNS = 4  # play-outs with drawn arrivals averaged into one forecast
DRAWN_BUDGET = 3000  # … as long as runs × people waiting stay within this
MIN_WORKING = 0.05  # the least share of its time a window is played out working


def _last_called(ticket: Ticket) -> float:
    return max(ticket.called_at or 0.0, ticket.recalled_at or 0.0)


def _on_board(ticket: Ticket) -> bool:
    return ticket.called_at is not None and ticket.window is not None


class RecentCall(NamedTuple):
    """A call on the board: which ticket, at which window, when (RFC 3339, hall time)."""

    ticket: str
    window: str
    at: str


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
    events: tuple[DomainEvent, ...] = ()
    ended: tuple[Ticket, ...] = ()  # tickets whose visit ended: one case each for the back office
    evaluations: tuple[dict[str, Any], ...] = ()
    calls: tuple[Call, ...] = ()
    prints: tuple[tuple[str, str], ...] = ()  # (printer device id, ticket no)
    learned: tuple[tuple[str, float], ...] = ()  # (service, measured service seconds)
    appointments: tuple[tuple[Appointment | None, Appointment], ...] = ()
    catalogue: tuple[Catalogue, Catalogue] | None = None  # (before, after)
    audit: dict[str, Any] | None = None  # a settings change's audit entry, kept by the commit


@dataclass
class HallState:
    config: HallConfig
    day: str
    tickets: dict[str, Ticket] = field(default_factory=dict)  # today's, by number
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # service -> last number issued today
    times: ServiceTimes = field(default_factory=lambda: ServiceTimes(300.0))
    catalogue: Catalogue | None = None  # None: the hall file's services and windows
    appointments: dict[str, Appointment] = field(default_factory=dict)  # by code
    # Index of waiting tickets per service, kept by apply(), so nothing scans the whole day.
    waiting: dict[str, dict[str, Ticket]] = field(default_factory=dict)
    # The hall's earlier days' arrivals (carried over by the hub at midnight); today's are
    # counted again from the day's tickets.
    arrivals: ArrivalHistory = field(default_factory=ArrivalHistory)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.config.hall.timezone)
        self.local = LocalTime(self.tz)
        self.times.default_s = float(self.config.queue.default_service_s)
        for w in self.config.windows:
            self.windows.setdefault(w.id, Window(w.id))
        if self.catalogue is None:
            self.catalogue = Catalogue.from_config(self.config)
        self.waiting = {s.code: {} for s in self.catalogue.services}
        for t in self.tickets.values():
            if t.state == "waiting":
                self.waiting.setdefault(t.service, {})[t.no] = t
        # What the supervision looks at besides the waiting: kept by apply() too.
        self.serving = {t.no: t for t in self.tickets.values() if t.state == "serving"}
        self.rated_badly = {t.no: t for t in self.tickets.values() if t.rated_badly}
        self._recent: list[str] | None = None  # ticket numbers on the board, newest first
        self.index = QueueIndex(
            (t for q in self.waiting.values() for t in q.values()), self.wait_targets
        )
        # Window occupancy is learned again from the day's tickets (a hub loading the day).
        self.occupancy = Occupancy()
        self.occupancy.replay(self.tickets.values())
        self.arrivals.today = {}
        self.arrivals.first_today = None
        for t in self.tickets.values():
            self.arrivals.arrived(t, self.tz)
        self.forecaster = Forecaster()

    @property
    def services(self) -> tuple[ServiceEntry, ...]:
        assert self.catalogue is not None
        return self.catalogue.services

    @property
    def window_services(self) -> dict[str, tuple[str, ...]]:
        assert self.catalogue is not None
        return self.catalogue.window_services

    @property
    def wait_targets(self) -> dict[str, float]:
        """Each service's longest wait in seconds, where the hall file sets one."""
        return {s.code: s.max_wait_min * 60.0 for s in self.config.services if s.max_wait_min}

    def next_for(self, window_id: str, now: float) -> Ticket | None:
        """Who this window calls next, by the queue policy (`queue.py`)."""
        return self.index.select(self.window_services[window_id], now, window_id)

    def service(self, code: str) -> ServiceEntry | None:
        assert self.catalogue is not None
        return self.catalogue.service(code)

    # ----- views -----------------------------------------------------------------------------
    def waiting_counts(self) -> dict[str, int]:
        return {code: len(q) for code, q in self.waiting.items()}

    def open_windows(self) -> set[str]:
        return {w.id for w in self.windows.values() if w.state != "closed"}

    # ----- the wait estimate (forecast.py) -----------------------------------------------------
    def occupancy_s(self, service: str, window: str | None) -> float:
        return self.occupancy.seconds(service, window, self.times.mean(service))

    def forecast_steps(self, now: float) -> Steps:
        """The forecast of the hall as it is at `now`, in steps (`forecast.play_out_steps`):
        what it reads of the hall is taken before the first step, so the steps can be spread
        over time while the hall changes (`hall/hub/forecasts.py`)."""
        second = seconds_of_day(now, self.tz)
        day_start = now - second
        occupied: dict[tuple[str, str | None], float] = {}

        def occupy(service: str, window: str | None) -> float:
            key = (service, window)
            value = occupied.get(key)
            if value is None:
                value = occupied[key] = self.occupancy_s(service, window)
            return value

        # Arrivals matter until the queue is played out: expected ones are generated for
        # twice the time the queue would take to drain (at least two hours).
        waiting = [t for q in self.waiting.values() for t in q.values()]
        open_count = sum(1 for w in self.windows.values() if w.state != "closed")
        # By service, not by ticket: this is on the event loop, with thousands waiting.
        busy_s = sum(
            len(queue) * occupy(code, None) for code, queue in self.waiting.items() if queue
        )
        drain = busy_s / max(1, open_count)
        horizon = min(HORIZON_S, max(ARRIVALS_AHEAD_S, 2 * drain))
        expected: dict[str, list[tuple[float, float, float, str]]] = {}
        for (service, klass), pieces in self.arrivals.expected(second, second + horizon).items():
            expected.setdefault(service, []).extend(
                (day_start + start, day_start + end, count, klass) for start, end, count in pieces
            )
        booked = [a for a in self.appointments.values() if a.day == self.day]
        due = [a for a in booked if a.slot_end <= now and a.state != "cancelled"]
        came = sum(1 for a in due if a.state == "checked_in")
        # Five bookings' worth of the usual share keep a bad first hour from ruling the day.
        show_share = (came + DEFAULT_SHOW_SHARE * 5) / (len(due) + 5)
        hands = {
            w.id: t
            for w in self.windows.values()
            if w.ticket is not None
            and (t := self.tickets.get(w.ticket)) is not None
            and t.state in ("called", "serving")
        }

        windows = dict(self.windows)
        window_services = self.window_services
        wait_targets = self.wait_targets

        def one(draws: random.Random | None) -> Steps:
            return play_out_steps(
                now,
                waiting,
                windows,
                window_services,
                hands,
                occupy,
                expected,
                [a for a in booked if a.state == "booked"],
                show_share,
                lambda reason: self.occupancy.pause_s(reason, self.arrivals.pauses),
                lambda service, window, elapsed: self.occupancy.remaining(
                    service, window, elapsed, self.times.mean(service)
                ),
                working,
                draws,
                wait_targets,
            )

        # Who arrives is random, and more arrivals than usual delay a shared window's other
        # services more than fewer hasten them: the forecast is the mean of several days of
        # drawn arrivals (seeded by the moment: the same hall gives the same estimate), as
        # many as the queue's length allows; a very long one is played out once, at the
        # expected arrivals.
        runs = min(DRAWN_RUNS, DRAWN_BUDGET // max(1, len(waiting)))
        working = self._working(day_start, second)
        return drawn_steps(one, runs, random.Random(int(now)))

    def _working(self, day_start: float, second: float) -> Callable[[float], float]:
        """How much of its time a window working now is expected to work at a moment.

        The earlier days say what share of signed-in window time works at each time of day
        (lunch, breaks). A window working now is still working a moment later, but the
        longer ahead, the more it is like any window at that hour: it too takes its breaks
        and its lunch. So the share then, with what it lacks of 1 fading as a pause ends
        (over the usual length of a pause). Dividing by the share now instead, as if the
        windows working now were the only ones ever away, left out their own later breaks
        and made a long queue's wait too short. (The windows paused now are played out as
        paused until they are expected back.)"""
        shares = self.arrivals.working_shares()
        if shares is None:
            return lambda at: 1.0
        bins = len(shares)
        now = day_start + second
        memory_s = self.occupancy.pause_s(None, self.arrivals.pauses)
        floors = [max(MIN_WORKING, share) for share in shares]

        def working(at: float) -> float:
            share = floors[min(bins - 1, max(0, int((at - day_start) // BIN_S)))]
            return min(1.0, share + (1.0 - share) * math.exp(-max(0.0, at - now) / memory_s))

        return working

    def history_for(self, day: str) -> ArrivalHistory:
        """The history a hall loaded for `day` learns from: this one's, with this day added
        when `day` is a later one (the hub at midnight). A hub started afresh has none."""
        history = self.arrivals
        if self.day and day != self.day:
            history.add_tickets_day(self.tickets.values(), self.tz)
            history.add_staffing_day(history.staffing_today)
            history.staffing_today = [(0.0, 0.0)] * len(history.staffing_today)
            for reason, (total, count) in self.occupancy.pauses.items():
                before = history.pauses.get(reason, (0.0, 0))
                history.pauses[reason] = (before[0] + total, before[1] + count)
        return history

    def served_now(self) -> frozenset[str]:
        """The services some window not closed serves (as `play_out` counts them)."""
        services = self.window_services
        return frozenset(
            s
            for w, win in self.windows.items()
            if win.state != "closed"
            for s in services.get(w, ())
        )

    def forecast(self, now: float) -> Forecast:
        waiting = sum(len(q) for q in self.waiting.values())
        return self.forecaster.current(
            now, waiting, lambda: run_steps(self.forecast_steps(now)), self.served_now()
        )

    def estimate_new(self, service: str, klass: str, now: float) -> Estimate:
        """The wait of a ticket of this class taken now."""
        forecast = self.forecast(now)
        call = self.forecaster.new_call(forecast, service, klass)
        return estimate_at(call, service, forecast, now)

    def estimate_ticket(self, ticket: Ticket, now: float) -> Estimate:
        """The wait left for a waiting ticket."""
        forecast = self.forecast(now)
        call = self.forecaster.ticket_call(forecast, ticket.no)
        if call is None and ticket.no in self.waiting.get(ticket.service, {}):
            # Moved since the forecast (a transfer): play it out again, or, while the next
            # forecast is being made off the request path, count it as newly taken.
            self.forecaster.stale = True
            forecast = self.forecast(now)
            call = self.forecaster.ticket_call(forecast, ticket.no)
            if call is None and self.forecaster.deferred:
                call = self.forecaster.new_call(forecast, ticket.service, ticket.priority)
        return estimate_at(call, ticket.service, forecast, now)

    def ticket_view(
        self, ticket: Ticket, now: float, ahead_by_no: Mapping[str, int] | None = None
    ) -> dict[str, Any]:
        """The contract's Ticket; `ahead_by_no` is `waiting_places(now)` when many are wanted."""
        if ticket.state != "waiting":
            return ticket.public(self.tz)
        if ahead_by_no is not None and ticket.no in ahead_by_no:
            ahead = ahead_by_no[ticket.no]
        else:
            ahead = ahead_of(ticket, self.waiting.get(ticket.service, {}).values(), now)
        estimate = self.estimate_ticket(ticket, now)
        return with_estimate(ticket.public(self.tz, ahead, estimate.eta_s), estimate)

    def waiting_places(self, now: float | None = None) -> dict[str, int]:
        """How many are ahead of each waiting ticket, by number (`queue.places`)."""
        return places((t for queue in self.waiting.values() for t in queue.values()), now)

    def recent_calls(self) -> list[RecentCall]:
        """The tickets last called, newest first, at most 10: a recall brings a ticket back
        to the top. Kept up to date by `apply()`; the board payload is made from these by the
        hub (`displays.board.compose_board`)."""
        if self._recent is None:
            called = [t for t in self.tickets.values() if _on_board(t)]
            called.sort(key=_last_called, reverse=True)
            self._recent = [t.no for t in called[:RECENT_CALLS]]
        shown = [self.tickets[no] for no in self._recent]
        return [self._recent_call(t) for t in shown]

    def _recent_call(self, ticket: Ticket) -> RecentCall:
        at = rfc3339(_last_called(ticket), self.tz)
        assert ticket.window is not None and at is not None  # on the board: called at a window
        return RecentCall(ticket.no, ticket.window, at)

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

    def clock(self, now: float) -> str:
        """The hall's local time of day, "HH:MM" (what opening hours are compared with)."""
        return self.local.hhmm(now)

    def accepting(self, now: float | None) -> tuple[bool, ...]:
        """Which services issue tickets now, in catalogue order (hours ignored without now)."""
        clock = None if now is None else self.clock(now)
        return tuple(s.open and (clock is None or s.takes_tickets_at(clock)) for s in self.services)

    def full(self) -> tuple[bool, ...]:
        """Which services issued their daily cap today, in catalogue order: decided here once,
        so every kiosk, screen and dashboard shows a full service alike, before anyone taps."""
        return tuple(
            self.counters.get(s.code, 0) >= min(s.daily_cap or MAX_PER_DAY, MAX_PER_DAY)
            for s in self.services
        )

    def services_view(self, now: float) -> list[dict[str, Any]]:
        """Guidance: each service's queue, the wait of a ticket taken now (`eta_s`; null with
        `eta_reason` when there is none), whether it takes tickets now (`accepting`: open and
        within its hours at `now`) and is served by an open window (`open`), whether it issued
        its daily cap today (`full`), its cap, hours, description and the documents to bring."""
        counts = self.waiting_counts()
        open_ids = self.open_windows()
        estimates = [self.estimate_new(s.code, "normal", now) for s in self.services]
        return [
            {
                "code": s.code,
                "name": s.name,
                "waiting": counts.get(s.code, 0),
                "eta_s": estimate.eta_s,
                **({"eta_reason": estimate.reason} if estimate.reason else {}),
                "open": accepting and any(s.code in self.window_services[w] for w in open_ids),
                "accepting": accepting,
                "mean_service_s": round(self.times.mean(s.code)),
                "daily_cap": s.daily_cap,
                "issued": self.counters.get(s.code, 0),
                "full": full,
                "hours": list(s.hours) if s.hours else None,
                "description": self._description(s.code),
                "documents": list(s.documents),
                **self._english(s.code),
            }
            for s, accepting, full, estimate in zip(
                self.services, self.accepting(now), self.full(), estimates, strict=True
            )
        ]

    def _description(self, code: str) -> str | None:
        """The hall file's description (a service the back office added has none)."""
        configured = self.config.service(code)
        return configured.description if configured else None

    def _english(self, code: str) -> dict[str, str]:
        """The hall file's English name and description, those given (pages in English)."""
        configured = self.config.service(code)
        if configured is None:
            return {}
        english = {"name_en": configured.name_en, "description_en": configured.description_en}
        return {key: value for key, value in english.items() if value is not None}

    # ----- applying a committed outcome ------------------------------------------------------
    def apply(self, outcome: Outcome) -> None:
        for before, after in outcome.tickets:
            self._learn(before, after)
            self.tickets[after.no] = after
            self._board_changed(before, after)
            if before is not None:
                self.waiting.get(before.service, {}).pop(after.no, None)
            self.index.remove(after.no)
            if after.state == "waiting":
                self.waiting.setdefault(after.service, {})[after.no] = after
                self.index.add(after)
            _keep(self.serving, after, after.state == "serving")
            _keep(self.rated_badly, after, after.rated_badly)
        for before_w, after_w in outcome.windows:
            self.windows[after_w.id] = after_w
            if after_w.state != "open":
                self.occupancy.stopped(after_w.id)
            if before_w is None or before_w.state != after_w.state:
                self.forecaster.changed(moves_others=True)
                if before_w is not None and after_w.since is not None:
                    if before_w.state != "closed" and before_w.since is not None:
                        start = seconds_of_day(before_w.since, self.tz)
                        self.arrivals.signed_in(
                            before_w.state == "paused",
                            start,
                            start + after_w.since - before_w.since,
                        )
                    self.occupancy.window_changed(
                        before_w.state,
                        before_w.since,
                        after_w.state,
                        after_w.since,
                        before_w.paused_reason,
                    )
        if outcome.counter is not None:
            service, _old, new = outcome.counter
            self.counters[service] = new
        for service, seconds in outcome.learned:
            self.times.learn(service, seconds)
        for _before_a, appointment in outcome.appointments:
            self.appointments[appointment.code] = appointment
        if outcome.appointments:
            self.forecaster.changed(moves_others=True)
        if outcome.catalogue is not None:
            self.forecaster.changed(moves_others=True)
            self.catalogue = outcome.catalogue[1]
            for entry in self.catalogue.services:
                self.waiting.setdefault(entry.code, {})

    def _learn(self, before: Ticket | None, after: Ticket) -> None:
        """What a ticket's change teaches the estimate: arrivals, window occupancy."""
        if before is None:
            self.arrivals.arrived(after, self.tz)
            self.forecaster.changed(moves_others=after.priority != "normal")
            self.forecaster.taken(after.no, after.service, after.priority)
            return
        self.forecaster.changed(moves_others=after.state == "waiting")
        if before.state == "waiting" and after.state == "called" and after.window is not None:
            assert after.called_at is not None
            self.occupancy.called(after.window, after.service, after.called_at)
        elif (
            before.state in ("called", "serving")
            and after.finished_at is not None
            and before.window is not None
        ):
            self.occupancy.ended(before.window, after.finished_at)


def with_estimate(view: dict[str, Any], estimate: Estimate) -> dict[str, Any]:
    """A waiting ticket's view with its estimate: `eta_s` null and `eta_reason` when none."""
    if estimate.reason is not None:
        view["eta_s"] = None
        view["eta_reason"] = estimate.reason
    return view


def _keep(index: dict[str, Ticket], ticket: Ticket, belongs: bool) -> None:
    """`ticket` in `index` (by number) as it is now, or out of it."""
    if belongs:
        index[ticket.no] = ticket
    else:
        index.pop(ticket.no, None)
