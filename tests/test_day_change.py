"""Midnight in the hall's timezone: numbering starts again at 001, yesterday stays stored."""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aredis

from hall.engine import HallEngine
from hall.protocol import Request
from hall.store import HallStore
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
        kiosk = config.device("kiosk-1")
        assert kiosk is not None
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
