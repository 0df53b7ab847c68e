"""A log line for something that can happen thousands of times a second (a request refused
in an outage): the first time at once, then at most once an interval, with how many times
it happened since the last line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["LogEvery"]


class LogEvery:
    def __init__(
        self,
        logger: logging.Logger,
        level: int,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._level = level
        self._interval_s = interval_s
        self._clock = clock
        self._unlogged = 0
        self._logged_at: float | None = None

    def __call__(self, message: str, *args: object) -> None:
        """Count one occurrence; log `message % args` with " (N times since the last line)"
        appended when it is time to."""
        self._unlogged += 1
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < self._interval_s:
            return
        count, self._unlogged, self._logged_at = self._unlogged, 0, now
        self._logger.log(
            self._level, message + " (%d time(s) since the last such line)", *args, count
        )
