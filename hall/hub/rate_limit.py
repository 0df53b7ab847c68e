"""Per-device request limits: one token bucket per device, its size and refill set per device
kind by the hall file's `[rate_limits]`.

A device may send `burst` requests at once, then `per_s` a second. A request beyond that is
answered `rate_limited` with the seconds after which one more would be accepted, before it
reaches the engine or the store: a kiosk flooding `ticket.take` cannot exhaust the day's
numbers, and the other devices are served meanwhile. A device far over its limit is not
even queued (`FloodGate`): its requests beyond ten times the limit are dropped on arrival.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hall.domain.config import HallConfig, RateLimit

__all__ = ["FloodGate", "RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted


def _spend(buckets: dict[str, _Bucket], key: str, per_s: float, burst: float, now: float) -> float:
    """Spend one token of `key`'s bucket (full at first): 0 when there was one, else the
    seconds until there is."""
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = _Bucket(burst, now)
    bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * per_s)
    bucket.at = now
    if bucket.tokens >= 1.0:
        bucket.tokens -= 1.0
        return 0.0
    return (1.0 - bucket.tokens) / per_s


class RateLimiter:
    def __init__(self, config: HallConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}  # only configured devices: bounded

    def take(self, device_id: str, kind: str) -> float:
        """Spend one request of `device_id`: 0 when it may go ahead, else the seconds to wait."""
        limit: RateLimit = self._config.rate_limit(kind)
        return _spend(self._buckets, device_id, limit.per_s, float(limit.burst), self._clock())


# A device's requests are let into the hub's queue at up to FLOOD_FACTOR times its limit (and
# at least the floors below); each one over its limit is answered `rate_limited` there. What
# comes faster still is dropped on arrival, unanswered: answering a flood would only feed it,
# and queued it would keep every other device's requests waiting behind it.
FLOOD_FACTOR = 10.0
FLOOD_FLOOR_PER_S = 20.0
FLOOD_FLOOR_BURST = 100
UNKNOWN = "\x00unknown"  # the one bucket of every device id the hall file does not name


class FloodGate:
    """Which requests reach the hub's queue at all: a token bucket per configured device,
    FLOOD_FACTOR times the size of its `[rate_limits]` one, and one shared by unknown ids
    (so forged ids cannot grow the table)."""

    def __init__(self, config: HallConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self.shed = 0  # requests dropped on arrival

    def admit(self, device_id: str) -> bool:
        device = self._config.device(device_id)
        key = device.id if device is not None else UNKNOWN
        limit: RateLimit = self._config.rate_limit(device.kind if device is not None else "")
        per_s = max(FLOOD_FACTOR * limit.per_s, FLOOD_FLOOR_PER_S)
        burst = max(FLOOD_FACTOR * limit.burst, FLOOD_FLOOR_BURST)
        if _spend(self._buckets, key, per_s, float(burst), self._clock()) == 0.0:
            return True
        self.shed += 1
        return False
