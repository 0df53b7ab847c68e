"""Midnight in the hall's timezone: numbering starts again at 001, yesterday stays stored."""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aredis

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall

# 23:59:00 in Shanghai (UTC+8) on 2026-11-18.
BEFORE_MIDNIGHT = 1_795_017_540.0


async def test_the_new_day_starts_at_local_midnight(redis_url: str) -> None:
    hall_id = "day-" + uuid.uuid4().hex[:10]
    config = small_hall(hall_id)
    client = aredis.from_url(redis_url)
    now = [BEFORE_MIDNIGHT]
    try:
        engine = HallEngine(config, HallStore(client, hall_id), clock=lambda: now[0])
        await engine.start()
        assert engine.state.day == "2026-11-18"
        kiosk_config = config.device("kiosk-1")
        assert kiosk_config is not None
        kiosk = Actor.of_device(kiosk_config)
        first = await engine.handle(kiosk, Request("a", "ticket.take", {"service": "A"}))
        assert json.loads(first.response)["result"]["ticket"]["no"] == "A001"
        assert not await engine.new_day_if_due()

        now[0] += 120  # 00:01 the next day
        assert await engine.new_day_if_due()
        assert engine.state.day == "2026-11-19" and engine.state.tickets == {}
        again = await engine.handle(kiosk, Request("b", "ticket.take", {"service": "A"}))
        assert json.loads(again.response)["result"]["ticket"]["no"] == "A001"
        # Yesterday's tickets are kept in the store, under yesterday's key.
        yesterday = await engine.store.load("2026-11-18")
        assert set(yesterday.tickets) == {"A001"}
    finally:
        keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_service_full_yesterday_is_open_again_after_midnight(redis_url: str) -> None:
    hall_id = "day-" + uuid.uuid4().hex[:10]
    config = small_hall(hall_id, cap=1)
    client = aredis.from_url(redis_url)
    now = [BEFORE_MIDNIGHT]
    try:
        engine = HallEngine(config, HallStore(client, hall_id), clock=lambda: now[0])
        await engine.start()
        kiosk_config = config.device("kiosk-1")
        assert kiosk_config is not None
        kiosk = Actor.of_device(kiosk_config)
        await engine.handle(kiosk, Request("a", "ticket.take", {"service": "A"}))
        assert engine.state.services_view(now[0])[0]["full"] is True

        now[0] += 120  # 00:01 the next day: what the pages are sent shows A open again
        assert await engine.new_day_if_due()
        assert engine.state.full() == (False, False)
        assert engine.state.services_view(now[0])[0]["full"] is False
    finally:
        keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_hub_down_over_midnight_counts_the_kept_day_as_an_earlier_one(
    redis_url: str,
) -> None:
    """What the wait estimate learned on the 18th (its arrivals, its windows' time paused,
    its lunch) is the history of a hub started again on the 19th, though no hub saw the
    midnight; and a hub started again the same day takes up that day's pauses."""
    hall_id = "day-" + uuid.uuid4().hex[:10]
    config = small_hall(hall_id)
    client = aredis.from_url(redis_url)
    now = [BEFORE_MIDNIGHT - 3600]  # 22:59
    try:
        engine = HallEngine(config, HallStore(client, hall_id), clock=lambda: now[0])
        await engine.start()
        kiosk_config, pad_config = config.device("kiosk-1"), config.device("pad-1")
        assert kiosk_config is not None and pad_config is not None
        kiosk, pad = Actor.of_device(kiosk_config), Actor.of_device(pad_config)
        for n, args in enumerate(({"staff": "S1"}, {"reason": "午餐"}, {})):
            op = ("window.open", "window.pause", "window.resume")[n]
            handled = await engine.handle(pad, Request(f"w{n}", op, args))
            assert handled.code == "ok", handled.response
            now[0] += 600
        for n in range(3):
            await engine.handle(kiosk, Request(f"t{n}", "ticket.take", {"service": "A"}))
        await engine.handle(pad, Request("w3", "window.close", {}))

        # The same day: a new hub knows the lunch, and no earlier day yet.
        same_day = HallEngine(config, HallStore(client, hall_id), clock=lambda: now[0])
        await same_day.start()
        assert same_day.state.occupancy.pauses["午餐"] == (600.0, 1)
        assert same_day.state.arrivals.days == []

        now[0] += 3600  # 00:29 on the 19th: nobody ran the hall at midnight
        later = HallEngine(config, HallStore(client, hall_id), clock=lambda: now[0])
        await later.start()
        history = later.state.arrivals
        assert later.state.day == "2026-11-19" and later.state.occupancy.pauses == {}
        assert len(history.days) == 1 and sum(history.days[0][("A", "normal")][92:]) == 3
        assert len(history.staffing) == 1 and history.pauses == {"午餐": (600.0, 1)}
        assert sum(paused for _signed, paused in history.staffing[0]) == 600.0
    finally:
        keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
