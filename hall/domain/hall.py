"""Deciding one operation: who may send it, and which handler decides it.

`decide()` never mutates the hall: it returns an `Outcome` that the I/O shell commits
atomically and only then applies (see `state.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..config import DeviceConfig
from . import ops_backoffice, ops_calls, ops_ratings, ops_tickets, ops_windows
from .errors import DomainError
from .ops_ratings import LEVEL_LABELS
from .state import Call, HallState, Outcome

__all__ = ["HANDLERS", "LEVEL_LABELS", "OP_KINDS", "Call", "HallState", "Outcome", "decide"]

Handler = Callable[[HallState, DeviceConfig, Mapping[str, Any], float], Outcome]

HANDLERS: dict[str, Handler] = {
    "ticket.take": ops_tickets.take,
    "ticket.status": ops_tickets.status,
    "window.open": ops_windows.open_window,
    "window.pause": ops_windows.pause_window,
    "window.resume": ops_windows.resume_window,
    "window.close": ops_windows.close_window,
    "call.next": ops_calls.call_next,
    "call.recall": ops_calls.recall,
    "call.no_show": ops_calls.no_show,
    "ticket.start": ops_calls.start,
    "ticket.finish": ops_calls.finish,
    "ticket.transfer": ops_calls.transfer,
    "eval.submit": ops_ratings.evaluate,
    "ratings.sweep": ops_ratings.sweep_unrated,
    "appointment.book": ops_backoffice.book_appointment,
    "appointment.cancel": ops_backoffice.cancel_appointment,
    "catalogue.change": ops_backoffice.change_catalogue,
}

_WINDOW_STAFF = frozenset({"window_pad", "caller"})
# Which device kinds may send which operation; the kind comes from the configuration only.
# An empty set: any device.
OP_KINDS: dict[str, frozenset[str]] = {
    "ticket.take": frozenset({"kiosk"}),
    "ticket.status": frozenset(),
    "window.open": _WINDOW_STAFF,
    "window.pause": _WINDOW_STAFF,
    "window.resume": _WINDOW_STAFF,
    "window.close": _WINDOW_STAFF,
    "call.next": _WINDOW_STAFF,
    "call.recall": _WINDOW_STAFF,
    "call.no_show": _WINDOW_STAFF,
    "ticket.start": _WINDOW_STAFF,
    "ticket.finish": _WINDOW_STAFF,
    "ticket.transfer": _WINDOW_STAFF,
    "eval.submit": frozenset({"window_pad", "evaluator"}),
    "ratings.sweep": frozenset({"hub"}),
    "appointment.book": frozenset({"back_office"}),
    "appointment.cancel": frozenset({"back_office"}),
    "catalogue.change": frozenset({"back_office"}),
}


def decide(
    state: HallState, device: DeviceConfig, op: str, args: Mapping[str, Any], now: float
) -> Outcome:
    """Decide one operation from `device`; raises DomainError when refused."""
    handler = HANDLERS.get(op)
    if handler is None:
        raise DomainError("unknown_op", f"unknown operation {op!r}")
    allowed = OP_KINDS[op]
    if allowed and device.kind not in allowed:
        raise DomainError(
            "forbidden", f"a {device.kind} may not send {op} (only {', '.join(sorted(allowed))})"
        )
    return handler(state, device, args, now)
