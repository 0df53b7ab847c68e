"""A play-out's appointments are kept in heaps (`forecast._Bucket`): the first one inside its
slot and the first one still early are what going through all of them would find, while the
play-out's moments go forward and appointments are called."""

from __future__ import annotations

import random

from hall.domain.forecast import _appointment_pick, _Bucket, _Item


def _scan(items: list[_Item], now: float) -> tuple[_Item | None, _Item | None]:
    """Every appointment not yet called, gone through in the order added."""
    inside: _Item | None = None
    early: _Item | None = None
    for item in items:
        if item.taken:
            continue
        if item.slot_start is None or now >= item.slot_start:
            if inside is None or item.arrival < inside.arrival:
                inside = item
        elif early is None or item.arrival < early.arrival:
            early = item
    return inside, early


def test_the_first_inside_and_the_first_early_are_those_a_full_scan_finds() -> None:
    draws = random.Random(7)
    for _day in range(200):
        bucket = _Bucket()
        added: list[_Item] = []
        now = 0.0
        for _step in range(60):
            if draws.random() < 0.5:  # an appointment comes (same arrivals and slots happen)
                slot = None if draws.random() < 0.1 else float(draws.randrange(0, 600, 30))
                item = _Item(float(draws.randrange(0, 600, 15)), "A", 1, slot, None)
                bucket.add(item)
                added.append(item)
            now += draws.choice((0.0, 5.0, 30.0))  # a play-out's moments only go forward
            found = _appointment_pick(bucket, now)
            expected = _scan(added, now)
            assert found[0] is expected[0] and found[1] is expected[1]  # the same items
            if draws.random() < 0.4:  # the window calls one of the two
                chosen = draws.choice([f for f in found if f is not None] or [None])
                if chosen is not None:
                    chosen.taken = True
