"""Deciding one operation: who may send it, and which handler decides it.

`decide()` never mutates the hall: it returns an `Outcome` that the I/O shell commits
atomically and only then applies (see `state.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import (
    ops_backoffice,
    ops_calls,
    ops_ratings,
    ops_tickets,
    ops_transfer,
    ops_windows,
    settings,
)
from .acted_by import with_who
from .actor import BACK_OFFICE, HUB, MANAGER, Actor
from .errors import DomainError
from .ops_ratings import LEVEL_LABELS
from .state import Call, HallState, Outcome

__all__ = ["HANDLERS", "LEVEL_LABELS", "OP_KINDS", "Call", "HallState", "Outcome", "decide"]

Handler = Callable[[HallState, Actor, Mapping[str, Any], float], Outcome]

HANDLERS: dict[str, Handler] = {
    "ticket.take": ops_tickets.take,
    "ticket.status": ops_tickets.status,
    "window.open": ops_windows.open_window,
    "window.pause": ops_windows.pause_window,
    "window.resume": ops_windows.resume_window,
    "window.close": ops_windows.close_window,
    "window.queue": ops_windows.queue_of_window,
    "call.next": ops_calls.call_next,
    "call.ticket": ops_calls.call_ticket,
    "call.recall": ops_calls.recall,
    "call.no_show": ops_calls.no_show,
    "ticket.start": ops_calls.start,
    "ticket.finish": ops_calls.finish,
    "ticket.transfer": ops_transfer.transfer,
    "ticket.requeue": ops_transfer.requeue,
    "eval.submit": ops_ratings.evaluate,
    "ratings.sweep": ops_ratings.sweep_unrated,
    "appointment.book": ops_backoffice.book_appointment,
    "appointment.cancel": ops_backoffice.cancel_appointment,
    "catalogue.change": settings.change,
}

_WINDOW_STAFF = frozenset({"window_pad", "caller"})
# A manager may pause or close any window from the dashboard (naming it in `args.window`).
_WINDOW_STAFF_OR_MANAGER = _WINDOW_STAFF | {MANAGER}
# Which kinds of actor may send which operation; a device's kind comes from the configuration
# only.
# An empty set: any device.
OP_KINDS: dict[str, frozenset[str]] = {
    "ticket.take": frozenset({"kiosk"}),
    "ticket.status": frozenset(),
    "window.open": _WINDOW_STAFF,
    "window.pause": _WINDOW_STAFF_OR_MANAGER,
    "window.resume": _WINDOW_STAFF,
    "window.close": _WINDOW_STAFF_OR_MANAGER,
    "window.queue": _WINDOW_STAFF,
    "call.next": _WINDOW_STAFF,
    "call.ticket": _WINDOW_STAFF,
    "call.recall": _WINDOW_STAFF,
    "call.no_show": _WINDOW_STAFF,
    "ticket.start": _WINDOW_STAFF,
    "ticket.finish": _WINDOW_STAFF,
    "ticket.transfer": _WINDOW_STAFF,
    "ticket.requeue": _WINDOW_STAFF,
    "eval.submit": frozenset({"window_pad", "evaluator"}),
    "ratings.sweep": frozenset({HUB}),
    "appointment.book": frozenset({BACK_OFFICE}),
    "appointment.cancel": frozenset({BACK_OFFICE}),
    "catalogue.change": frozenset({BACK_OFFICE, MANAGER}),
}


def decide(state: HallState, actor: Actor, op: str, args: Mapping[str, Any], now: float) -> Outcome:
    """Decide one operation from `actor`; raises DomainError when refused."""
    handler = HANDLERS.get(op)
    if handler is None:
        raise DomainError("unknown_op", f"unknown operation {op!r}")
    allowed = OP_KINDS[op]
    if allowed and actor.kind not in allowed:
        raise DomainError(
            "forbidden", f"a {actor.kind} may not send {op} (only {', '.join(sorted(allowed))})"
        )
    return with_who(state, actor, handler(state, actor, args, now))
