"""Records stored by an older version (fewer fields) keep working after an upgrade."""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aredis

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall


async def test_an_old_ticket_shape_is_upgraded_at_load(redis_url: str) -> None:
    hall_id = "up-" + uuid.uuid4().hex[:10]
    config = small_hall(hall_id)
    client = aredis.from_url(redis_url)
    try:
        engine = HallEngine(config, HallStore(client, hall_id))
        await engine.start()
        kiosk_config, pad_config = config.device("kiosk-1"), config.device("pad-1")
        assert kiosk_config is not None and pad_config is not None
        kiosk, pad = Actor.of_device(kiosk_config), Actor.of_device(pad_config)
        await engine.handle(kiosk, Request("t1", "ticket.take", {"service": "A"}))
        day = engine.state.day
        key = f"{{hall:{hall_id}}}:tickets:{day}"
        stored = json.loads(await client.hget(key, "A001"))
        del stored["slot_start"]  # as an older version wrote it
        await client.hset(key, "A001", json.dumps(stored))

        restarted = HallEngine(config, HallStore(client, hall_id))
        await restarted.start()
        await restarted.handle(pad, Request("o1", "window.open", {"staff": "S1"}))
        called = await restarted.handle(pad, Request("n1", "call.next", {}))
        assert called.code == "ok", called.response
        assert json.loads(called.response)["result"]["ticket"]["no"] == "A001"
    finally:
        keys = [k async for k in client.scan_iter(match=f"{{hall:{hall_id}}}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
