"""The requests this hub answered lately, so that a group of new ones needs no look-up in the
store before it is decided.

A group commit must not decide a request that was carried out before (a device's retry):
its outcome would be applied in memory twice. The store knows every answered request id, but
asking it costs a round trip per group. So this hub's own memory answers instead: seeded,
when it takes the hall, from the store's index of the requests answered in the last few
minutes (`hall.store.commit.ANSWERED_KEEP_MS`), then fed with every answer it gives. A device
retries within its timeout, well inside that span. Should an older retry still come, the
commit script finds it (each commit checks its id) and the hall is reloaded: slower, never
wrong. Only when the index could not be read does the store get asked, for the first minute.

The same memory tells the device's request limit which requests are repeats: a request
counts once against it, however often its device sends it again (`dispatch.py`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

__all__ = ["RecentRequests"]

Key = tuple[str, str]  # (device id, request id)

CAPACITY = 50_000  # about 8 MiB; many minutes of a busy hall's requests
TRUST_AFTER_S = 60.0  # the store is asked for this long after the hub took the hall (a
# device retries within seconds: the contract device client waits 5 s for an answer)


class RecentRequests:
    def __init__(
        self,
        capacity: int = CAPACITY,
        trust_after_s: float = TRUST_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._trust_after_s = trust_after_s
        self._clock = clock
        self._keys: OrderedDict[Key, None] = OrderedDict()
        self._trusted_from = float("inf")  # not before the hub has taken the hall

    def took_hall(self) -> None:
        """The hub took the hall: requests answered by an earlier hub may be retried."""
        self._keys.clear()
        self._trusted_from = self._clock() + self._trust_after_s

    def trust(self, answered_lately: Iterable[Key]) -> None:
        """What the hubs before this one answered lately, read from the store: from now on
        this memory tells."""
        self.answered(answered_lately)
        self._trusted_from = self._clock()

    def answered(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)

    def knows(self, key: Key) -> bool:
        """Whether `key` is in this memory (answered by this hub, or by the hubs before it as
        the store's index said), whether or not the memory is trusted yet."""
        return key in self._keys

    def seen(self, keys: Sequence[Key]) -> list[bool] | None:
        """Which of `keys` were answered; None while only the store can tell."""
        if self._clock() < self._trusted_from:
            return None
        return [key in self._keys for key in keys]
