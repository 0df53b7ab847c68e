"""The hall as a pure state: every contract operation decided as a value, applied after commit.

`decide()` never mutates: it returns an `Outcome` (the result for the device, the new records,
the domain events, what ended). The I/O shell commits the outcome atomically to the store, and
only then calls `apply()`; a refused commit (a duplicate request, a fenced hub) leaves the
in-memory hall untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..config import DeviceConfig, HallConfig
from . import args as A
from .errors import DomainError
from .estimate import ServiceTimes, eta_seconds
from .model import Ticket, Window, rfc3339
from .numbering import MAX_PER_DAY, local_day, ticket_no
from .queue import AgeingRule, ahead_of, select_next
from .states import ENDED_STATES, ticket_next, window_next

CALL_OPS = (
    "call.next",
    "call.recall",
    "call.no_show",
    "ticket.start",
    "ticket.finish",
    "ticket.transfer",
)
WINDOW_OPS = ("window.open", "window.pause", "window.resume", "window.close")
# Which device kinds may send which operation; the kind comes from the configuration only.
OP_KINDS: dict[str, frozenset[str]] = {
    "ticket.take": frozenset({"kiosk"}),
    "ticket.status": frozenset(),  # empty: any device
    **{op: frozenset({"window_pad", "caller"}) for op in (*WINDOW_OPS, *CALL_OPS)},
    "eval.submit": frozenset({"window_pad", "evaluator"}),
}
RECENT_CALLS = 10
LEVEL_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


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

    @property
    def changes_queue(self) -> bool:
        return bool(self.tickets)


@dataclass
class HallState:
    config: HallConfig
    day: str
    tickets: dict[str, Ticket] = field(default_factory=dict)  # today's, by number
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # service -> last number issued today
    times: ServiceTimes = field(default_factory=lambda: ServiceTimes(300.0))
    rules: Sequence[AgeingRule] = ()
    # Index of waiting tickets per service, kept by apply(), so nothing scans the whole day.
    waiting: dict[str, dict[str, Ticket]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.config.hall.timezone)
        self.times.default_s = float(self.config.queue.default_service_s)
        for w in self.config.windows:
            self.windows.setdefault(w.id, Window(w.id))
        self.waiting = {s.code: {} for s in self.config.services}
        for t in self.tickets.values():
            if t.state == "waiting":
                self.waiting.setdefault(t.service, {})[t.no] = t
        self.window_services = {w.id: w.services for w in self.config.windows}

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
        called = [t for t in self.tickets.values() if t.called_at is not None and t.window]
        called.sort(key=lambda t: t.called_at or 0.0, reverse=True)
        return [
            {"ticket": t.no, "window": t.window, "at": t.public(self.tz)["called_at"]}
            for t in called[:RECENT_CALLS]
        ]

    def services_view(self) -> list[dict[str, Any]]:
        counts = self.waiting_counts()
        open_ids = self.open_windows()
        return [
            {
                "code": s.code,
                "name": s.name,
                "waiting": counts.get(s.code, 0),
                "eta_s": self.eta(s.code, counts.get(s.code, 0)),
                "open": any(s.code in self.window_services[w] for w in open_ids),
                "mean_service_s": round(self.times.mean(s.code)),
            }
            for s in self.config.services
        ]

    # ----- applying a committed outcome ------------------------------------------------------
    def apply(self, outcome: Outcome) -> None:
        for _before, after in outcome.tickets:
            self.tickets[after.no] = after
            for queue in self.waiting.values():
                queue.pop(after.no, None)
            if after.state == "waiting":
                self.waiting.setdefault(after.service, {})[after.no] = after
        for _before_w, after_w in outcome.windows:
            self.windows[after_w.id] = after_w
        if outcome.counter is not None:
            service, _old, new = outcome.counter
            self.counters[service] = new
        for service, seconds in outcome.learned:
            self.times.learn(service, seconds)


Handler = Callable[[HallState, DeviceConfig, Mapping[str, Any], float], Outcome]


def decide(
    state: HallState, device: DeviceConfig, op: str, args: Mapping[str, Any], now: float
) -> Outcome:
    """Decide one contract operation from `device`; raises DomainError when refused."""
    handler = HANDLERS.get(op)
    if handler is None:
        raise DomainError("unknown_op", f"unknown operation {op!r}")
    allowed = OP_KINDS[op]
    if allowed and device.kind not in allowed:
        raise DomainError(
            "forbidden", f"a {device.kind} may not send {op} (only {', '.join(sorted(allowed))})"
        )
    return handler(state, device, args, now)


def _event(kind: str, now: float, state: HallState, **data: Any) -> dict[str, Any]:
    return {"type": kind, "at": round(now, 3), **data}


# ----- tickets ------------------------------------------------------------------------------
def _take(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    code = A.required_str(args, "service", 1)
    priority = A.optional_choice(args, "priority", ("normal", "green"), "normal")
    appointment = A.optional_str(args, "appointment", 64)
    A.optional_str(args, "id_no", 32)  # accepted, never stored or echoed
    service = state.config.service(code)
    if service is None:
        raise DomainError("unknown_service", f"no service {code!r} in this hall")
    issued = state.counters.get(code, 0)
    cap = min(service.daily_cap or MAX_PER_DAY, MAX_PER_DAY)
    if issued >= cap:
        raise DomainError("daily_cap_reached", f"service {code} has issued its {cap} tickets today")
    arrival = sum(state.counters.values()) + 1
    ticket = Ticket(
        no=ticket_no(code, issued + 1),
        day=state.day,
        service=code,
        priority=priority,  # type: ignore[arg-type]
        state="waiting",
        arrival=arrival,
        issued_at=now,
        kiosk=device.id,
        appointment=appointment,
    )
    ahead = ahead_of(ticket, state.waiting.get(code, {}).values())
    waiting = state.waiting_counts()
    waiting[code] = waiting.get(code, 0) + 1
    eta = eta_seconds(
        ahead, code, state.times, state.window_services, state.open_windows(), waiting
    )
    view = ticket.public(state.tz, ahead, eta)
    return Outcome(
        result={"ticket": view},
        tickets=((None, ticket),),
        counter=(code, issued, issued + 1),
        events=(_event("ticket.taken", now, state, ticket=view, device=device.id),),
        prints=((device.printer, ticket.no),) if device.printer else (),
    )


def _status(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    no = A.ticket_number(args, "no")
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    return Outcome(result={"ticket": state.ticket_view(ticket)})


# ----- windows ------------------------------------------------------------------------------
def _window_of(state: HallState, device: DeviceConfig) -> Window:
    assert device.window is not None  # the configuration binds every window device
    return state.windows[device.window]


def _window_change(
    state: HallState, device: DeviceConfig, now: float, event: str, **changes: Any
) -> Outcome:
    before = _window_of(state, device)
    new_state = window_next(before.state, event, before.id)  # type: ignore[arg-type]
    after = before.evolve(
        state=new_state, since=now if new_state != before.state else before.since, **changes
    )
    view = after.public(state.tz)
    return Outcome(
        result={"window": view},
        windows=((before, after),),
        events=(_event(f"window.{event}", now, state, window=view, device=device.id),),
    )


def _open(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    staff = A.required_str(args, "staff", 64)
    return _window_change(state, device, now, "open", staff=staff, paused_reason=None)


def _pause(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    reason = A.required_str(args, "reason", 200)
    _require_signed_in(_window_of(state, device))
    return _window_change(state, device, now, "pause", paused_reason=reason)


def _resume(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    _require_signed_in(_window_of(state, device))
    return _window_change(state, device, now, "resume", paused_reason=None)


def _close(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window = _window_of(state, device)
    hand = _ticket_in_hand(state, window)
    if hand is not None:
        raise DomainError(
            "invalid_state",
            f"window {window.id} still has {hand.no}: finish it or mark no-show first",
        )
    return _window_change(state, device, now, "close", staff=None, paused_reason=None)


def _require_signed_in(window: Window) -> None:
    if window.state == "closed":
        raise DomainError("window_closed", f"window {window.id} is closed: sign in first")


# ----- calling ------------------------------------------------------------------------------
def _ticket_in_hand(state: HallState, window: Window) -> Ticket | None:
    if window.ticket is None:
        return None
    ticket = state.tickets.get(window.ticket)
    if ticket is None or ticket.state not in ("called", "serving") or ticket.window != window.id:
        return None  # a ticket of an earlier day, or already moved on
    return ticket


def _finished(state: HallState, ticket: Ticket, now: float, outcome_name: str) -> Ticket:
    new_state = ticket_next(ticket.state, "finish", ticket.no)
    started = ticket.started_at if ticket.started_at is not None else ticket.called_at
    return ticket.evolve(state=new_state, finished_at=now, started_at=started, outcome=outcome_name)


def _served_count(window: Window, day: str) -> int:
    return (window.served if window.served_day == day else 0) + 1


def _next(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window = _window_of(state, device)
    _require_signed_in(window)
    if window.state == "paused":
        raise DomainError(
            "window_paused", f"window {window.id} is paused ({window.paused_reason}): resume first"
        )
    tickets: list[tuple[Ticket | None, Ticket]] = []
    events: list[dict[str, Any]] = []
    ended: list[Ticket] = []
    learned: list[tuple[str, float]] = []
    served = window.served if window.served_day == state.day else 0
    hand = _ticket_in_hand(state, window)
    if hand is not None:  # "next" ends the visit in hand, as a keypad with one key expects
        done = _finished(state, hand, now, "done")
        tickets.append((hand, done))
        ended.append(done)
        served += 1
        events.append(
            _event(
                "ticket.finished",
                now,
                state,
                ticket=done.public(state.tz),
                window=window.id,
                device=device.id,
            )
        )
        if done.started_at is not None:
            learned.append((done.service, now - done.started_at))
    chosen = select_next(
        _candidates(state, window.id), state.window_services[window.id], now, state.rules
    )
    if chosen is None:
        after_w = window.evolve(ticket=None, served=served, served_day=state.day)
        return Outcome(
            result={"ticket": None},
            tickets=tuple(tickets),
            windows=((window, after_w),),
            events=tuple(events),
            ended=tuple(ended),
            learned=tuple(learned),
        )
    called = chosen.evolve(
        state=ticket_next(chosen.state, "call", chosen.no),
        window=window.id,
        staff=window.staff,
        called_at=now,
        recalls=0,
    )
    tickets.append((chosen, called))
    after_w = window.evolve(ticket=called.no, served=served, served_day=state.day)
    view = called.public(state.tz)
    events.append(
        _event("ticket.called", now, state, ticket=view, window=window.id, device=device.id)
    )
    return Outcome(
        result={"ticket": view},
        tickets=tuple(tickets),
        windows=((window, after_w),),
        events=tuple(events),
        ended=tuple(ended),
        learned=tuple(learned),
        calls=(Call(called.no, window.id, 0),),
    )


def _candidates(state: HallState, window_id: str) -> list[Ticket]:
    found: list[Ticket] = []
    for code in state.window_services[window_id]:
        found.extend(state.waiting.get(code, {}).values())
    return found


def _hand_or_fail(state: HallState, device: DeviceConfig) -> tuple[Window, Ticket]:
    window = _window_of(state, device)
    _require_signed_in(window)
    hand = _ticket_in_hand(state, window)
    if hand is None:
        raise DomainError("no_ticket", f"window {window.id} has no ticket in hand")
    return window, hand


def _recall(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = _hand_or_fail(state, device)
    ticket_next(hand.state, "recall", hand.no)
    cap = state.config.queue.recall_cap
    if hand.recalls >= cap:
        raise DomainError("invalid_state", f"{hand.no} has been recalled {cap} times: the limit")
    after = hand.evolve(recalls=hand.recalls + 1)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(
            _event("ticket.recalled", now, state, ticket=view, window=window.id, device=device.id),
        ),
        calls=(Call(after.no, window.id, after.recalls),),
    )


def _release(
    state: HallState,
    device: DeviceConfig,
    now: float,
    hand: Ticket,
    after: Ticket,
    kind: str,
    served: bool = False,
) -> Outcome:
    """End or hand back the ticket in hand, leaving the window free."""
    window = _window_of(state, device)
    served_count = (
        _served_count(window, state.day)
        if served
        else (window.served if window.served_day == state.day else 0)
    )
    after_w = window.evolve(ticket=None, served=served_count, served_day=state.day)
    view = after.public(state.tz)
    ended = (after,) if after.state in ENDED_STATES else ()
    learned = (
        ((after.service, now - after.started_at),)
        if (served and after.started_at is not None)
        else ()
    )
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        windows=((window, after_w),),
        events=(_event(kind, now, state, ticket=view, window=window.id, device=device.id),),
        ended=ended,
        learned=learned,
    )


def _no_show(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    _window, hand = _hand_or_fail(state, device)
    after = hand.evolve(
        state=ticket_next(hand.state, "no_show", hand.no), finished_at=now, outcome="no_show"
    )
    return _release(state, device, now, hand, after, "ticket.no_show")


def _start(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = _hand_or_fail(state, device)
    after = hand.evolve(state=ticket_next(hand.state, "start", hand.no), started_at=now)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(
            _event("ticket.started", now, state, ticket=view, window=window.id, device=device.id),
        ),
    )


def _finish(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    outcome_name = A.optional_str(args, "outcome", 32) or "done"
    _window, hand = _hand_or_fail(state, device)
    after = _finished(state, hand, now, outcome_name)
    return _release(state, device, now, hand, after, "ticket.finished", served=True)


def _transfer(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    code = A.required_str(args, "service", 1)
    if state.config.service(code) is None:
        raise DomainError("unknown_service", f"no service {code!r} in this hall")
    _window, hand = _hand_or_fail(state, device)
    if code == hand.service:
        raise DomainError("bad_request", f"{hand.no} already waits for service {code}")
    after = hand.evolve(
        state=ticket_next(hand.state, "transfer", hand.no),
        service=code,
        window=None,
        staff=None,
        called_at=None,
        started_at=None,
        recalls=0,
        origin_service=hand.origin_service or hand.service,
    )
    outcome = _release(state, device, now, hand, after, "ticket.transferred")
    # The transferred ticket's place: ahead of everyone who arrived after it.
    queue = {**state.waiting.get(code, {}), after.no: after}
    ahead = ahead_of(after, queue.values())
    view = after.public(state.tz, ahead, state.eta(code, ahead))
    return Outcome(
        result={"ticket": view},
        tickets=outcome.tickets,
        windows=outcome.windows,
        events=outcome.events,
    )


# ----- ratings ------------------------------------------------------------------------------
def _evaluate(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    no = A.ticket_number(args, "ticket")
    level = A.required_int(args, "level", 1, 5)
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    if ticket.state != "done":
        raise DomainError("invalid_state", f"{no} is {ticket.state}: only a served ticket is rated")
    if ticket.window != device.window:
        raise DomainError("forbidden", f"{no} was not served at window {device.window}")
    if ticket.rated:
        raise DomainError("invalid_state", f"{no} has already been rated (one rating per visit)")
    evaluation = {
        "ticket": no,
        "case_id": f"{state.config.hall.id}-{ticket.day}-{no}",
        "window": ticket.window,
        "staff": ticket.staff,
        "level": level,
        "label": LEVEL_LABELS[level],
        "bad": level <= 2,
        "at": rfc3339(now, state.tz),
    }
    after = ticket.evolve(rated=True)
    events: tuple[dict[str, Any], ...] = (
        _event("eval.submitted", now, state, evaluation=evaluation, device=device.id),
    )
    if level <= 2:
        events += (_event("alarm.bad_rating", now, state, evaluation=evaluation),)
    return Outcome(
        result={"evaluation": evaluation},
        tickets=((ticket, after),),
        events=events,
        evaluations=(evaluation,),
    )


HANDLERS: dict[str, Handler] = {
    "ticket.take": _take,
    "ticket.status": _status,
    "window.open": _open,
    "window.pause": _pause,
    "window.resume": _resume,
    "window.close": _close,
    "call.next": _next,
    "call.recall": _recall,
    "call.no_show": _no_show,
    "ticket.start": _start,
    "ticket.finish": _finish,
    "ticket.transfer": _transfer,
    "eval.submit": _evaluate,
}


def new_day_state(config: HallConfig, now: float) -> HallState:
    tz = ZoneInfo(config.hall.timezone)
    return HallState(config=config, day=local_day(now, tz))
