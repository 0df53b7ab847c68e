"""The clerk's pad in the pure core: the window's list, calling a chosen ticket, requeueing a
no-show (one case per visit), finishing with the services done, and the manager's actions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.domain.catalogue import Appointment
from hall.domain.errors import DomainError
from hall.domain.ops_ratings import case_id
from hall.domain.ops_windows import window_queue
from hall.domain.queue import select_next
from hall.hub.views import case_entry, window_device_state

from .clerk import ClerkHall, open_hall


def test_the_window_list_is_the_calling_order_bounded_with_the_total() -> None:
    hall = open_hall()
    hall.take("B", 2)
    hall.take("A", 2)
    green = hall.ticket("kiosk-1", "ticket.take", service="B", priority="green")["no"]
    assert hall.queue("pad-1") == [green, "A001", "A002", "B001", "B002"]
    assert hall.queue("pad-2") == [green, "B001", "B002"]
    assert hall.queue("pad-3") == ["A001", "A002"]
    hall.take("A", 60)
    result = hall.do("pad-3", "window.queue").result
    asked_at = hall.now
    assert result["total"] == 62 and len(result["tickets"]) == 50
    assert [t["no"] for t in hall.do("pad-3", "window.queue", limit=3).result["tickets"]] == [
        "A001",
        "A002",
        "A003",
    ]
    entry = result["tickets"][0]
    assert set(entry) == {"no", "service", "priority", "waited_s"}
    assert entry["waited_s"] == round(asked_at - hall.state.tickets["A001"].issued_at)
    # The list's first is whom call.next calls.
    assert hall.ticket("pad-1", "call.next")["no"] == green


def test_names_in_the_list_are_masked_and_id_numbers_never_shown() -> None:
    hall = open_hall()
    hall.state.appointments["R1"] = Appointment(
        "R1", "A", 0.0, 1e12, hall.state.day, name_masked="张*丰", id_hash="f" * 64
    )
    hall.ticket("kiosk-1", "ticket.take", appointment="R1", id_no="110101199001011234")
    (entry,) = hall.do("pad-3", "window.queue").result["tickets"]
    assert entry["name"] == "张*丰" and entry["priority"] == "appointment"
    assert "1101" not in repr(hall.do("pad-3", "window.queue").result)
    assert "f" * 64 not in repr(entry)


@pytest.mark.parametrize(
    ("setup", "pad", "no", "code"),
    [
        ([], "pad-1", "A009", "not_found"),
        ([("pad-3", "call.next")], "pad-1", "A001", "not_waiting"),
        ([], "pad-2", "A001", "not_window_service"),
        ([], "pad-1", "a001", "bad_request"),
        ([("pad-1", "window.pause")], "pad-1", "A001", "window_paused"),
        ([("pad-1", "window.close")], "pad-1", "A001", "window_closed"),
        ([], "kiosk-1", "A001", "forbidden"),
    ],
)
def test_call_ticket_refusals(setup: list[tuple[str, str]], pad: str, no: str, code: str) -> None:
    hall = open_hall()
    hall.take("A", 2)
    for device, op in setup:
        hall.do(device, op, **({"reason": "午休"} if op == "window.pause" else {}))
    assert hall.refused(pad, "call.ticket", no=no) == code


def test_call_a_chosen_ticket_ends_the_visit_in_hand_as_call_next_does() -> None:
    hall = open_hall()
    hall.take("A", 3)
    assert hall.ticket("pad-1", "call.ticket", no="A003")["no"] == "A003"
    outcome = hall.do("pad-1", "call.ticket", no="A002")
    assert [e.type for e in outcome.events] == ["ticket.finished", "ticket.called"]
    assert [t.no for t in outcome.ended] == ["A003"]
    assert outcome.calls[0].ticket == "A002" and hall.state.windows["1"].ticket == "A002"
    assert hall.queue("pad-1") == ["A001"]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("front", ["A001", "A002", "A003", "A004", "A005"]),
        ("back", ["A002", "A003", "A004", "A005", "A001"]),
        (0, ["A001", "A002", "A003", "A004", "A005"]),
        (2, ["A002", "A003", "A001", "A004", "A005"]),
        (99, ["A002", "A003", "A004", "A005", "A001"]),
    ],
)
def test_a_requeued_no_show_goes_back_at_the_configured_place(
    position: int | str, expected: list[str]
) -> None:
    hall = open_hall(position)
    hall.take("A", 5)
    hall.do("pad-3", "call.next")
    assert hall.ticket("pad-3", "call.no_show")["state"] == "no_show"
    requeued = hall.ticket("pad-1", "ticket.requeue", no="A001")
    assert requeued["state"] == "waiting" and requeued["no"] == "A001"
    assert requeued["visit"] == 2 and requeued["ahead"] == expected.index("A001")
    assert hall.queue("pad-3") == expected
    # A later arrival still comes after it.
    (later,) = hall.take("A")
    assert hall.queue("pad-3")[-1] == later


def test_requeue_refusals() -> None:
    hall = open_hall()
    hall.take("A", 2)
    assert hall.refused("pad-1", "ticket.requeue", no="A001") == "invalid_state"  # waiting
    assert hall.refused("pad-1", "ticket.requeue", no="A007") == "not_found"
    assert hall.refused("led-1", "ticket.requeue", no="A001") == "forbidden"
    hall.do("pad-1", "call.next")
    hall.do("pad-1", "ticket.finish")
    assert hall.refused("pad-1", "ticket.requeue", no="A001") == "invalid_state"  # done


def test_each_visit_of_a_requeued_no_show_is_one_case() -> None:
    hall = open_hall("front")
    hall.take("A", 1)
    hall.do("pad-3", "call.next")
    first_visit = hall.do("pad-3", "call.no_show").ended[0]
    first = case_entry(hall.state, first_visit)
    hall.now += 600
    hall.do("pad-3", "ticket.requeue", no="A001")
    hall.do("pad-3", "call.next")
    second_visit = hall.do("pad-3", "ticket.finish").ended[0]
    second = case_entry(hall.state, second_visit)
    assert first["key"] == "unit-2026-11-18-A001"
    assert second["key"] == "unit-2026-11-18-A001-2" == case_id(hall.state, second_visit)
    assert first["body"]["outcome"] == "no_show" and second["body"]["outcome"] == "done"
    assert first["body"]["services_done"] == [] and second["body"]["services_done"] == ["A"]
    assert (first["body"]["visit"], second["body"]["visit"]) == (1, 2)
    assert second["body"]["wait_s"] == 10  # from the requeue, not from the ticket's issue
    # A rating of the second visit belongs to its case.
    rated = hall.do("pad-3", "eval.submit", ticket="A001", level=5).result["evaluation"]
    assert rated["case_id"] == "unit-2026-11-18-A001-2"


FINISH_REFUSALS: list[tuple[Any, str]] = [
    ([], "bad_request"),
    ("A", "bad_request"),
    (["A", "A"], "bad_request"),
    (["Z"], "unknown_service"),
    ([1], "bad_request"),
    ([None], "bad_request"),
    (["A"] * 27, "bad_request"),
]


@pytest.mark.parametrize(("services_done", "code"), FINISH_REFUSALS)
def test_services_done_are_checked_against_the_catalogue(services_done: Any, code: str) -> None:
    hall = open_hall()
    hall.take("A")
    hall.do("pad-1", "call.next")
    assert hall.refused("pad-1", "ticket.finish", services_done=services_done) == code
    assert hall.state.tickets["A001"].state == "called"  # nothing happened


def test_finish_records_the_services_done_on_the_ticket_the_event_and_the_case() -> None:
    hall = open_hall()
    hall.take("A")
    hall.do("pad-1", "call.next")
    outcome = hall.do("pad-1", "ticket.finish", services_done=["A", "B"])
    assert outcome.result["ticket"]["services_done"] == ["A", "B"]
    assert outcome.events[0].ticket["services_done"] == ["A", "B"]  # type: ignore[attr-defined]
    assert case_entry(hall.state, outcome.ended[0])["body"]["services_done"] == ["A", "B"]
    stored = hall.state.tickets["A001"]
    assert type(stored).from_json(stored.to_json()) == stored


def test_the_window_state_shows_the_recalls_and_the_cap() -> None:
    hall = open_hall()
    hall.take("A")
    window = hall.state.windows["1"]
    assert window_device_state(hall.state, window)["recalls"] == 0
    hall.do("pad-1", "call.next")
    for n in (1, 2, 3):
        hall.do("pad-1", "call.recall")
        shown = window_device_state(hall.state, hall.state.windows["1"])
        assert (shown["recalls"], shown["recall_cap"]) == (n, 3)
    assert hall.refused("pad-1", "call.recall") == "invalid_state"


def test_a_manager_pauses_and_closes_a_window_from_the_dashboard() -> None:
    hall = open_hall()
    paused = hall.do("dashboard-admin", "window.pause", window="2", reason="值班长暂停").result
    assert paused["window"]["state"] == "paused" and hall.state.windows["2"].state == "paused"
    assert hall.refused("dashboard-admin", "window.pause", window="9", reason="x") == "not_found"
    assert hall.refused("dashboard-admin", "window.pause", reason="x") == "bad_request"
    assert hall.refused("dashboard-admin", "window.resume", window="2") == "forbidden"
    assert hall.refused("dashboard-admin", "call.next", window="2") == "forbidden"
    hall.take("A")
    hall.do("pad-3", "call.next")
    assert hall.refused("dashboard-admin", "window.close", window="3") == "invalid_state"
    closed = hall.do("dashboard-admin", "window.close", window="2")
    assert closed.events[0].device == "dashboard-admin"  # type: ignore[attr-defined]
    assert hall.state.windows["2"].state == "closed" and hall.state.windows["2"].staff is None


@given(st.lists(st.sampled_from(["take A", "take B", "green B", "call", "pick"]), max_size=40))
def test_the_list_head_is_always_whom_call_next_would_call(steps: list[str]) -> None:
    hall = open_hall()
    for step in steps:
        if step == "take A" or step == "take B":
            hall.take(step[-1])
        elif step == "green B":
            hall.do("kiosk-1", "ticket.take", service="B", priority="green")
        elif step == "call":
            hall.do("pad-2", "call.next")
        elif hall.queue("pad-1"):
            hall.do("pad-1", "call.ticket", no=hall.queue("pad-1")[-1])
        listed = window_queue(hall.state, "1", hall.now)["tickets"]
        waiting = [t for t in hall.state.tickets.values() if t.state == "waiting"]
        expected = select_next(waiting, hall.state.window_services["1"], hall.now, "1")
        assert (listed[0]["no"] if listed else None) == (expected.no if expected else None)


def test_only_window_staff_read_the_list() -> None:
    hall = ClerkHall()
    assert hall.refused("kiosk-1", "window.queue") == "forbidden"
    assert hall.do("pad-1", "window.queue").result == {"window": "1", "total": 0, "tickets": []}
    assert hall.refused("pad-1", "window.queue", limit=51) == "bad_request"


def test_a_clerk_is_signed_in_at_one_window_at_a_time() -> None:
    hall = open_hall()
    hall.do("pad-2", "window.close")
    with pytest.raises(DomainError) as refused:
        hall.do("pad-2", "window.open", staff="S1")
    assert refused.value.code == "invalid_state" and "window 1" in refused.value.message
    assert hall.state.windows["2"].state == "closed"
    hall.do("dashboard-admin", "window.pause", window="1", reason="午休")
    assert hall.refused("pad-2", "window.open", staff="S1") == "invalid_state"  # paused counts
    hall.do("pad-1", "window.close")
    assert hall.do("pad-2", "window.open", staff="S1").result["window"]["staff"] == "S1"
