"""The domain events: one class per type the contract lists, and their one JSON form."""

from __future__ import annotations

import json
import re

from hall.domain import events
from hall.domain.events import (
    BadRatingAlarm,
    CatalogueChanged,
    DomainEvent,
    TicketCalled,
    TicketTaken,
    event_view,
)
from tests.support import REPO_ROOT


def test_one_class_per_event_type_the_contract_lists() -> None:
    contract = (REPO_ROOT / "docs" / "device-contract.md").read_text(encoding="utf-8")
    listed = contract[contract.index("- **Events**") :].split("\n- ", 1)[0]
    types = re.findall(r"`([a-z_]+\.[a-z_]+)`", listed)
    assert len(types) == 19
    classes = [
        value
        for value in vars(events).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and "type" in vars(value)
    ]
    assert sorted(c.type for c in classes) == sorted(types)


def test_the_json_form_is_seq_type_at_then_the_fields_in_order() -> None:
    ticket = {"no": "A001", "state": "called"}
    called = TicketCalled(1_795_000_000.123456, ticket, "1", "pad-1")
    view = event_view(called, 7)
    assert list(view) == ["seq", "type", "at", "ticket", "window", "device", "by"]
    assert view == {
        "seq": 7,
        "type": "ticket.called",
        "at": 1_795_000_000.123,
        "ticket": ticket,
        "window": "1",
        "device": "pad-1",
        "by": None,
    }
    assert list(event_view(called)) == ["type", "at", "ticket", "window", "device", "by"]
    taken = json.dumps(event_view(TicketTaken(10.0, {"no": "B001"}, "kiosk-1")))
    assert (
        taken
        == '{"type": "ticket.taken", "at": 10.0, "ticket": {"no": "B001"}, "device": "kiosk-1"}'
    )
    assert list(event_view(BadRatingAlarm(1.0, {"level": 1}))) == ["type", "at", "evaluation"]
    changed = event_view(CatalogueChanged(1.0, "add", {"code": "C"}, "bo"))
    assert list(changed) == ["type", "at", "action", "service", "device", "by"]


def test_the_published_json_is_the_views_made_once() -> None:
    """The store records an event's JSON and the hub publishes it with its seq first: the
    same text as `event_view`'s, made once, and never another event's."""
    ticket = {"no": "A001", "service": "A", "name": "张*三", "state": "called"}
    called = TicketCalled(1_764_000_000.123456, ticket, "1", "pad-1", by={"kind": "hub"})
    taken = TicketTaken(1_764_000_001.0, {"no": "A002"}, "kiosk-1")
    for seq, event in ((7, called), (12_345, taken)):
        compact = json.dumps(event_view(event, seq), ensure_ascii=False, separators=(",", ":"))
        assert events.numbered_json(event, seq) == compact.encode()
        assert json.loads(events.event_json(event)) == event_view(event)
    assert events.event_json(called) is events.event_json(called)  # made once
    # An equal event made later is another object: its own text, equal to the first's.
    again = TicketCalled(called.at, dict(ticket), "1", "pad-1", by={"kind": "hub"})
    assert events.event_json(again) == events.event_json(called)
    for n in range(2 * events._JSON_KEPT):  # the memory stays bounded
        events.event_json(TicketTaken(float(n), {"no": f"B{n:03d}"}, "kiosk-1"))
    assert len(events._JSON_MADE) <= events._JSON_KEPT
