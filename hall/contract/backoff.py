"""How long to wait before trying again: the one rule of every reconnect and retry loop.

The rule is capped exponential backoff with full jitter. After failed attempt `n` (counted
from 1) the wait is drawn uniformly from ``[0, min(cap, base * 2^(n-1))]``: the ceiling
doubles from `base` until it reaches `cap`. Full jitter spreads the clients that failed
together (every device of a hall when the broker restarts, every hub when the back office is
down) over the whole window, so they do not all come back at the same instant.

Used by the MQTT link's reconnects, the serial drivers' port reopening and resending, the
back-office relay's retries and `hall watch`. Pure: no I/O; `rand` can be given for tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["Backoff", "backoff_delay"]

MAX_DOUBLINGS = 60  # 2^60 times any base is past every cap: the exponent stops growing there


def backoff_delay(
    attempt: int, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
) -> float:
    """The wait after failed attempt number `attempt` (from 1): uniform in
    ``[0, min(cap_s, base_s * 2^(attempt-1))]``; `rand` returns a float in [0, 1)."""
    ceiling = min(cap_s, base_s * 2.0 ** min(max(attempt - 1, 0), MAX_DOUBLINGS))
    return rand() * ceiling


class Backoff:
    """The waits of one retry loop: `next()` after each failure, `reset()` after a success."""

    def __init__(
        self, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.rand = rand
        self.failures = 0  # failed attempts since the last success

    def reset(self) -> None:
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return backoff_delay(self.failures, self.base_s, self.cap_s, self.rand)
