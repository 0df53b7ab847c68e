"""The hub's memory of the requests it answered: which were answered, and how long the store
keeps each answer (a repeat within that span takes nothing of the device's request limit)."""

from __future__ import annotations

from hall.hub.recent_requests import RecentRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_known_kept_for_as_long_as_the_store_keeps_it() -> None:
    clock = Clock()
    recent = RecentRequests(trust_after_s=0.0, clock=clock)
    recent.took_hall()
    recent.answered([("kiosk-1", "changed")], kept_s=86_400.0)
    recent.answered([("kiosk-1", "refused")], kept_s=55.0)
    recent.answered([("kiosk-1", "unstored")])
    assert recent.answer_kept(("kiosk-1", "changed"))
    assert recent.answer_kept(("kiosk-1", "refused"))
    assert not recent.answer_kept(("kiosk-1", "unstored"))
    assert not recent.answer_kept(("kiosk-2", "changed"))  # another device's id
    clock.now += 56.0
    assert recent.answer_kept(("kiosk-1", "changed"))
    assert not recent.answer_kept(("kiosk-1", "refused"))
    # Still answered, for the group commit's routing of repeats.
    keys = [("kiosk-1", "refused"), ("kiosk-1", "unstored"), ("kiosk-1", "new")]
    assert recent.seen(keys) == [True, True, False]


def test_a_repeat_answered_again_keeps_the_longer_span() -> None:
    clock = Clock()
    recent = RecentRequests(trust_after_s=0.0, clock=clock)
    recent.took_hall()
    recent.answered([("pad-1", "r1")], kept_s=86_400.0)
    recent.answered([("pad-1", "r1")])  # its repeat: the stored answer, span unknown
    clock.now += 3_600.0
    assert recent.answer_kept(("pad-1", "r1"))


def test_the_oldest_are_forgotten_past_the_capacity() -> None:
    clock = Clock()
    recent = RecentRequests(capacity=2, trust_after_s=0.0, clock=clock)
    recent.took_hall()
    recent.answered([("k", "a"), ("k", "b"), ("k", "c")], kept_s=60.0)
    assert not recent.answer_kept(("k", "a"))
    assert recent.answer_kept(("k", "b")) and recent.answer_kept(("k", "c"))


def test_a_new_hub_knows_no_answer_kept_until_it_answers() -> None:
    clock = Clock()
    recent = RecentRequests(trust_after_s=0.0, clock=clock)
    recent.took_hall()
    recent.trust([("kiosk-1", "before")])  # answered by the hub before: span unknown
    assert recent.seen([("kiosk-1", "before")]) == [True]
    assert not recent.answer_kept(("kiosk-1", "before"))
