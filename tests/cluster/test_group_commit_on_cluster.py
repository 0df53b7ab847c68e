"""Requests committed together on a Redis Cluster, whose client pipelines no script: the
group is committed one script after another, in order, with the answers one by one gives."""

from __future__ import annotations

import json

from hall.contract.wire import Request
from hall.domain.actor import Actor
from hall.hub.engine import HallEngine
from hall.hub.recent_requests import RecentRequests
from hall.store.connection import StoreClient
from hall.store.hall_store import HallStore
from tests.domain.hallfile import small_hall

from .on_cluster import cluster_url as cluster_url
from .on_cluster import redis_client as redis_client
from .on_cluster import redis_url as redis_url


def number(response: bytes) -> str:
    return str(json.loads(response)["result"]["ticket"]["no"])


async def test_a_group_is_committed_in_order_and_a_repeat_answered_as_before(
    redis_client: StoreClient, hall_id: str
) -> None:
    engine = HallEngine(small_hall(hall_id), HallStore(redis_client, hall_id))
    await engine.start()
    device = engine.config.device("kiosk-1")
    assert device is not None
    kiosk = Actor.of_device(device)
    first = await engine.handle(kiosk, Request("c0", "ticket.take", {"service": "A"}))
    handled = await engine.handle_many(
        [
            (kiosk, Request("c1", "ticket.take", {"service": "A"})),
            (kiosk, Request("c2", "ticket.take", {"service": "A"})),
            (kiosk, Request("c0", "ticket.take", {"service": "A"})),  # answered before
            (kiosk, Request("c3", "ticket.take", {"service": "A"})),
        ]
    )
    assert [number(h.response) for h in handled] == ["A002", "A003", "A001", "A004"]
    assert handled[2].response == first.response
    stored = await engine.store.load(engine.state.day)
    assert sorted(stored.tickets) == ["A001", "A002", "A003", "A004"]
    # A newer hub reads what was answered lately from the cluster too.
    recent = RecentRequests(trust_after_s=300.0)
    later = HallEngine(engine.config, HallStore(redis_client, hall_id), recent=recent)
    await later.start()
    assert recent.seen([(kiosk.id, "c3"), (kiosk.id, "c9")]) == [True, False]
