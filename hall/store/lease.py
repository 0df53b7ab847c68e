"""The lease that decides which of the hubs running for a hall is the active one.

One key per hall (`{hall:<id>}:lease`, in the hall's hash tag so the scripts run on Redis
Cluster) holds the active hub's token and expires unless renewed. A hub takes it only when
it is absent (SET NX PX), and in the same script claims a new epoch: the epoch is the guard
(`commit.lua` refuses every write of an older one), the lease only says whose turn it is.
The holder renews it well inside its expiry and deletes it on a clean exit, in both cases
only while the key still holds its own token (compare-and-renew, compare-and-delete).
Plain EVAL scripts: they run on Redis 6.2.
"""

from __future__ import annotations

from dataclasses import dataclass

from hall.contract.errors import StoreUnavailable
from hall.store.connection import StoreClient, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["Claim", "EpochAbsent", "HallLease"]


class EpochAbsent(StoreUnavailable):
    """The server reached holds no epoch for the hall: one the sentinels are still making the
    master, one mid-way through a resync, or a store that lost its data. Not a newer hub's
    claim (that always leaves a newer epoch); the caller decides how long to wait for it."""


# KEYS[1] lease, KEYS[2] epoch; ARGV[1] token, ARGV[2] lease ms.
# Taken: {1, new epoch}. Held by another hub: {0, ms until it lapses (-1: no expiry)}.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
"""

# KEYS[1] lease, KEYS[2] epoch; ARGV[1] token, ARGV[2] lease ms, ARGV[3] the holder's epoch.
# 1: still held. A lease that lapsed while the store could not be reached (a Redis restart)
# is taken again only if no other hub claimed the hall meanwhile (the epoch is unchanged).
# -1: the server holds no epoch for the hall at all (see `EpochAbsent`).
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  return -1
end
if not holder and epoch == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] lease; ARGV[1] token. 1: released; 0: it was not (or no longer) this hub's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Claim:
    """The answer to one attempt to take the lease."""

    epoch: int | None  # the new epoch when taken, else None
    wait_s: float  # when not taken: how long until the current holder's lease lapses


class HallLease:
    """The lease of one hall for one hub process, named by `token` (unique per process)."""

    def __init__(self, client: StoreClient, keys: HallKeys, token: str, lease_s: float) -> None:
        self.client = client
        self.keys = keys
        self.token = token
        self.lease_ms = max(1, round(lease_s * 1000))
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def acquire(self) -> Claim:
        """Take the lease and a new epoch if no hub holds it (raises StoreUnavailable)."""
        with unavailable_as_store_error():
            taken, value = await self._acquire(
                keys=[self.keys.lease, self.keys.epoch], args=[self.token, self.lease_ms]
            )
        if int(taken):
            return Claim(int(value), 0.0)
        remaining_ms = int(value)
        # No expiry (written by hand): look again after a full lease.
        return Claim(None, (remaining_ms if remaining_ms >= 0 else self.lease_ms) / 1000)

    async def renew(self, epoch: int) -> bool:
        """Keep the lease for another period; False when another hub has the hall now
        (raises StoreUnavailable, or EpochAbsent when the server holds no epoch)."""
        with unavailable_as_store_error():
            kept = int(
                await self._renew(
                    keys=[self.keys.lease, self.keys.epoch],
                    args=[self.token, self.lease_ms, epoch],
                )
            )
        if kept < 0:
            raise EpochAbsent(f"the store holds no epoch for hall {self.keys.hall_id}")
        return bool(kept)

    async def release(self) -> bool:
        """Give the lease up at once (a clean exit), if it is still this hub's."""
        with unavailable_as_store_error():
            released = await self._release(keys=[self.keys.lease], args=[self.token])
        return bool(int(released))

    async def holder(self) -> str | None:
        """The token of the hub holding the lease now, if any."""
        with unavailable_as_store_error():
            value = await self.client.get(self.keys.lease)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)
