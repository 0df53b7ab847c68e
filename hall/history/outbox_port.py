"""What the history's consumer needs of the hall's outbox: an interface and its values.

The outbox stream that carries cases and ratings to the back office has a second consumer
group for the history, with its own cursor: the history reads every entry whatever the back
office does with it. The hub's store implements this protocol (`hall.store.outbox_history`)
and the composition root hands one in. Every method raises
`hall.contract.errors.StoreUnavailable` when the store cannot be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["FeedEntry", "HistoryFeed"]


@dataclass(frozen=True)
class FeedEntry:
    """An outbox entry the history has read (it stays pending until acknowledged)."""

    stream_id: str
    raw: bytes | None  # the entry's JSON; None when the stream entry no longer exists


class HistoryFeed(Protocol):
    async def ensure_group(self) -> None:
        """Make the history's consumer group if there is none yet."""

    async def take_pending(self, consumer: str, count: int) -> list[FeedEntry]:
        """Pending entries only: this consumer's, else another's taken over; none waited for."""

    async def take_new(self, consumer: str, count: int, block_ms: int | None) -> list[FeedEntry]:
        """New entries only (none pending), waiting up to `block_ms` for them (None: not at
        all)."""

    async def ack(self, entries: Sequence[FeedEntry]) -> None:
        """The entries are written: acknowledged (an entry every group has taken leaves the
        stream)."""
