"""Sending a ticket on: a transfer to a service, a window or a clerk (at its place, the front
or the back), and a no-show requeued for a new visit at the hall's `requeue_position`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import args as A
from .actor import Actor
from .errors import DomainError
from .events import TicketRequeued, TicketTransferred
from .forecast import Estimate
from .model import PRIORITY_RANK, Ticket
from .ops_calls import hand_or_fail, release_hand
from .ops_windows import require_signed_in, window_of
from .queue import ahead_of, effective_rank
from .queue_place import POSITIONS, placed_arrival
from .state import HallState, Outcome, with_estimate
from .states import ticket_next


def transfer(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    """`ticket.transfer`: `service`, `window` or `staff` (the window that clerk is signed in
    at), and `position` (`front`, `back`; by default it keeps its place by arrival)."""
    code = A.optional_str(args, "service", 1)
    target = A.optional_str(args, "window", 16)
    staff = A.optional_staff_id(args, "staff")
    position = A.optional_choice(args, "position", POSITIONS, "") or None
    if target is not None and staff is not None:
        raise DomainError("bad_request", "give args.window or args.staff, not both")
    if code is None and target is None and staff is None:
        raise DomainError("bad_request", "args.service, args.window or args.staff is required")
    if code is not None and state.service(code) is None:
        raise DomainError("unknown_service", f"no service {code!r} in this hall")
    window, hand = hand_or_fail(state, device)
    if staff is not None:
        target = _window_of_clerk(state, staff)
    if target is not None:
        code = _service_at(state, target, code or hand.service, explicit=code is not None)
    elif code == hand.service:
        raise DomainError("bad_request", f"{hand.no} already waits for service {code}")
    assert code is not None
    after = hand.evolve(
        state=ticket_next(hand.state, "transfer", hand.no),
        service=code,
        window=None,
        staff=None,
        called_at=None,
        started_at=None,
        recalls=0,
        origin_service=hand.origin_service or (hand.service if code != hand.service else None),
        for_window=target,
    )
    if position is not None:
        arrival = placed_arrival(
            after, code, state.waiting.get(code, {}).values(), position, _next_arrival(state)
        )
        after = after.evolve(arrival=arrival)
    came_from = {"service": hand.service, "window": window.id, "staff": window.staff}
    going_to = {
        "service": code,
        "window": target,
        "staff": staff if staff is not None else (state.windows[target].staff if target else None),
        "position": position or "arrival",
    }
    outcome = release_hand(
        state,
        device,
        now,
        hand,
        after,
        lambda view: TicketTransferred(now, view, window.id, device.id, came_from, going_to),
    )
    return Outcome(
        result={"ticket": _waiting_view(state, after, now)},
        tickets=outcome.tickets,
        windows=outcome.windows,
        events=outcome.events,
    )


def requeue(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    """`ticket.requeue`: a no-show who turned up again waits again, with the same number, for
    a new visit (a new case for the back office)."""
    no = A.ticket_number(args, "no")
    window = window_of(state, device)
    require_signed_in(window)
    ticket = state.tickets.get(no)
    if ticket is None:
        raise DomainError("not_found", f"no ticket {no} today")
    after = ticket.evolve(
        state=ticket_next(ticket.state, "requeue", no),
        window=None,
        staff=None,
        called_at=None,
        recalled_at=None,
        started_at=None,
        finished_at=None,
        recalls=0,
        outcome=None,
        visit=ticket.visit + 1,
        requeued_at=now,
        for_window=None,
        services_done=None,
        rated=False,
        rating=None,
        rated_at=None,
        unrated_reported=False,
    )
    waiting = state.waiting.get(after.service, {}).values()
    position = state.config.queue.requeue_position
    after = after.evolve(
        arrival=placed_arrival(after, after.service, waiting, position, _next_arrival(state))
    )
    view = _waiting_view(state, after, now)
    return Outcome(
        result={"ticket": view},
        tickets=((ticket, after),),
        events=(TicketRequeued(now, view, window.id, device.id),),
    )


def _next_arrival(state: HallState) -> int:
    """The arrival the day's next ticket will get (`ops_tickets.take`)."""
    return sum(state.counters.values()) + 1


def _waiting_view(state: HallState, ticket: Ticket, now: float) -> dict[str, Any]:
    """The view of a ticket about to wait again, with its place in its service's queue and
    the wait of one that far back in its class (the forecast has not seen it yet)."""
    queue = {**state.waiting.get(ticket.service, {}), ticket.no: ticket}
    ahead = ahead_of(ticket, queue.values(), now)
    klass = ticket.priority if effective_rank(ticket, now) != PRIORITY_RANK["normal"] else "normal"
    estimate = state.estimate_new(ticket.service, klass, now)
    if estimate.eta_s is not None and ahead < len(queue) - 1:
        # Not last in its queue: the share of the queue's wait that is ahead of it.
        estimate = Estimate(round(estimate.eta_s * (ahead + 0.5) / len(queue)))
    return with_estimate(ticket.public(state.tz, ahead, estimate.eta_s), estimate)


def _window_of_clerk(state: HallState, staff: str) -> str:
    """The window this clerk is signed in at now."""
    for window_id in sorted(state.windows):
        window = state.windows[window_id]
        if window.state != "closed" and window.staff == staff:
            return window_id
    raise DomainError("no_window", f"{staff} is not signed in at any window")


def _service_at(state: HallState, window_id: str, code: str, *, explicit: bool) -> str:
    """The service a ticket transferred to this window waits for: `code` when the window
    serves it; else, unless it was asked for, the window's first service."""
    if window_id not in state.windows:
        raise DomainError("not_found", f"no window {window_id!r} in this hall")
    served = state.window_services.get(window_id, ())
    if code in served:
        return code
    if explicit or not served:
        raise DomainError("not_window_service", f"window {window_id} does not serve {code}")
    return served[0]
