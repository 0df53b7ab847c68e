"""The transition tables, checked exhaustively: every pair either moves or is refused."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any, get_args

import pytest

from hall.domain.errors import DomainError
from hall.domain.states import (
    TICKET_TRANSITIONS,
    WINDOW_TRANSITIONS,
    TicketEvent,
    TicketState,
    WindowEvent,
    WindowState,
    ticket_next,
    window_next,
)

LIFE = [
    ("waiting", "call", "called"),
    ("called", "recall", "called"),
    ("called", "start", "serving"),
    ("serving", "finish", "done"),
    ("called", "no_show", "no_show"),
    ("called", "transfer", "waiting"),
    ("serving", "transfer", "waiting"),
    ("no_show", "requeue", "waiting"),
    ("waiting", "cancel", "cancelled"),
]


@pytest.mark.parametrize(("state", "event", "after"), LIFE)
def test_ticket_life(state: TicketState, event: TicketEvent, after: TicketState) -> None:
    assert ticket_next(state, event) == after


def refusals(
    step: Callable[[Any, Any, str], object],
    table: Mapping[tuple[str, str], str],
    states: Any,
    events: Any,
    subject: str,
) -> list[DomainError]:
    """What `step` raises for every pair of `states` and `events` its `table` lacks (each
    must raise)."""
    errors = []
    for state, event in itertools.product(get_args(states), get_args(events)):
        if (state, event) in table:
            continue
        with pytest.raises(DomainError) as refused:
            step(state, event, subject)
        errors.append(refused.value)
    return errors


def test_every_other_ticket_pair_is_refused_with_invalid_state() -> None:
    errors = refusals(ticket_next, TICKET_TRANSITIONS, TicketState, TicketEvent, "A001")
    assert errors
    for error in errors:
        assert error.code == "invalid_state"
        assert "A001" in error.message


def test_ended_tickets_never_move_except_a_no_show_requeued() -> None:
    for (state, event), _after in TICKET_TRANSITIONS.items():
        assert state not in ("done", "cancelled")
        if state == "no_show":
            assert event == "requeue"


def test_window_table() -> None:
    assert window_next("closed", "open") == "open"
    assert window_next("open", "pause") == "paused"
    assert window_next("paused", "resume") == "open"
    assert window_next("paused", "close") == "closed"
    errors = refusals(window_next, WINDOW_TRANSITIONS, WindowState, WindowEvent, "1")
    assert errors
    assert all(error.code == "invalid_state" for error in errors)
