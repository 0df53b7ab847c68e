"""One asyncio lock per subject (a staff number, a dashboard account), made on first use and
dropped once nobody holds or waits for it, so a flood of made-up names leaves nothing behind.

Sign-in checks of one subject hold it from reading the failed attempts to counting the
failure: guesses sent at once are then checked one after another, and the lock a failure
sets is seen by the next guess (this hub's; a hall has one active hub).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["SubjectLocks"]


class SubjectLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # holders and waiters per subject

    @contextlib.asynccontextmanager
    async def hold(self, subject: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(subject, asyncio.Lock())
        self._users[subject] = self._users.get(subject, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[subject] -= 1
            if self._users[subject] == 0:
                del self._users[subject], self._locks[subject]

    def __len__(self) -> int:
        """How many subjects have a lock now (held or waited for)."""
        return len(self._locks)
