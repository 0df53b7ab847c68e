"""The hall's lease in the store, against a real Redis: one holder at a time, a new epoch with
each taking, renewal and release by the holder only, and no taking back once another hub
claimed the hall."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis

from hall.contract.errors import Fenced
from hall.contract.link import Endpoint
from hall.contract.wire import Topics
from hall.hub import lease as hub_lease
from hall.store.hall_store import HallStore
from hall.store.keys import HallKeys
from hall.store.lease import EpochAbsent
from tests.domain.hallfile import small_hall
from tests.support import eventually

pytestmark = pytest.mark.usefixtures("redis_client")
LEASE_S = 0.5


@pytest.fixture
async def store(redis_url: str, hall_id: str) -> AsyncIterator[HallStore]:
    hall_store = HallStore.connect(redis_url, hall_id)
    try:
        yield hall_store
    finally:
        await hall_store.close()


async def test_one_hub_at_a_time_and_a_new_epoch_with_each_taking(store: HallStore) -> None:
    first, second = store.lease("a:1", LEASE_S), store.lease("b:2", LEASE_S)
    claim = await first.acquire()
    assert claim.epoch == 1 and claim.wait_s == 0
    refused = await second.acquire()
    assert refused.epoch is None and 0 < refused.wait_s <= LEASE_S
    assert await first.holder() == "a:1"
    assert int(await store.client.get(store.keys.epoch)) == 1  # a refusal claims nothing
    # Given back: the other takes it at once, with the next epoch.
    assert await first.release()
    taken = await second.acquire()
    assert taken.epoch == 2
    assert await second.holder() == "b:2"


async def test_only_the_holder_renews_or_releases(store: HallStore) -> None:
    first, second = store.lease("a:1", LEASE_S), store.lease("b:2", LEASE_S)
    epoch = (await first.acquire()).epoch
    assert epoch is not None
    assert not await second.renew(epoch)  # not its lease, even naming the current epoch
    assert not await second.release()
    assert await first.holder() == "a:1"
    assert await first.renew(epoch)
    pttl = int(await store.client.pttl(store.keys.lease))
    assert LEASE_S * 1000 * 0.5 < pttl <= LEASE_S * 1000


async def test_a_lease_that_lapsed_unclaimed_is_kept_but_not_one_claimed_by_another(
    store: HallStore, redis_client: aredis.Redis
) -> None:
    first, second = store.lease("a:1", LEASE_S), store.lease("b:2", LEASE_S)
    epoch = (await first.acquire()).epoch
    assert epoch == 1
    # The lease lapsed while the store could not be reached, and nobody claimed the hall.
    await redis_client.delete(HallKeys(store.hall_id).lease)
    assert await first.renew(epoch)
    assert await first.holder() == "a:1"
    # It lapses again, and this time a standby takes the hall: the old holder cannot renew.
    await redis_client.delete(HallKeys(store.hall_id).lease)
    assert (await second.acquire()).epoch == 2
    assert not await first.renew(epoch)
    # Nor once the newer one gave it back: the epoch moved on.
    assert await second.release()
    assert not await first.renew(epoch)
    assert await first.holder() is None


async def test_a_lease_not_renewed_lapses_by_itself(store: HallStore) -> None:
    first, second = store.lease("a:1", LEASE_S), store.lease("b:2", LEASE_S)
    assert (await first.acquire()).epoch == 1
    refused = await second.acquire()
    assert refused.epoch is None
    claims: list[int | None] = []

    async def taken() -> bool:
        claims.append((await second.acquire()).epoch)
        return claims[-1] is not None

    await eventually(taken, "the lease lapsed", timeout=LEASE_S * 10)
    assert claims[-1] == 2 and all(epoch is None for epoch in claims[:-1])


async def test_a_server_without_the_epoch_is_not_taken_for_a_newer_hub(
    store: HallStore, redis_client: aredis.Redis
) -> None:
    # A failover's new master may answer for a moment without the hall's data: that is no
    # newer hub's claim (a claim always leaves a newer epoch), so the holder is told to wait.
    first = store.lease("a:1", LEASE_S)
    epoch = (await first.acquire()).epoch
    assert epoch == 1
    keys = HallKeys(store.hall_id)
    await redis_client.delete(keys.lease, keys.epoch)
    with pytest.raises(EpochAbsent):
        await first.renew(epoch)
    assert await first.holder() is None  # nothing was taken on a server without the epoch
    await redis_client.set(keys.epoch, epoch)  # the hall's data is back
    assert await first.renew(epoch)
    assert await first.holder() == "a:1"


async def test_the_active_hub_waits_out_a_missing_epoch_then_stops_if_it_stays_lost(
    store: HallStore, redis_client: aredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leadership.keep: a moment without the epoch is ridden through; a store that lost the
    hall's data for longer than the limit stops the hub (started again, it claims afresh)."""
    monkeypatch.setattr(hub_lease, "EPOCH_ABSENT_LIMIT_S", 1.0)
    config = small_hall(store.hall_id)
    config = dataclasses.replace(
        config, hub=dataclasses.replace(config.hub, lease_s=LEASE_S, renew_s=0.1)
    )
    leader = hub_lease.Leadership(config, store, Endpoint("127.0.0.1", 1), Topics(store.hall_id))
    assert (await leader.lease.acquire()).epoch == 1
    leader.epoch, leader.role = 1, "active"
    keys = HallKeys(store.hall_id)
    keeping = asyncio.create_task(leader.keep())
    await redis_client.delete(keys.lease, keys.epoch)  # as on a server without the hall's data
    await asyncio.sleep(0.5)
    assert not keeping.done()  # a moment: the hub carries on
    await redis_client.set(keys.epoch, 1)
    await eventually(lambda: _holds(leader), "the lease is renewed again", timeout=LEASE_S * 10)
    assert not keeping.done()
    await redis_client.delete(keys.lease, keys.epoch)  # and now for good
    with pytest.raises(Fenced, match="held no epoch"):
        await asyncio.wait_for(keeping, 10)
    assert leader.role == "stopped"


async def _holds(leader: hub_lease.Leadership) -> bool:
    return await leader.lease.holder() == leader.token
