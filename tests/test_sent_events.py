"""Which events the broker surely has: `upto` rises only over events all settled, and an event
this hub never published is passed over only after `GAP_S`."""

from __future__ import annotations

from hall.hub.sent_events import GAP_S, SentEvents
from tests.support import ManualClock


def test_the_mark_rises_over_settled_events_in_order_only() -> None:
    sent = SentEvents(10)
    settle = {seq: sent.published(seq) for seq in (11, 12, 13)}
    assert sent.upto == 10 and sent.outstanding == 3
    settle[12]()
    settle[13]()
    assert sent.upto == 10  # 11 not acknowledged yet: a hub dying now must send 11-13 again
    settle[11]()
    assert sent.upto == 13 and sent.outstanding == 0


def test_an_event_settled_twice_or_below_the_mark_changes_nothing() -> None:
    sent = SentEvents(5)
    settle = sent.published(6)
    settle()
    settle()
    sent.published(3)()  # sent again at takeover, already counted
    assert sent.upto == 6 and sent.outstanding == 0


def test_an_event_never_published_is_passed_over_after_the_gap_time() -> None:
    clock = ManualClock()
    sent = SentEvents(0, clock)
    sent.published(1)()
    sent.published(3)()  # 2 was committed but never published by this hub
    assert sent.upto == 1
    sent.pass_gaps()
    clock.now += GAP_S - 1
    sent.pass_gaps()
    assert sent.upto == 1
    clock.now += 2
    sent.pass_gaps()
    assert sent.upto == 3


def test_an_event_still_waiting_for_the_broker_is_never_passed_over() -> None:
    clock = ManualClock()
    sent = SentEvents(0, clock)
    sent.published(1)  # the broker is away: no acknowledgement for minutes
    sent.published(2)()
    for _ in range(10):
        sent.pass_gaps()
        clock.now += GAP_S
    assert sent.upto == 0


def test_a_gap_filled_late_restarts_the_wait() -> None:
    clock = ManualClock()
    sent = SentEvents(0, clock)
    sent.published(2)()
    sent.pass_gaps()  # 1 missing since now
    clock.now += GAP_S / 2
    late = sent.published(1)  # published late (out of order), not yet acknowledged
    sent.pass_gaps()
    clock.now += GAP_S
    sent.pass_gaps()
    assert sent.upto == 0
    late()
    assert sent.upto == 2
