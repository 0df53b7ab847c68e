"""Failed sign-ins to the pages, kept in the store so that a restart does not forget them.

One hash per account and one per client address: ``failures``, ``last`` (the time of the
last failure) and ``locked_until``. Neither the name nor the address is stored: the key holds
a digest of it. A hash expires once its failures no longer count (`forget_after_s` after the
last failure, and not before a lock ends). The policy (how long to wait, when to lock) is the
web side's (`hall.web.login_guard`); this module only counts, atomically.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from hall.store.connection import StoreClient, unavailable_as_store_error
from hall.store.keys import HallKeys

__all__ = ["ACCOUNT", "ADDRESS", "Attempts", "LoginAttempts"]

ACCOUNT = "account"
ADDRESS = "address"
_MAX_SUBJECT_CHARS = 256

# KEYS[1] the subject's hash; ARGV: now, lock_after (failures), lock_s, forget_after_s.
# One more failure; a lock once there are lock_after of them; the hash kept while it counts.
_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if failures >= tonumber(ARGV[2]) and locked_until < tonumber(ARGV[1]) then
  locked_until = tonumber(ARGV[1]) + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'locked_until', tostring(locked_until))
end
local keep = math.max(tonumber(ARGV[4]), locked_until - tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], math.ceil(keep))
return {failures, tostring(locked_until)}
"""


@dataclass(frozen=True)
class Attempts:
    """The failed sign-ins that still count for one account or address."""

    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginAttempts:
    def __init__(self, client: StoreClient, keys: HallKeys) -> None:
        self._client = client
        self._keys = keys
        self._fail = client.register_script(_FAIL)

    def _key(self, kind: str, subject: str) -> str:
        digest = hashlib.blake2b(
            subject[:_MAX_SUBJECT_CHARS].encode(), digest_size=16, person=b"hall-login"
        ).hexdigest()
        return self._keys.login_attempts(kind, digest)

    async def get(self, kind: str, subject: str) -> Attempts:
        with unavailable_as_store_error():
            raw = await self._client.hgetall(self._key(kind, subject))
        if not raw:
            return Attempts()
        return Attempts(
            failures=int(raw.get(b"failures", 0)),
            last=float(raw.get(b"last", 0)),
            locked_until=float(raw.get(b"locked_until", 0)),
        )

    async def fail(
        self,
        kind: str,
        subject: str,
        *,
        now: float,
        lock_after: int,
        lock_s: float,
        forget_after_s: float,
    ) -> Attempts:
        """Count one more failure (locking at `lock_after`); the attempts as they now stand."""
        args: list[str | int] = [repr(now), lock_after, repr(lock_s), math.ceil(forget_after_s)]
        with unavailable_as_store_error():
            failures, locked_until = await self._fail(keys=[self._key(kind, subject)], args=args)
        return Attempts(int(failures), now, float(locked_until))

    async def clear(self, kind: str, subject: str) -> None:
        with unavailable_as_store_error():
            await self._client.delete(self._key(kind, subject))
