"""Calling: next, recall, no-show, start, finish, transfer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import DeviceConfig
from . import args as A
from .errors import DomainError
from .model import Ticket, Window
from .ops_windows import require_signed_in, ticket_in_hand, window_of
from .queue import ahead_of
from .state import Call, HallState, Outcome
from .states import ENDED_STATES, ticket_next


def _finished(state: HallState, ticket: Ticket, now: float, outcome_name: str) -> Ticket:
    new_state = ticket_next(ticket.state, "finish", ticket.no)
    started = ticket.started_at if ticket.started_at is not None else ticket.called_at
    return ticket.evolve(state=new_state, finished_at=now, started_at=started, outcome=outcome_name)


def _served_count(window: Window, day: str) -> int:
    return (window.served if window.served_day == day else 0) + 1


def call_next(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    window = window_of(state, device)
    require_signed_in(window)
    if window.state == "paused":
        raise DomainError(
            "window_paused", f"window {window.id} is paused ({window.paused_reason}): resume first"
        )
    tickets: list[tuple[Ticket | None, Ticket]] = []
    events: list[dict[str, Any]] = []
    ended: list[Ticket] = []
    learned: list[tuple[str, float]] = []
    served = window.served if window.served_day == state.day else 0
    hand = ticket_in_hand(state, window)
    if hand is not None:  # "next" ends the visit in hand, as a keypad with one key expects
        done = _finished(state, hand, now, "done")
        tickets.append((hand, done))
        ended.append(done)
        served += 1
        events.append(
            state.event(
                "ticket.finished",
                now,
                ticket=done.public(state.tz),
                window=window.id,
                device=device.id,
            )
        )
        if done.started_at is not None:
            learned.append((done.service, now - done.started_at))
    chosen = state.next_for(window.id, now)
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
        state.event("ticket.called", now, ticket=view, window=window.id, device=device.id)
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


def _hand_or_fail(state: HallState, device: DeviceConfig) -> tuple[Window, Ticket]:
    window = window_of(state, device)
    require_signed_in(window)
    hand = ticket_in_hand(state, window)
    if hand is None:
        raise DomainError("no_ticket", f"window {window.id} has no ticket in hand")
    return window, hand


def recall(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = _hand_or_fail(state, device)
    ticket_next(hand.state, "recall", hand.no)
    cap = state.config.queue.recall_cap
    if hand.recalls >= cap:
        raise DomainError("invalid_state", f"{hand.no} has been recalled {cap} times: the limit")
    after = hand.evolve(recalls=hand.recalls + 1, recalled_at=now)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(
            state.event("ticket.recalled", now, ticket=view, window=window.id, device=device.id),
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
    window = window_of(state, device)
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
        events=(state.event(kind, now, ticket=view, window=window.id, device=device.id),),
        ended=ended,
        learned=learned,
    )


def no_show(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    _window, hand = _hand_or_fail(state, device)
    after = hand.evolve(
        state=ticket_next(hand.state, "no_show", hand.no), finished_at=now, outcome="no_show"
    )
    return _release(state, device, now, hand, after, "ticket.no_show")


def start(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = _hand_or_fail(state, device)
    after = hand.evolve(state=ticket_next(hand.state, "start", hand.no), started_at=now)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(
            state.event("ticket.started", now, ticket=view, window=window.id, device=device.id),
        ),
    )


def finish(state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float) -> Outcome:
    outcome_name = A.optional_str(args, "outcome", 32) or "done"
    _window, hand = _hand_or_fail(state, device)
    after = _finished(state, hand, now, outcome_name)
    return _release(state, device, now, hand, after, "ticket.finished", served=True)


def transfer(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    code = A.required_str(args, "service", 1)
    if state.service(code) is None:
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
