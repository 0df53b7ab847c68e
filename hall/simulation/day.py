"""One simulated hall day through the real pure core.

Everything happens on a simulated clock, in order of time, from one random generator seeded
by the caller: the same seed gives the same day. Citizens take tickets at the kiosk (green
channel for some, appointments checked in at their slots), wait, walk up when called or do
not come (recalled, then marked no-show), are served for a lognormal time, sometimes
transferred to another service, and rate the visit. Clerks sign in for their shifts, leave a
gap between visits, pause now and then and for lunch, and sign out when their shift is over.

Every ticket's estimate is recorded when it is taken, the hall's own (`eta_s` of the kiosk's
answer) beside the naive one vendors ship (people ahead × mean service time ÷ open windows
serving the service), and compared with the wait it had: from taking it to its first call.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from hall.domain.actor import Actor
from hall.domain.arrivals import ArrivalHistory
from hall.domain.config import HallConfig
from hall.domain.errors import DomainError
from hall.domain.hall import HallState, Outcome, decide
from hall.domain.model import rfc3339

from .profile import WINDOW_KINDS, DayProfile, ServiceLoad, Shift

IDLE_POLL_S = 20.0  # a clerk with nobody to call looks again after this long
SAMPLE_EVERY_S = 300.0  # the queue is sampled this often for the report
LUNCH, BREAK = "午餐 lunch", "暂离 short break"  # the clerks' pause reasons
RATING_LEVELS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (70, 18, 7, 3, 2)


@dataclass
class TicketRecord:
    """What the report needs of one ticket."""

    no: str
    service: str
    priority: str
    issued_at: float
    ahead: int
    ours: int | None  # the hall's estimate (seconds), None with a reason
    naive: float | None
    reason: str | None = None
    called_at: float | None = None
    window: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    outcome: str | None = None
    rating: int | None = None
    transferred: bool = False


@dataclass
class WindowRecord:
    id: str
    signed_in_s: float = 0.0
    busy_s: float = 0.0  # from each call to the end of the visit
    paused_s: float = 0.0
    served: int = 0
    no_shows: int = 0
    service_s: list[float] = field(default_factory=list)


@dataclass
class DayResult:
    """The raw day: tickets, windows, queue samples, refused operations."""

    profile: DayProfile
    seed: int
    day_start: float
    tickets: dict[str, TicketRecord]
    windows: dict[str, WindowRecord]
    queue_samples: list[tuple[float, dict[str, int]]]
    refused: dict[str, int]
    booked: int
    appointments_missed: int
    estimate_ms: list[float]


@dataclass
class _Clerk:
    window: str
    shift: Shift
    pad: Actor
    staff: str
    lunch_taken: bool = False
    pauses: list[float] = field(default_factory=list)
    paused_at: float | None = None
    signed_in_at: float | None = None
    recalls: int = 0


@dataclass
class _Citizen:
    no_show: bool
    transfer: bool
    rating: int | None


class DaySimulation:
    def __init__(self, hall: HallConfig, profile: DayProfile, seed: int) -> None:
        self.hall = hall
        self.profile = profile
        self.seed = seed
        self.rng = random.Random(seed)
        self.tz = ZoneInfo(hall.hall.timezone)
        self.day_start = datetime.combine(profile.day, time(0), self.tz).timestamp()
        self.now = self.day_start + profile.opens_s - 3600
        history = ArrivalHistory()
        for back in range(profile.history_days):
            history.add_day(self._history_day(seed * 1000 + back + 1))
            history.add_staffing_day(self._history_staffing(seed * 1000 + back + 1, history))
        self.state = HallState(config=hall, day=profile.day.isoformat(), arrivals=history)
        self.kiosk = Actor.of_device(next(d for d in hall.devices if d.kind == "kiosk"))
        self.back_office = Actor.back_office("simulation")
        self.pads = {
            d.window: Actor.of_device(d)
            for d in reversed(hall.devices)
            if d.kind in WINDOW_KINDS and d.window is not None
        }
        self.loads = {s.code: s for s in profile.services}
        self.events: list[tuple[float, int, str, Any]] = []
        self._serial = 0
        self.tickets: dict[str, TicketRecord] = {}
        self.citizens: dict[str, _Citizen] = {}
        self.windows = {w.id: WindowRecord(w.id) for w in hall.windows}
        # Who works each window now, and who takes it over when they leave: a shift that
        # begins as the one before it ends waits for its clerk to finish the visit in hand.
        self.at_window: dict[str, _Clerk] = {}
        self.taking_over: dict[str, _Clerk] = {}
        self.queue_samples: list[tuple[float, dict[str, int]]] = []
        self.refused: dict[str, int] = {}
        self.booked = 0
        self.appointments_missed = 0
        self.clock: Callable[[], float] = lambda: 0.0  # the caller may time the estimate
        self.estimate_ms: list[float] = []

    # ----- the day's plan -------------------------------------------------------------------
    def _history_day(self, seed: int) -> list[tuple[tuple[str, str], float]]:
        """An earlier day's arrivals, drawn from the same profile (what the hall learned)."""
        rng = random.Random(seed)
        out: list[tuple[tuple[str, str], float]] = []
        for load in self.profile.services:
            for second in self._arrivals(rng, load):
                klass = "green" if rng.random() < self.profile.green_share else "normal"
                out.append(((load.code, klass), second))
        return out

    def _history_staffing(self, seed: int, history: ArrivalHistory) -> list[tuple[float, float]]:
        """An earlier day's windows: signed in for their shifts, paused for lunch and breaks
        as the clerks of this profile do (the pauses' lengths go into `history`)."""
        rng = random.Random(-seed)
        record = ArrivalHistory()
        for shift in self.profile.shifts:
            for _window in shift.windows:
                pauses: list[tuple[float, float]] = []
                if shift.lunch_s is not None:
                    pauses.append((shift.lunch_s, shift.lunch_s + self.profile.lunch_min * 60))
                    history.add_pause(LUNCH, self.profile.lunch_min * 60)
                span = shift.end_s - shift.start_s
                for _ in range(self.profile.pauses_per_day):
                    start = shift.start_s + rng.uniform(0.1, 0.9) * span
                    length = rng.expovariate(1 / max(1.0, self.profile.pause_min * 60))
                    pauses.append((start, start + length))
                    history.add_pause(BREAK, length)
                at = float(shift.start_s)
                for start, end in sorted(pauses):
                    start, end = max(start, at), min(end, shift.end_s)
                    if end <= start:
                        continue
                    record.signed_in(False, at, start)
                    record.signed_in(True, start, end)
                    at = end
                record.signed_in(False, at, shift.end_s)
        return record.staffing_today

    def _arrivals(self, rng: random.Random, load: ServiceLoad) -> list[float]:
        """Arrival seconds of the day for one service: Poisson, thinned to the day's rate."""
        peak = self.profile.peak_rate_per_s(load)
        out: list[float] = []
        if peak <= 0:
            return out
        second = float(self.profile.opens_s)
        while True:
            second += rng.expovariate(peak)
            if second >= self.profile.closes_s:
                return out
            if rng.random() * peak < self.profile.rate_per_s(load, second):
                out.append(second)

    def _at(self, second: float) -> float:
        return self.day_start + second

    def _schedule(self, at: float, kind: str, payload: Any = None) -> None:
        self._serial += 1
        heapq.heappush(self.events, (at, self._serial, kind, payload))

    def _plan(self) -> None:
        profile = self.profile
        for load in profile.services:
            for second in self._arrivals(self.rng, load):
                self._schedule(self._at(second), "arrive", load.code)
        if profile.appointments is not None:
            self._plan_appointments()
        for i, shift in enumerate(profile.shifts):
            for window in shift.windows:
                clerk = _Clerk(window, shift, self.pads[window], f"S{window}-{i + 1}")
                span = shift.end_s - shift.start_s
                clerk.pauses = sorted(
                    self._at(shift.start_s + self.rng.uniform(0.1, 0.9) * span)
                    for _ in range(profile.pauses_per_day)
                )
                self._schedule(self._at(shift.start_s), "open", clerk)
        second = float(profile.opens_s)
        while second <= profile.closes_s + profile.overtime_min * 60:
            self._schedule(self._at(second), "sample")
            second += SAMPLE_EVERY_S

    def _plan_appointments(self) -> None:
        rules = self.profile.appointments
        assert rules is not None
        slot_s = rules.slot_min * 60
        start = self.profile.opens_s
        serial = 0
        while start + slot_s <= self.profile.closes_s:
            for code in rules.services:
                expected = rules.per_hour * slot_s / 3600 / len(rules.services)
                for _ in range(_poisson(self.rng, expected)):
                    serial += 1
                    booking = f"SIM{self.seed % 1000:03d}{serial:05d}"
                    self._book(booking, code, self._at(start), self._at(start + slot_s))
                    if self.rng.random() < rules.no_show_share:
                        self.appointments_missed += 1
                        continue
                    # Most come a little before their slot, a few a little late.
                    offset = self.rng.uniform(-12 * 60, 6 * 60)
                    arrive = max(self._at(self.profile.opens_s), self._at(start) + offset)
                    self._schedule(arrive, "check_in", booking)
            start += slot_s

    def _book(self, code: str, service: str, slot_start: float, slot_end: float) -> None:
        args = {
            "code": code,
            "service": service,
            "slot_start": rfc3339(slot_start, self.tz),
            "slot_end": rfc3339(slot_end, self.tz),
        }
        if self._do(self.back_office, "appointment.book", args) is not None:
            self.booked += 1

    # ----- running ----------------------------------------------------------------------------
    def run(self) -> DayResult:
        self._plan()
        handlers: dict[str, Callable[[Any], None]] = {
            "arrive": self._arrive,
            "check_in": self._check_in,
            "open": self._open,
            "next": self._next,
            "recall": self._recall,
            "start": self._start,
            "finish": self._finish,
            "resume": self._resume,
            "sample": self._sample,
        }
        while self.events:
            at, _serial, kind, payload = heapq.heappop(self.events)
            self.now = at
            handlers[kind](payload)
        return DayResult(
            self.profile,
            self.seed,
            self.day_start,
            self.tickets,
            self.windows,
            self.queue_samples,
            self.refused,
            self.booked,
            self.appointments_missed,
            self.estimate_ms,
        )

    def _do(self, actor: Actor, op: str, args: dict[str, Any] | None = None) -> Outcome | None:
        try:
            outcome = decide(self.state, actor, op, args or {}, self.now)
        except DomainError as refused:
            self.refused[f"{op}: {refused.code}"] = self.refused.get(f"{op}: {refused.code}", 0) + 1
            return None
        self.state.apply(outcome)
        for _before, after in outcome.tickets:
            record = self.tickets.get(after.no)
            if record is not None and after.state == "called" and record.called_at is None:
                record.called_at = after.called_at
                record.window = after.window
        return outcome

    # ----- citizens -------------------------------------------------------------------------
    def _citizen(self) -> _Citizen:
        profile = self.profile
        rated = self.rng.random() < profile.rating_share
        return _Citizen(
            no_show=self.rng.random() < profile.no_show_share,
            transfer=self.rng.random() < profile.transfer_share,
            rating=self.rng.choices(RATING_LEVELS, RATING_WEIGHTS)[0] if rated else None,
        )

    def _arrive(self, code: str) -> None:
        green = self.rng.random() < self.profile.green_share
        self._take({"service": code, "priority": "green" if green else "normal"}, code)

    def _check_in(self, booking: str) -> None:
        appointment = self.state.appointments[booking]
        self._take({"appointment": booking}, appointment.service)

    def _take(self, args: dict[str, Any], code: str) -> None:
        naive = self._naive(code)
        started = self.clock()
        outcome = self._do(self.kiosk, "ticket.take", args)
        self.estimate_ms.append((self.clock() - started) * 1000)
        if outcome is None:
            return
        view = outcome.result["ticket"]
        self.tickets[view["no"]] = TicketRecord(
            no=view["no"],
            service=code,
            priority=view["priority"],
            issued_at=self.now,
            ahead=view["ahead"],
            ours=view["eta_s"],
            naive=naive,
            reason=view.get("eta_reason"),
        )
        self.citizens[view["no"]] = self._citizen()

    def _naive(self, code: str) -> float | None:
        """People ahead × mean service time ÷ open windows serving the service."""
        ahead = len(self.state.waiting.get(code, {}))
        open_windows = sum(
            1 for w in self.state.open_windows() if code in self.state.window_services.get(w, ())
        )
        if open_windows == 0:
            return None
        return ahead * self.state.times.mean(code) / open_windows

    # ----- clerks ---------------------------------------------------------------------------
    def _open(self, clerk: _Clerk) -> None:
        if clerk.window in self.at_window:
            self.taking_over[clerk.window] = clerk
            return
        if self._do(clerk.pad, "window.open", {"staff": clerk.staff}) is not None:
            self.at_window[clerk.window] = clerk
            clerk.signed_in_at = self.now
            self._schedule(self.now, "next", clerk)

    def _leave(self, clerk: _Clerk) -> None:
        """The clerk signs out at the end of the shift; the next shift's clerk, if waiting,
        takes the window over."""
        record = self.windows[clerk.window]
        if self._do(clerk.pad, "window.close") is not None and clerk.signed_in_at is not None:
            record.signed_in_s += self.now - clerk.signed_in_at
        self.at_window.pop(clerk.window, None)
        successor = self.taking_over.pop(clerk.window, None)
        if successor is not None:
            self._schedule(self.now, "open", successor)

    def _shift_over(self, clerk: _Clerk) -> bool:
        end = self._at(clerk.shift.end_s)
        if self.now < end:
            return False
        # The last shift serves whoever still waits, for at most the overtime.
        overtime_end = self._at(self.profile.closes_s + self.profile.overtime_min * 60)
        last = clerk.shift.end_s >= self.profile.closes_s
        return not (
            last and self.now < overtime_end and self.state.next_for(clerk.window, self.now)
        )

    def _next(self, clerk: _Clerk) -> None:
        if self._shift_over(clerk):
            self._leave(clerk)
            return
        lunch = clerk.shift.lunch_s
        if lunch is not None and not clerk.lunch_taken and self.now >= self._at(lunch):
            clerk.lunch_taken = True
            self._pause(clerk, LUNCH, self.profile.lunch_min * 60)
            return
        if clerk.pauses and self.now >= clerk.pauses[0]:
            clerk.pauses.pop(0)
            length = self.rng.expovariate(1 / max(1.0, self.profile.pause_min * 60))
            self._pause(clerk, BREAK, length)
            return
        outcome = self._do(clerk.pad, "call.next")
        ticket = outcome.result.get("ticket") if outcome is not None else None
        if ticket is None:
            self._schedule(self.now + IDLE_POLL_S, "next", clerk)
            return
        clerk.recalls = 0
        citizen = self.citizens.get(ticket["no"])
        if citizen is not None and citizen.no_show:
            self._schedule(self.now + self.profile.recall_after_s, "recall", (clerk, ticket["no"]))
        else:
            walk = self.rng.expovariate(1 / max(1.0, self.profile.walk_up_s))
            self._schedule(self.now + walk, "start", (clerk, ticket["no"]))

    def _pause(self, clerk: _Clerk, reason: str, length: float) -> None:
        if self._do(clerk.pad, "window.pause", {"reason": reason}) is None:
            self._schedule(self.now + IDLE_POLL_S, "next", clerk)
            return
        clerk.paused_at = self.now
        self._schedule(self.now + length, "resume", clerk)

    def _resume(self, clerk: _Clerk) -> None:
        self._do(clerk.pad, "window.resume")
        if clerk.paused_at is not None:
            self.windows[clerk.window].paused_s += self.now - clerk.paused_at
            clerk.paused_at = None
        self._schedule(self.now, "next", clerk)

    def _recall(self, payload: tuple[_Clerk, str]) -> None:
        clerk, no = payload
        if clerk.recalls < self.profile.recalls_before_no_show:
            clerk.recalls += 1
            self._do(clerk.pad, "call.recall")
            self._schedule(self.now + self.profile.recall_after_s, "recall", payload)
            return
        self._do(clerk.pad, "call.no_show")
        record = self.tickets.get(no)
        if record is not None:
            record.outcome = "no_show"
            self._busy(clerk, record)
        self.windows[clerk.window].no_shows += 1
        self._after_visit(clerk)

    def _start(self, payload: tuple[_Clerk, str]) -> None:
        clerk, no = payload
        self._do(clerk.pad, "ticket.start")
        record = self.tickets.get(no)
        load = self.loads.get(record.service if record else "")
        median = (load.service_min if load else 5.0) * 60
        sigma = load.service_sigma if load else 0.5
        if record is not None:
            record.started_at = self.now
        length = self.rng.lognormvariate(math.log(median), sigma)
        self._schedule(self.now + length, "finish", payload)

    def _finish(self, payload: tuple[_Clerk, str]) -> None:
        clerk, no = payload
        citizen = self.citizens.get(no)
        record = self.tickets.get(no)
        load = self.loads.get(record.service if record else "")
        window = self.windows[clerk.window]
        if citizen is not None and citizen.transfer and load is not None and load.transfer_to:
            citizen.transfer = False  # once
            self._do(clerk.pad, "ticket.transfer", {"service": load.transfer_to})
            if record is not None:
                record.transferred = True
                self._busy(clerk, record)
            self._after_visit(clerk)
            return
        self._do(clerk.pad, "ticket.finish")
        window.served += 1
        if record is not None:
            record.finished_at = self.now
            record.outcome = record.outcome or "done"
            if record.started_at is not None:
                window.service_s.append(self.now - record.started_at)
            self._busy(clerk, record)
        if citizen is not None and citizen.rating is not None:
            if self._do(clerk.pad, "eval.submit", {"ticket": no, "level": citizen.rating}):
                if record is not None:
                    record.rating = citizen.rating
        self._after_visit(clerk)

    def _busy(self, clerk: _Clerk, record: TicketRecord) -> None:
        ticket = self.state.tickets.get(record.no)
        called = ticket.called_at if ticket is not None and ticket.called_at else self.now
        self.windows[clerk.window].busy_s += max(0.0, self.now - called)

    def _after_visit(self, clerk: _Clerk) -> None:
        gap = self.rng.expovariate(1 / max(1.0, self.profile.gap_s))
        self._schedule(self.now + gap, "next", clerk)

    def _sample(self, _payload: Any) -> None:
        self.queue_samples.append((self.now, self.state.waiting_counts()))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method: the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def simulate(hall: HallConfig, profile: DayProfile, seed: int = 1) -> DayResult:
    """Run one day; the same hall, profile and seed give the same day."""
    return DaySimulation(hall, profile, seed).run()
