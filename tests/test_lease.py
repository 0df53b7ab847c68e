"""The hall's lease in the store, against a real Redis: one holder at a time, a new epoch with
each taking, renewal and release by the holder only, and no taking back once another hub
claimed the hall."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis

from hall.store.hall_store import HallStore
from hall.store.keys import HallKeys
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
