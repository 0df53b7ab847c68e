"""The transition tables, checked exhaustively: every pair either moves or is refused."""

from __future__ import annotations

import itertools
from typing import get_args

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


def test_every_other_ticket_pair_is_refused_with_invalid_state() -> None:
    for state, event in itertools.product(get_args(TicketState), get_args(TicketEvent)):
        if (state, event) in TICKET_TRANSITIONS:
            continue
        with pytest.raises(DomainError) as refused:
            ticket_next(state, event, "A001")
        assert refused.value.code == "invalid_state"
        assert "A001" in refused.value.message


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
    for state, event in itertools.product(get_args(WindowState), get_args(WindowEvent)):
        if (state, event) in WINDOW_TRANSITIONS:
            continue
        with pytest.raises(DomainError) as refused:
            window_next(state, event, "1")
        assert refused.value.code == "invalid_state"
