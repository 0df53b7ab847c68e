"""Fixtures that put a test module on the Redis Cluster that ``scripts/test`` starts.

A module imports ``redis_url`` and ``redis_client`` from here: they replace the shared single
Redis of ``tests/conftest.py`` for that module alone, so its hubs, engines and checks all work
on the cluster (the hall file's ``[store] url`` is the cluster URL). Without a cluster
(``HALL_TEST_REDIS_CLUSTER_URL`` unset: ``redis-cli`` is missing) the module is skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from hall.store.connection import StoreClient, open_redis
from tests.support import missing

CLUSTER_URL_VAR = "HALL_TEST_REDIS_CLUSTER_URL"


@pytest.fixture(scope="session")
def cluster_url() -> str:
    url = os.environ.get(CLUSTER_URL_VAR)
    if not url:
        missing(
            f"no Redis Cluster to test on ({CLUSTER_URL_VAR} is not set): scripts/test starts "
            "one when redis-cli is installed (apt-get install redis-tools)"
        )
    return url


@pytest.fixture(scope="session")
def redis_url(cluster_url: str) -> str:
    """The module's store: the cluster."""
    return cluster_url


@pytest.fixture
async def redis_client(cluster_url: str, hall_id: str) -> AsyncIterator[StoreClient]:
    """A client of the cluster; every ``{hall:<hall_id>}*`` key is deleted afterwards."""
    client = open_redis(cluster_url)
    try:
        yield client
    finally:
        try:
            await delete_hall(client, hall_id)
        finally:
            await client.aclose()


async def delete_hall(client: StoreClient, hall_id: str) -> None:
    """Every key of the hall (all in the one slot of its hash tag)."""
    keys = [key async for key in client.scan_iter(match=f"{{hall:{hall_id}}}*", count=500)]
    for start in range(0, len(keys), 500):
        await client.delete(*keys[start : start + 500])
