"""What paho reads is taken in by the link at once, in order, filtered as the owner asks:
several requests read in one turn of the loop reach the owner's batch handler together
(the hub then decides them together and commits them in one round trip to Redis)."""

from __future__ import annotations

import logging

import pytest
from paho.mqtt.client import MQTTMessage

from hall.contract.link import Endpoint, MqttLink


def paho_message(topic: bytes, payload: bytes, *, retain: bool = False) -> MQTTMessage:
    message = MQTTMessage(mid=1, topic=topic)
    message.payload = payload
    message.retain = retain
    return message


def link(**options: object) -> MqttLink:
    return MqttLink(Endpoint("127.0.0.1", 1), "intake-test", **options)  # type: ignore[arg-type]


def taken(link: MqttLink) -> list[tuple[str, bytes]]:
    queue = link._incoming
    return [queue.get_nowait() for _ in range(queue.qsize())]


async def test_messages_read_in_one_turn_are_all_waiting_in_order() -> None:
    intake = link()
    intake._held = None  # connected, the owner's on_connect hook done
    for n in range(5):
        intake._on_paho_message(None, None, paho_message(b"hall/h/dev/k/req", b"%d" % n))
    # No await in between: all five are there for the dispatcher's next batch.
    assert taken(intake) == [("hall/h/dev/k/req", b"%d" % n) for n in range(5)]
    assert intake.stats.received == 5


async def test_the_owners_filters_apply_and_a_failing_one_drops_only_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def admit(topic: str) -> bool:
        if topic.endswith("/boom"):
            raise RuntimeError("owner's bug")
        return not topic.endswith("/refused")

    intake = link(admit=admit, keep_retained=lambda topic, payload: payload != b"stale")
    intake._held = None
    for topic, payload, retain in [
        (b"t/1", b"a", False),
        (b"t/refused", b"b", False),
        (b"t/boom", b"c", False),
        (b"t/2", b"stale", True),
        (b"t/3", b"stale", False),  # not retained: the retained filter is not asked
        (b"t/4", b"fresh", True),
    ]:
        with caplog.at_level(logging.ERROR, "hall.contract.link"):
            intake._on_paho_message(None, None, paho_message(topic, payload, retain=retain))
    assert taken(intake) == [("t/1", b"a"), ("t/3", b"stale"), ("t/4", b"fresh")]
    assert "could not be taken in" in caplog.text


async def test_held_while_the_owner_republishes_then_delivered_in_order() -> None:
    intake = link()
    intake._held = []  # the on_connect hook is running
    intake._on_paho_message(None, None, paho_message(b"t/1", b"1"))
    intake._on_paho_message(None, None, paho_message(b"t/2", b"2"))
    assert taken(intake) == []
    intake._deliver_held()
    intake._on_paho_message(None, None, paho_message(b"t/3", b"3"))
    assert [payload for _topic, payload in taken(intake)] == [b"1", b"2", b"3"]


async def test_a_full_queue_drops_and_counts() -> None:
    intake = link(incoming_limit=2)
    intake._held = None
    for n in range(4):
        intake._on_paho_message(None, None, paho_message(b"t", b"%d" % n))
    assert [payload for _topic, payload in taken(intake)] == [b"0", b"1"]
    assert intake.stats.dropped_incoming == 2


async def test_a_topic_that_is_not_utf8_is_dropped_not_raised() -> None:
    intake = link()
    intake._held = None
    intake._on_paho_message(None, None, paho_message(b"t/\xff", b"x"))
    intake._on_paho_message(None, None, paho_message(b"t/ok", b"y"))
    assert taken(intake) == [("t/ok", b"y")]
    assert intake.stats.dropped_incoming == 1


async def test_the_probe_is_taken_off_not_delivered() -> None:
    intake = link(probe_topic="hall/h/hub/probe/x")
    intake._held = None
    intake._probe_out = (b'{"probe":"n-1"}', 0.0)
    intake._on_paho_message(None, None, paho_message(b"hall/h/hub/probe/x", b'{"probe":"n-1"}'))
    assert intake._probe_out is None and taken(intake) == []
