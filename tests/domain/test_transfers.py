"""Transfers to a service, a window or a clerk, at the front or the back; and the place a
ticket put back into a queue gets (a property of `queue_place`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.domain.events import event_view
from hall.domain.model import Ticket
from hall.domain.queue import candidates_for
from hall.domain.queue_place import placed_arrival

from .clerk import open_hall


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "bad_request"),
        ({"service": "Z"}, "unknown_service"),
        ({"service": "A"}, "bad_request"),  # it already waits for A
        ({"window": "9"}, "not_found"),
        ({"window": "2", "service": "A"}, "not_window_service"),
        ({"staff": "NOBODY"}, "no_window"),
        ({"staff": "S2", "window": "2"}, "bad_request"),
        ({"service": "B", "position": "middle"}, "bad_request"),
    ],
)
def test_transfer_refusals(args: dict[str, Any], code: str) -> None:
    hall = open_hall()
    hall.take("A")
    hall.do("pad-1", "call.next")
    assert hall.refused("pad-1", "ticket.transfer", **args) == code
    assert hall.state.tickets["A001"].state == "called"


def test_transfer_to_a_clerk_goes_to_the_window_the_clerk_is_signed_in_at() -> None:
    hall = open_hall()
    hall.take("A", 3)
    hall.do("pad-1", "call.ticket", no="A003")
    outcome = hall.do("pad-1", "ticket.transfer", staff="S3")
    moved = outcome.result["ticket"]
    assert moved["state"] == "waiting" and moved["for_window"] == "3" and moved["service"] == "A"
    # Window 1 serves A too, yet only window 3 calls it; by arrival it comes after A001, A002.
    assert hall.queue("pad-1") == ["A001", "A002"]
    assert hall.queue("pad-3") == ["A001", "A002", "A003"]
    (event,) = outcome.events
    view = event_view(event)
    assert view["type"] == "ticket.transferred"
    assert view["from"] == {"service": "A", "window": "1", "staff": "S1"}
    assert view["to"] == {"service": "A", "window": "3", "staff": "S3", "position": "arrival"}
    assert hall.ticket("pad-1", "call.next")["no"] == "A001"
    assert hall.ticket("pad-1", "call.next")["no"] == "A002"
    assert hall.ticket("pad-1", "call.next") is None
    called = hall.ticket("pad-3", "call.next")
    assert called["no"] == "A003" and "for_window" not in called


@pytest.mark.parametrize(
    ("args", "window_2_calls"),
    [
        ({"service": "B", "position": "front"}, ["A001", "B001", "B002", "B003"]),
        ({"service": "B", "position": "back"}, ["B001", "B002", "B003", "A001"]),
        ({"service": "B"}, ["A001", "B001", "B002", "B003"]),  # by its arrival: the first
        ({"window": "2"}, ["A001", "B001", "B002", "B003"]),  # window 2's first service: B
        ({"staff": "S2", "position": "back"}, ["B001", "B002", "B003", "A001"]),
    ],
)
def test_transfer_at_the_front_or_the_back(args: dict[str, Any], window_2_calls: list[str]) -> None:
    hall = open_hall()
    hall.take("A")
    hall.take("B", 3)
    hall.do("pad-3", "call.next")
    moved = hall.ticket("pad-3", "ticket.transfer", **args)
    assert moved["origin_service"] == "A" and moved["service"] == "B"
    assert moved["ahead"] == window_2_calls.index("A001")
    assert hall.queue("pad-2") == window_2_calls
    assert [hall.ticket("pad-2", "call.next")["no"] for _ in window_2_calls] == window_2_calls


def test_the_window_and_the_clerk_named_are_relayed_with_the_event() -> None:
    hall = open_hall()
    hall.take("B")
    hall.do("pad-2", "call.next")
    outcome = hall.do("pad-2", "ticket.transfer", window="1", position="front")
    view = event_view(outcome.events[0])
    assert view["to"] == {"service": "B", "window": "1", "staff": "S1", "position": "front"}
    assert hall.queue("pad-2") == [] and hall.queue("pad-1") == ["B001"]


ARRIVALS = st.lists(st.integers(1, 500), unique=True, max_size=30)
PLACES = st.one_of(st.sampled_from(["front", "back"]), st.integers(0, 40))


def _ticket(no: int, arrival: float) -> Ticket:
    return Ticket(f"A{no:03d}", "d", "A", "normal", "waiting", arrival, 0.0)


@given(ARRIVALS, PLACES)
def test_a_ticket_put_back_has_exactly_the_asked_for_number_ahead(
    arrivals: list[int], position: int | str
) -> None:
    waiting = [_ticket(i + 1, a) for i, a in enumerate(arrivals)]
    back = _ticket(999, 0.0)
    next_arrival = max(arrivals, default=0) + 1
    arrival = placed_arrival(back, "A", waiting, position, next_arrival)
    placed = back.evolve(arrival=arrival)
    order = [t.no for t in candidates_for([*waiting, placed], ["A"])]
    wanted = {"front": 0, "back": len(waiting)}.get(str(position), None)
    ahead = wanted if wanted is not None else min(int(position), len(waiting))
    assert order.index("A999") == ahead
    assert arrival < next_arrival  # whoever comes later is still behind
    assert arrival not in arrivals
