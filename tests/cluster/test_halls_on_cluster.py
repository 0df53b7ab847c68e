"""Several halls on one Redis Cluster: each hall's keys all sit in the one slot of its hash
tag, two halls land in different slots (here: on different masters), and each hall's hub
sees only its own tickets, numbers and events."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.crc import key_slot

from hall.store.connection import StoreClient
from tests.integration.halls import hall_with_client, served
from tests.support import write_hall_config

from .on_cluster import cluster_url as cluster_url
from .on_cluster import delete_hall
from .on_cluster import redis_client as redis_client
from .on_cluster import redis_url as redis_url


def slot_of(hall: str) -> int:
    return key_slot(f"hall:{hall}".encode())


async def masters_by_slot(client: StoreClient) -> list[tuple[int, int, str]]:
    """(first slot, last slot, master address) of each range the cluster serves."""
    ranges = await client.cluster_slots()
    return [
        (int(first), int(last), "{}:{}".format(*served["primary"]))
        for (first, last), served in ranges.items()
    ]


def master_of(slot: int, ranges: list[tuple[int, int, str]]) -> str:
    return next(master for first, last, master in ranges if first <= slot <= last)


@pytest.fixture
async def two_halls_apart(
    hall_id: str, redis_client: StoreClient
) -> AsyncIterator[tuple[str, str]]:
    """Two hall ids of this test whose slots are served by different masters."""
    ranges = await masters_by_slot(redis_client)
    east = f"{hall_id}-0"
    west = next(
        f"{hall_id}-{n}"
        for n in range(1, 1000)
        if master_of(slot_of(f"{hall_id}-{n}"), ranges) != master_of(slot_of(east), ranges)
    )
    try:
        yield east, west
    finally:
        for hall in (east, west):
            await delete_hall(redis_client, hall)


async def test_halls_on_one_cluster_land_in_their_own_slots_and_stay_apart(
    two_halls_apart: tuple[str, str],
    tmp_path: Path,
    mqtt_url: str,
    redis_url: str,
    redis_client: StoreClient,
) -> None:
    east, west = two_halls_apart
    east_file = write_hall_config(tmp_path, east, mqtt_url, redis_url)
    west_file = write_hall_config(tmp_path, west, mqtt_url, redis_url)
    async with contextlib.AsyncExitStack() as halls:
        _, at_east = await halls.enter_async_context(hall_with_client(east_file, east))
        _, at_west = await halls.enter_async_context(hall_with_client(west_file, west))
        for c in (at_east, at_west):
            await c.ok("pad-1", "window.open", {"staff": "S001"})
        assert await served(at_east, "kiosk-1", "pad-1") == "A001"
        assert await served(at_east, "kiosk-1", "pad-1") == "A002"
        assert (await at_east.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"][
            "no"
        ] == "A003"
        # The west hall numbers, queues and records on its own.
        taken = (await at_west.ok("kiosk-1", "ticket.take", {"service": "A"}))["ticket"]
        assert taken["no"] == "A001" and taken["ahead"] == 0
        assert (await at_west.ok("pad-1", "call.next"))["ticket"]["no"] == "A001"
        assert await at_west.error("kiosk-1", "ticket.status", {"no": "A002"}) == "not_found"

    ranges = await masters_by_slot(redis_client)
    assert slot_of(east) != slot_of(west)
    assert master_of(slot_of(east), ranges) != master_of(slot_of(west), ranges)
    for hall in (east, west):
        keys = [k async for k in redis_client.scan_iter(match=f"*{hall}*", count=500)]
        # Scanned on every master: the hall's keys are there, and all in its slot alone.
        assert any(k.endswith(b":epoch") for k in keys), keys
        assert any(b":tickets:" in k for k in keys), keys
        for key in keys:
            assert key.startswith(f"{{hall:{hall}}}:".encode()), key
            assert key_slot(key) == slot_of(hall), key
        count = await redis_client.cluster_countkeysinslot(slot_of(hall))
        assert count >= len(keys)
    east_events = await redis_client.xlen(f"{{hall:{east}}}:events")
    west_events = await redis_client.xlen(f"{{hall:{west}}}:events")
    assert east_events > west_events > 0
