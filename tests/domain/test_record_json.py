"""A ticket's or window's stored form: made once per record, never copied to a changed one."""

from __future__ import annotations

import json
from dataclasses import fields, replace

from hall.domain.model import Ticket, Window


def test_a_records_text_is_made_once_and_follows_every_change() -> None:
    ticket = Ticket("A001", "2026-12-01", "A", "normal", "waiting", 1.0, 1.0, kiosk="kiosk-1")
    text = ticket.to_json()
    assert ticket.to_json() is text  # made once
    assert "_stored" not in json.loads(text)
    assert Ticket.from_json(text) == ticket
    called = ticket.evolve(state="called", window="1", called_at=2.0)
    assert json.loads(called.to_json())["state"] == "called"
    assert json.loads(replace(ticket, recalls=1).to_json())["recalls"] == 1
    assert json.loads(ticket.to_json())["state"] == "waiting"  # the earlier record's own text
    assert called != ticket and Ticket.from_json(ticket.to_json()) == ticket  # not compared
    assert "_stored" not in repr(ticket)
    window = Window("1")
    window.to_json()
    assert Window.from_json(window.to_json()) == window
    assert window.evolve(state="open").to_json() != window.to_json()
    assert [f.name for f in fields(Ticket) if not f.init] == ["_stored"]


def test_times_are_rendered_in_the_halls_zone_and_kept_bounded() -> None:
    from zoneinfo import ZoneInfo

    from hall.domain import model

    shanghai, utc = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")
    assert model.rfc3339(1_764_000_000.5, shanghai) == "2025-11-25T00:00:00.500+08:00"
    assert model.rfc3339(1_764_000_000.5, utc) == "2025-11-24T16:00:00.500+00:00"
    assert model.rfc3339(None, utc) is None
    for n in range(2 * model._RENDERED_KEPT):
        model.rfc3339(float(n), utc)
    assert len(model._RENDERED) <= model._RENDERED_KEPT
