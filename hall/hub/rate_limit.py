"""Per-device request limits: one token bucket per device, its size and refill set per device
kind by the hall file's `[rate_limits]`.

A device may send `burst` requests at once, then `per_s` a second. A request beyond that is
answered `rate_limited` with the seconds after which one more would be accepted, before it
reaches the engine or the store: a kiosk flooding `ticket.take` cannot exhaust the day's
numbers, and the other devices are served meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hall.domain.config import HallConfig, RateLimit

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted


class RateLimiter:
    def __init__(self, config: HallConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}  # only configured devices: bounded

    def take(self, device_id: str, kind: str) -> float:
        """Spend one request of `device_id`: 0 when it may go ahead, else the seconds to wait."""
        limit: RateLimit = self._config.rate_limit(kind)
        now = self._clock()
        bucket = self._buckets.get(device_id)
        if bucket is None:
            bucket = self._buckets[device_id] = _Bucket(float(limit.burst), now)
        bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.at) * limit.per_s)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / limit.per_s
