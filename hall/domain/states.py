"""Ticket and window state machines, each as one literal transition table (as h11 does).

Every state change in the hall goes through `ticket_next` or `window_next`; a pair that is not
in its table is an invalid transition, reported with the contract's `invalid_state` code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeVar

from .errors import DomainError

TicketState = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
TicketEvent = Literal[
    "call", "recall", "start", "finish", "no_show", "transfer", "cancel", "requeue"
]
WindowState = Literal["closed", "open", "paused"]
WindowEvent = Literal["open", "pause", "resume", "close"]
S = TypeVar("S", bound=str)
E = TypeVar("E", bound=str)

TICKET_TRANSITIONS: Final[dict[tuple[TicketState, TicketEvent], TicketState]] = {
    ("waiting", "call"): "called",
    ("waiting", "cancel"): "cancelled",
    ("called", "recall"): "called",
    ("called", "start"): "serving",
    # A wired keypad has no start key: the visit ends straight from `called`.
    ("called", "finish"): "done",
    ("called", "no_show"): "no_show",
    ("called", "transfer"): "waiting",
    ("serving", "finish"): "done",
    ("serving", "transfer"): "waiting",
    # 过号重排: a no-show who turns up again goes back into the queue.
    ("no_show", "requeue"): "waiting",
}

# The states in which a ticket's visit is over; ending one is reported to the back office.
ENDED_STATES: Final[frozenset[TicketState]] = frozenset({"done", "no_show", "cancelled"})

WINDOW_TRANSITIONS: Final[dict[tuple[WindowState, WindowEvent], WindowState]] = {
    ("closed", "open"): "open",
    # Signing in again (a pad restarted, or another staff member takes over) keeps it open.
    ("open", "open"): "open",
    ("paused", "open"): "open",
    ("open", "pause"): "paused",
    ("paused", "pause"): "paused",  # a new reason replaces the old one
    ("paused", "resume"): "open",
    ("open", "close"): "closed",
    ("paused", "close"): "closed",
}


def _next(table: Mapping[tuple[S, E], S], state: S, event: E, what: str) -> S:
    try:
        return table[(state, event)]
    except KeyError:
        raise DomainError(
            "invalid_state", f"{what} is {state}: cannot {event.replace('_', '-')}"
        ) from None


def ticket_next(state: TicketState, event: TicketEvent, no: str = "") -> TicketState:
    return _next(TICKET_TRANSITIONS, state, event, f"ticket {no or ''}")


def window_next(state: WindowState, event: WindowEvent, window_id: str = "") -> WindowState:
    return _next(WINDOW_TRANSITIONS, state, event, f"window {window_id}")
