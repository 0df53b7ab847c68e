"""Window operations: sign in (open), pause with a reason, resume, close; the window's
waiting list (`window.queue`).

A window device acts on its own window. A manager (from the dashboard) may pause or close
any window, named in `args.window`: the window's devices show it at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import args as A
from .actor import MANAGER, Actor
from .errors import DomainError
from .events import WINDOW_EVENTS
from .model import Ticket, Window
from .queue import candidates_for
from .staff import check_sign_in
from .state import HallState, Outcome
from .states import window_next

QUEUE_LIMIT = 50  # the most tickets `window.queue` lists; `total` counts them all


def window_of(state: HallState, device: Actor, args: Mapping[str, Any] | None = None) -> Window:
    """The window a request acts on: the device's own, or the one a manager names."""
    if device.kind == MANAGER:
        window_id = A.required_str(args or {}, "window", 16)
        window = state.windows.get(window_id)
        if window is None:
            raise DomainError("not_found", f"no window {window_id!r} in this hall")
        return window
    assert device.window is not None  # the configuration binds every window device
    return state.windows[device.window]


def _window_change(
    state: HallState,
    device: Actor,
    args: Mapping[str, Any],
    now: float,
    event: str,
    **changes: Any,
) -> Outcome:
    before = window_of(state, device, args)
    new_state = window_next(before.state, event, before.id)  # type: ignore[arg-type]
    after = before.evolve(
        state=new_state, since=now if new_state != before.state else before.since, **changes
    )
    view = after.public(state.tz)
    return Outcome(
        result={"window": view},
        windows=((before, after),),
        events=(WINDOW_EVENTS[event](now, view, device.id),),
    )


def open_window(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    staff = A.staff_id(args, "staff")
    check = device.staff_check if device.staff_check and device.staff_check.staff == staff else None
    check_sign_in(state.config.staff.require_pin, check)
    window = window_of(state, device, args)
    elsewhere = signed_in_at(state, staff, but=window.id)
    if elsewhere is not None:
        raise DomainError(
            "invalid_state",
            f"staff {staff} is signed in at window {elsewhere}: sign out there first",
        )
    return _window_change(state, device, args, now, "open", staff=staff, paused_reason=None)


def pause_window(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    reason = A.required_str(args, "reason", 200)
    require_signed_in(window_of(state, device, args))
    return _window_change(state, device, args, now, "pause", paused_reason=reason)


def resume_window(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    require_signed_in(window_of(state, device, args))
    return _window_change(state, device, args, now, "resume", paused_reason=None)


def close_window(state: HallState, device: Actor, args: Mapping[str, Any], now: float) -> Outcome:
    window = window_of(state, device, args)
    hand = ticket_in_hand(state, window)
    if hand is not None:
        raise DomainError(
            "invalid_state",
            f"window {window.id} still has {hand.no}: finish it or mark no-show first",
        )
    return _window_change(state, device, args, now, "close", staff=None, paused_reason=None)


def queue_of_window(
    state: HallState, device: Actor, args: Mapping[str, Any], now: float
) -> Outcome:
    """`window.queue`: who this window would call, in order (the first `limit`, at most 50)."""
    limit = QUEUE_LIMIT if args.get("limit") is None else A.required_int(args, "limit", 1, 50)
    return Outcome(result=window_queue(state, window_of(state, device).id, now, limit))


def window_queue(
    state: HallState, window_id: str, now: float, limit: int = QUEUE_LIMIT
) -> dict[str, Any]:
    """A window's waiting list in calling order: numbers, services, priority, time waited,
    a masked name when the booking gave one; never an ID number."""
    preference = state.window_services.get(window_id, ())
    waiting = (t for code in preference for t in state.waiting.get(code, {}).values())
    ordered = candidates_for(waiting, preference, now, window_id, state.wait_targets)
    return {
        "window": window_id,
        "total": len(ordered),
        "tickets": [_queue_entry(state, t, now) for t in ordered[:limit]],
    }


def _queue_entry(state: HallState, ticket: Ticket, now: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "no": ticket.no,
        "service": ticket.service,
        "priority": ticket.priority,
        "waited_s": max(0, round(now - ticket.issued_at)),
    }
    appointment = state.appointments.get(ticket.appointment) if ticket.appointment else None
    if appointment is not None and appointment.name_masked:
        entry["name"] = appointment.name_masked  # masked when booked: 张*三
    if ticket.visit > 1:
        entry["visit"] = ticket.visit
    if ticket.for_window is not None:
        entry["for_window"] = ticket.for_window
    return entry


def signed_in_at(state: HallState, staff: str, but: str | None = None) -> str | None:
    """The window (other than `but`) this staff number is signed in at, or None: a clerk
    works at one window at a time."""
    for window in state.windows.values():
        if window.id != but and window.state != "closed" and window.staff == staff:
            return window.id
    return None


def require_signed_in(window: Window) -> None:
    if window.state == "closed":
        raise DomainError("window_closed", f"window {window.id} is closed: sign in first")


def ticket_in_hand(state: HallState, window: Window) -> Ticket | None:
    if window.ticket is None:
        return None
    ticket = state.tickets.get(window.ticket)
    if ticket is None or ticket.state not in ("called", "serving") or ticket.window != window.id:
        return None  # a ticket of an earlier day, or already moved on
    return ticket
