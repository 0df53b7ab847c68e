"""A cancellation that a Redis call swallows (redis/redis-py#2028) still stops the loops
built on such calls: the MQTT link's dispatcher, the lease keeper, housekeeping, the live
view, the relay, the history writer and the keeper of the sent events' mark check after
their calls, so a stopping hub never
waits for ever on one of them.

The swallowing call is played by a handler that catches the cancel and returns anyway, as
redis-py does when the cancel lands mid-command."""

from __future__ import annotations

import asyncio
from typing import cast

import aiomqtt

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.contract.link import Endpoint, MqttLink
from hall.hub.sent_events import EventMarks, SentEvents
from hall.store.sent_events import StoredSentEvents
from tests.support import eventually


async def test_the_links_dispatcher_stops_although_a_handler_swallowed_its_cancel(
    mqtt_host_port: tuple[str, int], hall_id: str
) -> None:
    host, port = mqtt_host_port
    topic = f"hall/{hall_id}/swallow"
    handling = asyncio.Event()
    handled: list[str] = []

    async def swallowing_handler(_topic: str, payload: bytes) -> None:
        handling.set()
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            pass  # as redis-py may: the call returns and the task runs on
        handled.append(payload.decode())

    link = MqttLink(Endpoint(host, port), f"swallow-{hall_id}", subscriptions=(topic,))
    task = asyncio.create_task(link.run(swallowing_handler))
    try:
        await eventually(link.connected.is_set)
        async with aiomqtt.Client(host, port, identifier=f"pub-{hall_id}") as publisher:
            await publisher.publish(topic, b"one", qos=1)
            await asyncio.wait_for(handling.wait(), 15)
            await publisher.publish(topic, b"two", qos=1)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=15)
        assert done, "the link ran on after its handler swallowed the cancel"
        assert task.cancelled()
        assert handled == ["one"]  # the message after the stop was not handled
    finally:
        if not task.done():
            task.cancel()


async def test_a_task_not_asked_to_stop_goes_on() -> None:
    async def check() -> str:
        raise_if_cancel_lost()
        return "went on"

    assert await asyncio.create_task(check()) == "went on"


async def test_a_task_whose_cancel_was_swallowed_is_stopped_by_the_check() -> None:
    started = asyncio.Event()

    async def swallow_then_check() -> str:
        started.set()
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            pass
        raise_if_cancel_lost()
        return "ran on"

    task = asyncio.create_task(swallow_then_check())
    await started.wait()
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled()


async def test_the_sent_events_mark_keeper_stops_although_the_store_swallowed_its_cancel() -> None:
    writing = asyncio.Event()

    class SwallowingStore:
        async def raise_mark(self, seq: int) -> None:
            writing.set()
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                # As redis-py may: the cancel lost, the command failing as a timeout.
                raise StoreUnavailable("TimeoutError: timed out") from None

    marks = EventMarks(cast(StoredSentEvents, SwallowingStore()))
    marks.tracker = SentEvents(0)
    marks.tracker.published(1)()  # a mark to write
    task = asyncio.create_task(marks.keep())
    try:
        await asyncio.wait_for(writing.wait(), 15)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "the mark keeper ran on after the store swallowed its cancel"
        assert task.cancelled()
    finally:
        if not task.done():
            task.cancel()
