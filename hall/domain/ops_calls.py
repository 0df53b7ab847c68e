"""Calling: next, a chosen ticket, recall, no-show, start, finish (with the services done).

Transfers and requeues are in `ops_transfer.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import args as A
from .actor import Actor
from .errors import DomainError
from .events import (
    DomainEvent,
    TicketCalled,
    TicketFinished,
    TicketNoShow,
    TicketRecalled,
    TicketStarted,
)
from .model import Ticket, Window
from .ops_windows import require_signed_in, ticket_in_hand, window_of
from .queue import may_call
from .state import Call, HallState, Outcome
from .states import ENDED_STATES, ticket_next


def _finished(state: HallState, ticket: Ticket, now: float, outcome_name: str) -> Ticket:
    new_state = ticket_next(ticket.state, "finish", ticket.no)
    started = ticket.started_at if ticket.started_at is not None else ticket.called_at
    return ticket.evolve(state=new_state, finished_at=now, started_at=started, outcome=outcome_name)


def _served_count(window: Window, day: str) -> int:
    return (window.served if window.served_day == day else 0) + 1


def call_next(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    return _call(state, device, now, lambda window: state.next_for(window.id, now))


def call_ticket(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    """Call one waiting ticket chosen from the window's list (`window.queue`)."""
    no = A.ticket_number(args, "no")

    def chosen(window: Window) -> Ticket:
        ticket = state.tickets.get(no)
        if ticket is None:
            raise DomainError("not_found", f"no ticket {no} today")
        if ticket.state != "waiting":
            raise DomainError("not_waiting", f"{no} is {ticket.state}, not waiting")
        if not may_call(ticket, state.window_services[window.id], window.id):
            raise DomainError("not_window_service", f"window {window.id} does not serve {no}")
        return ticket

    return _call(state, device, now, chosen)


def _call(
    state: HallState, device: Actor, now: float, choose: Callable[[Window], Ticket | None]
) -> Outcome:
    """Call the ticket `choose` picks for the window (None: nobody to call)."""
    window = window_of(state, device)
    require_signed_in(window)
    if window.state == "paused":
        raise DomainError(
            "window_paused", f"window {window.id} is paused ({window.paused_reason}): resume first"
        )
    chosen = choose(window)
    tickets: list[tuple[Ticket | None, Ticket]] = []
    events: list[DomainEvent] = []
    ended: list[Ticket] = []
    learned: list[tuple[str, float]] = []
    served = window.served if window.served_day == state.day else 0
    hand = ticket_in_hand(state, window)
    if hand is not None:  # a call ends the visit in hand, as a keypad with one key expects
        done = _finished(state, hand, now, "done")
        tickets.append((hand, done))
        ended.append(done)
        served += 1
        events.append(TicketFinished(now, done.public(state.tz), window.id, device.id))
        if done.started_at is not None:
            learned.append((done.service, now - done.started_at))
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
        for_window=None,
    )
    tickets.append((chosen, called))
    after_w = window.evolve(ticket=called.no, served=served, served_day=state.day)
    view = called.public(state.tz)
    events.append(TicketCalled(now, view, window.id, device.id))
    return Outcome(
        result={"ticket": view},
        tickets=tuple(tickets),
        windows=((window, after_w),),
        events=tuple(events),
        ended=tuple(ended),
        learned=tuple(learned),
        calls=(Call(called.no, window.id, 0),),
    )


def hand_or_fail(state: HallState, device: Actor) -> tuple[Window, Ticket]:
    window = window_of(state, device)
    require_signed_in(window)
    hand = ticket_in_hand(state, window)
    if hand is None:
        raise DomainError("no_ticket", f"window {window.id} has no ticket in hand")
    return window, hand


def recall(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = hand_or_fail(state, device)
    ticket_next(hand.state, "recall", hand.no)
    cap = state.config.queue.recall_cap
    if hand.recalls >= cap:
        raise DomainError("invalid_state", f"{hand.no} has been recalled {cap} times: the limit")
    after = hand.evolve(recalls=hand.recalls + 1, recalled_at=now)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(TicketRecalled(now, view, window.id, device.id),),
        calls=(Call(after.no, window.id, after.recalls),),
    )


def release_hand(
    state: HallState,
    device: Actor,
    now: float,
    hand: Ticket,
    after: Ticket,
    event: Callable[[dict[str, Any]], DomainEvent],
    served: bool = False,
) -> Outcome:
    """End or hand back the ticket in hand, leaving the window free; `event` makes the
    event from the ticket's view after."""
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
        events=(event(view),),
        ended=ended,
        learned=learned,
    )


def no_show(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = hand_or_fail(state, device)
    after = hand.evolve(
        state=ticket_next(hand.state, "no_show", hand.no), finished_at=now, outcome="no_show"
    )
    window_id = window.id
    return release_hand(
        state, device, now, hand, after, lambda view: TicketNoShow(now, view, window_id, device.id)
    )


def start(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    window, hand = hand_or_fail(state, device)
    after = hand.evolve(state=ticket_next(hand.state, "start", hand.no), started_at=now)
    view = after.public(state.tz)
    return Outcome(
        result={"ticket": view},
        tickets=((hand, after),),
        events=(TicketStarted(now, view, window.id, device.id),),
    )


def finish(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    outcome_name = A.optional_str(args, "outcome", 32) or "done"
    done = services_done(state, args)
    window, hand = hand_or_fail(state, device)
    after = _finished(state, hand, now, outcome_name).evolve(services_done=done)
    window_id = window.id
    return release_hand(
        state,
        device,
        now,
        hand,
        after,
        lambda view: TicketFinished(now, view, window_id, device.id),
        served=True,
    )


MAX_SERVICES_DONE = 26  # one per letter of the catalogue


def services_done(state: HallState, args: Mapping[str, Any]) -> tuple[str, ...] | None:
    """`args.services_done`: one or several services of the catalogue, each once."""
    value = args.get("services_done")
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_SERVICES_DONE:
        raise DomainError(
            "bad_request", f"args.services_done must be a list of 1-{MAX_SERVICES_DONE} codes"
        )
    codes: list[str] = []
    for code in value:
        if not isinstance(code, str):
            raise DomainError("bad_request", f"args.services_done holds {code!r}, not a code")
        if state.service(code) is None:
            raise DomainError("unknown_service", f"no service {code!r} in this hall")
        if code in codes:
            raise DomainError("bad_request", f"args.services_done names {code} twice")
        codes.append(code)
    return tuple(codes)
