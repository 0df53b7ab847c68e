"""The hub's memory of the requests it answered: which were answered (for the group commit),
and which the device's request limit has counted already."""

from __future__ import annotations

from hall.hub.recent_requests import RecentRequests
from tests.support import ManualClock


def test_a_request_answered_is_known_by_device_and_id() -> None:
    recent = RecentRequests(trust_after_s=0.0, clock=ManualClock())
    recent.took_hall()
    recent.answered([("kiosk-1", "r1")])
    assert recent.knows(("kiosk-1", "r1"))
    assert not recent.knows(("kiosk-2", "r1"))  # another device's id
    assert not recent.knows(("kiosk-1", "r2"))


def test_what_the_hubs_before_answered_is_known_before_the_memory_is_trusted() -> None:
    clock = ManualClock()
    recent = RecentRequests(trust_after_s=60.0, clock=clock)
    recent.took_hall()
    recent.answered([("kiosk-1", "mine")])
    assert recent.seen([("kiosk-1", "mine")]) is None  # the store still tells the group commit
    assert recent.knows(("kiosk-1", "mine"))
    recent.trust([("kiosk-1", "before")])
    assert recent.knows(("kiosk-1", "before"))
    assert recent.seen([("kiosk-1", "before"), ("kiosk-1", "new")]) == [True, False]


def test_the_oldest_are_forgotten_past_the_capacity_and_a_new_hall_forgets_all() -> None:
    recent = RecentRequests(capacity=2, trust_after_s=0.0, clock=ManualClock())
    recent.took_hall()
    recent.answered([("k", "a"), ("k", "b"), ("k", "c")])
    assert not recent.knows(("k", "a"))
    assert recent.knows(("k", "b")) and recent.knows(("k", "c"))
    recent.took_hall()
    assert not recent.knows(("k", "c"))
