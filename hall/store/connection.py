"""The Redis connection: the one place a client is made, and redis-py's errors turned into
the store's own (`hall.contract.errors.StoreUnavailable`).

`[store] url` chooses the client (see `hall.contract.store_url`): a single server
(`redis://`, `rediss://`, `unix://`), a Redis Cluster (`redis+cluster://`, redis-py's
`RedisCluster`, which follows the slots as they move), or the master that Redis Sentinel names
(`redis+sentinel://`, a client whose connections ask the sentinels for the master each time
they connect, so a failover is followed on the next reconnect).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import (
    Sentinel,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
)
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, RedisError, ResponseError

from hall.contract.errors import StoreUnavailable
from hall.contract.store_url import StoreAddress, is_many, parse_many

__all__ = ["StoreClient", "open_redis", "text_of", "unavailable_as_store_error"]

# What a Redis call raises when the server cannot be reached or answer: redis-py's own
# errors, and the socket's (a refused or reset connection, a timeout).
REDIS_FAILURES = (RedisError, ConnectionError, TimeoutError, OSError)
STORE_FULL = "Redis is full (maxmemory reached): nothing was written"

# A client of the hall's Redis, whichever form `[store] url` names. Both offer the same
# commands, scripts, pipelines and WATCH/MULTI transactions on one hall's keys, which all
# share one hash tag (one slot of a cluster).
StoreClient = redis.Redis | RedisCluster

# A read timeout above any blocking read (the relay's XREADGROUP waits 2 s) and a health
# check, so a connection dropped by a firewall is noticed before it is used. redis-py's own
# retries are off: the store retries by the one backoff rule (`ride_through.py`) and the relay
# by its loop, so a failure is seen by exactly one retry loop.
_CLIENT_OPTIONS: dict[str, Any] = {
    "decode_responses": False,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "health_check_interval": 30,
    "retry": Retry(NoBackoff(), 0),
}


def open_redis(url: str) -> StoreClient:
    """A client of the hall's Redis at `url` (it connects on first use)."""
    if not is_many(url):
        return redis.from_url(url, **_CLIENT_OPTIONS)
    address = parse_many(url)
    if address.kind == "cluster":
        return _cluster(address)
    return _sentinel_master(address)


def _cluster(address: StoreAddress) -> RedisCluster:
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
        username=address.username,
        password=address.password,
        ssl=address.tls,
        **_CLIENT_OPTIONS,
    )


class SentinelMaster(redis.Redis):
    """The master a group of sentinels names; closing it also closes the sentinels' clients."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        manager = getattr(self.connection_pool, "sentinel_manager", None)
        if isinstance(manager, Sentinel):
            await manager.aclose()


class _MasterConnection(SentinelManagedConnection):
    """A connection to the master the sentinels name, that asks them again when the server
    it reached refuses writes for want of replicas (`NOREPLICAS`, under
    `min-replicas-to-write`): after a failover the old master says so at once, well before
    the sentinels turn it into a replica (when redis-py's own `READONLY` check takes over)."""

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)
        except ResponseError as exc:
            if not str(exc).startswith("NOREPLICAS"):
                raise
            await self.disconnect()
            raise RedisConnectionError(f"the master has lost its replicas: {exc}") from exc


class _MasterTlsConnection(_MasterConnection, SentinelManagedSSLConnection):
    pass


def _sentinel_master(address: StoreAddress) -> SentinelMaster:
    timeouts = {k: v for k, v in _CLIENT_OPTIONS.items() if k.startswith("socket_")}
    sentinels = Sentinel(list(address.nodes), sentinel_kwargs=timeouts)  # type: ignore[no-untyped-call]
    master: SentinelMaster = sentinels.master_for(
        address.service,
        redis_class=SentinelMaster,
        connection_class=_MasterTlsConnection if address.tls else _MasterConnection,
        db=address.db,
        username=address.username,
        password=address.password,
        **_CLIENT_OPTIONS,
    )
    return master


@contextlib.contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """Raise `StoreUnavailable` for any failure of the Redis calls inside."""
    try:
        yield
    except REDIS_FAILURES as exc:
        if isinstance(exc, OutOfMemoryError) or str(exc).startswith("OOM "):
            # maxmemory reached under `noeviction`: the write was refused whole, nothing lost.
            raise StoreUnavailable(f"{STORE_FULL}: {exc}") from exc
        raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc


def text_of(value: Any) -> str:
    """A reply's bytes (this client does not decode them) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
