"""Riding through short store outages: Redis calls retried for a bounded time, then refused
fast until Redis answers again.

A Redis restart, a failover or a dropped connection lasts a moment; a request that arrives
then is held and carried out when Redis is back, instead of being answered with an error.
Each call that fails for a reason a retry can cure (no connection, a timeout, Redis still
loading its append-only file, a replica that is read-only for a moment) is sent again after
the wait of the one backoff rule (`hall.contract.backoff`), until the outage has lasted
`budget_s`. Idle pooled connections are dropped after every such failure, so the next attempt
opens a fresh one rather than writing into a socket the old server closed.

Past the budget the outage is a long one: every call fails at once with `StoreUnavailable`,
except one call every `probe_s` that tries Redis again (a cut link would otherwise cost each
request a connect timeout). The first call that succeeds ends the outage.

Retrying is safe for what the hub sends: reads; `HSETNX` and `HSET` of the same value; and the
commit script, which stores its answer under the request id in the same atomic step, so a
commit whose reply was lost is answered as a repeat when sent again (`retried` tells the
caller so). Failures a retry cannot cure (a script error, a wrong type, out of memory) are
raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis import exceptions as rx
from redis.asyncio.cluster import RedisCluster

from hall.contract.backoff import Backoff
from hall.contract.errors import StoreUnavailable
from hall.store.connection import REDIS_FAILURES, StoreClient

__all__ = ["TRANSIENT", "RideThrough", "RideThroughTimings"]

log = logging.getLogger("hall.store")
T = TypeVar("T")

# What a retry can cure. BusyLoadingError (Redis loading its data after a restart) is a
# ConnectionError; ReadOnlyError comes from a replica during a failover; TryAgain and
# MasterDown from a cluster moving a slot or electing a master.
TRANSIENT = (
    rx.ConnectionError,
    rx.TimeoutError,
    rx.ReadOnlyError,
    rx.TryAgainError,
    rx.MasterDownError,
    ConnectionError,
    TimeoutError,
    OSError,
)


TIMEOUTS = (rx.TimeoutError, TimeoutError)  # no answer in time: the attempt's start began it
MIN_ATTEMPT_S = 0.5  # a bounded attempt is given at least this long


@dataclass(frozen=True)
class RideThroughTimings:
    budget_s: float = 3.0  # how long one outage is ridden through before callers are told
    base_s: float = 0.05  # the first retry waits at most this
    cap_s: float = 0.5  # no retry waits longer
    probe_s: float = 1.0  # during a longer outage, one call tries Redis this often


class RideThrough:
    """The retries of one Redis client: `await ride.call(lambda: client.get(key))`."""

    def __init__(
        self,
        client: StoreClient,
        timings: RideThroughTimings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.timings = timings or RideThroughTimings()
        self.clock = clock
        self.down_since: float | None = None  # when the current outage began (monotonic)
        self.retries = 0  # calls sent again after a failure, since the start
        self._next_probe = 0.0

    def outage_s(self) -> float | None:
        """How long Redis has been unreachable; None while it answers."""
        return None if self.down_since is None else self.clock() - self.down_since

    async def call(
        self, make: Callable[[], Awaitable[T]], *, bounded: bool = False
    ) -> tuple[T, bool]:
        """The result of `make()` and whether it had to be sent more than once.

        Raises StoreUnavailable when the outage outlasts the budget, or at once for a failure
        no retry can cure. `bounded`: an attempt that gets no answer is given up when the
        budget is spent, as if the connection had failed then (a Redis that hangs, or a link
        that swallows everything, would otherwise hold the caller for the socket's timeout);
        for calls that never wait on purpose (not a blocking read).
        """
        backoff = Backoff(self.timings.base_s, self.timings.cap_s)
        attempts = 0
        while True:
            self._refuse_if_long_outage(attempts)
            attempts += 1
            started = self.clock()
            try:
                if bounded:
                    async with asyncio.timeout(self._attempt_bound_s()):
                        result = await make()
                else:
                    result = await make()
            except TRANSIENT as exc:
                await self._failed(exc, started)
                waited = self.outage_s() or 0.0
                left = self.timings.budget_s - waited
                if left <= 0:
                    raise StoreUnavailable(
                        f"no answer from the store for {waited:.1f} s: {type(exc).__name__}: {exc}"
                    ) from exc
                self.retries += 1
                await asyncio.sleep(min(backoff.next(), left))
                continue
            except REDIS_FAILURES as exc:
                raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
            self._answered()
            return result, attempts > 1

    def _refuse_if_long_outage(self, attempts: int) -> None:
        """Past the budget, only the probe may try; on the first attempt only (a retry loop
        that reaches the end of the budget makes its last try itself)."""
        outage = self.outage_s()
        if outage is None or outage < self.timings.budget_s or attempts > 0:
            return
        now = self.clock()
        if now < self._next_probe:
            raise StoreUnavailable(f"the store has not answered for {outage:.0f} s")
        self._next_probe = now + self.timings.probe_s

    def _attempt_bound_s(self) -> float:
        """How long a bounded attempt may wait: what is left of the budget, and never less
        than MIN_ATTEMPT_S (the probes of a long outage, a Redis merely slow)."""
        left = self.timings.budget_s - (self.outage_s() or 0.0)
        return max(left, MIN_ATTEMPT_S)

    async def _failed(self, exc: BaseException, attempt_started: float) -> None:
        if self.down_since is None:
            # An attempt that timed out was the outage's start: it got no answer from then.
            self.down_since = attempt_started if isinstance(exc, TIMEOUTS) else self.clock()
            log.warning("store unreachable (%s: %s); holding requests", type(exc).__name__, exc)
        # Connections the old server closed stay in the pool until used: drop the idle ones
        # (a connection in use, e.g. a blocking read of the relay, fails by itself).
        try:
            if isinstance(self.client, RedisCluster):
                for node in self.client.get_nodes():
                    await node.disconnect_free_connections()
            else:
                await self.client.connection_pool.disconnect(inuse_connections=False)
        except REDIS_FAILURES:
            pass

    def _answered(self) -> None:
        if self.down_since is not None:
            log.warning("store reachable again after %.1f s", self.clock() - self.down_since)
        self.down_since = None
        self._next_probe = 0.0
