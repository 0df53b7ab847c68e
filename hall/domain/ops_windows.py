"""Window operations: sign in (open), pause with a reason, resume, close."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import DeviceConfig
from . import args as A
from .errors import DomainError
from .model import Ticket, Window
from .state import HallState, Outcome
from .states import window_next


def window_of(state: HallState, device: DeviceConfig) -> Window:
    assert device.window is not None  # the configuration binds every window device
    return state.windows[device.window]


def _window_change(
    state: HallState, device: DeviceConfig, now: float, event: str, **changes: Any
) -> Outcome:
    before = window_of(state, device)
    new_state = window_next(before.state, event, before.id)  # type: ignore[arg-type]
    after = before.evolve(
        state=new_state, since=now if new_state != before.state else before.since, **changes
    )
    view = after.public(state.tz)
    return Outcome(
        result={"window": view},
        windows=((before, after),),
        events=(state.event(f"window.{event}", now, window=view, device=device.id),),
    )


def open_window(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    staff = A.required_str(args, "staff", 64)
    return _window_change(state, device, now, "open", staff=staff, paused_reason=None)


def pause_window(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    reason = A.required_str(args, "reason", 200)
    require_signed_in(window_of(state, device))
    return _window_change(state, device, now, "pause", paused_reason=reason)


def resume_window(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    require_signed_in(window_of(state, device))
    return _window_change(state, device, now, "resume", paused_reason=None)


def close_window(
    state: HallState, device: DeviceConfig, args: Mapping[str, Any], now: float
) -> Outcome:
    window = window_of(state, device)
    hand = ticket_in_hand(state, window)
    if hand is not None:
        raise DomainError(
            "invalid_state",
            f"window {window.id} still has {hand.no}: finish it or mark no-show first",
        )
    return _window_change(state, device, now, "close", staff=None, paused_reason=None)


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
