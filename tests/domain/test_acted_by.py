"""Who did it: every ticket action at a window and every window change names the clerk
signed in there (a pad's or caller's action) or the dashboard user (a manager's) in `by`."""

from __future__ import annotations

from typing import Any

from hall.domain.events import event_view

from .clerk import open_hall


def by_of(outcome: Any) -> list[tuple[str, Any]]:
    return [(e.type, event_view(e)["by"]) for e in outcome.events]


def test_each_clerk_action_at_a_window_names_the_staff_number_signed_in_there() -> None:
    hall = open_hall()
    clerk = {"kind": "staff", "id": "S1"}
    hall.take("A", 3)
    missed = ""
    for op, args in (
        ("call.next", {}),
        ("call.recall", {}),
        ("ticket.start", {}),
        ("ticket.transfer", {"service": "B"}),
        ("call.next", {}),
        ("call.no_show", {}),
        ("ticket.requeue", {}),
        ("call.next", {}),
        ("ticket.finish", {}),
        ("window.pause", {"reason": "午休"}),
        ("window.resume", {}),
        ("window.close", {}),
    ):
        if op == "ticket.requeue":
            args = {"no": missed}
        outcome = hall.do("pad-1", op, **args)
        if op == "call.no_show":
            missed = outcome.result["ticket"]["no"]
        assert outcome.events, op
        assert all(by == clerk for _type, by in by_of(outcome)), (op, by_of(outcome))
    opened = hall.do("pad-1", "window.open", staff="S7")
    assert by_of(opened) == [("window.open", {"kind": "staff", "id": "S7"})]


def test_a_managers_action_names_the_dashboard_user() -> None:
    hall = open_hall()
    closed = hall.do("dashboard-zhang", "window.close", window="2")
    assert by_of(closed) == [("window.close", {"kind": "user", "id": "zhang"})]
    taken = hall.do("kiosk-1", "ticket.take", service="A")
    assert "by" not in event_view(taken.events[0])  # a kiosk's ticket: no staff involved
