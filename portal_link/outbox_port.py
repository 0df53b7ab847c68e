"""What the relay needs of the hall's outbox: an interface, and the values it passes.

The relay depends on this protocol only; the hub's store implements it
(`hall.store.outbox.Outbox`) and the composition root hands one in. Every method raises
`hall.contract.errors.StoreUnavailable` when the store cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from portal_link.policy import DeadLetter, OutboxEntry

__all__ = ["CaseDocuments", "OutboxStats", "OutboxStore", "Route", "Taken"]

# deliver: send it now; held: set aside behind its case in the dead-letter stream;
# moved: put at the end of the outbox, behind entries of its case that a retry put back.
Route = Literal["deliver", "held", "moved"]


@dataclass(frozen=True)
class Taken:
    """An outbox entry the relay has read (it stays pending until settled)."""

    stream_id: str
    raw: bytes | None  # the entry's JSON; None when the stream entry no longer exists
    requeued: bool  # put back by `hall outbox retry` or moved behind such entries
    created_ms: int  # when the entry was first added (moving it behind keeps this)


@dataclass(frozen=True)
class OutboxStats:
    backlog: int = 0  # entries in the outbox: not yet accepted (including in flight)
    pending: int = 0  # of those, read by a relay and not yet settled
    oldest_ms: int | None = None  # when the oldest of them was added
    dead: int = 0  # entries in the dead-letter stream


class OutboxStore(Protocol):
    async def ensure_group(self) -> None:
        """Make the relays' consumer group if there is none yet."""

    async def claim_all(self, consumer: str) -> int:
        """Take over every entry pending with any consumer; returns how many."""

    async def forget_idle_consumers(self, consumer: str) -> None:
        """Drop the other consumers that hold nothing (earlier runs of the hub)."""

    async def take(self, consumer: str, count: int, block_ms: int) -> list[Taken]:
        """Entries to settle, oldest first: pending ones first, else wait for new ones."""

    async def route(self, taken: Taken, entry: OutboxEntry, attempts: int = 0) -> Route:
        """Whether the entry may be sent now (see `Route`), decided atomically."""

    async def ack(self, taken: Taken, key: str) -> None:
        """The back office accepted it: it leaves the outbox."""

    async def bury(
        self, taken: Taken, kind: str, key: str, reason: str, status: int | None, attempts: int
    ) -> None:
        """Move it to the dead-letter stream with why."""

    async def drop_missing(self, taken: Taken) -> None:
        """Settle a pending id whose entry is gone."""

    async def stats(self) -> OutboxStats:
        """Backlog, pending, oldest and dead-letter counts."""

    async def dead_letters(self) -> list[DeadLetter]:
        """The dead-letter stream's case ids and reasons, oldest first."""

    async def retry(self, key: str | None = None) -> int:
        """Put dead letters (all, or one case id's) back at the end of the outbox, in order;
        later entries of the case wait behind them. Returns how many."""

    async def stored_epoch(self) -> int | None:
        """The epoch of the hub that holds the hall now (None: never claimed)."""


class CaseDocuments(Protocol):
    async def documents(self, case_id: str) -> list[dict[str, Any]]:
        """The pages captured for a case, in order, each with a freshly signed link (and its
        SHA-256), as the case's `documents` carries them; [] when none were captured."""
