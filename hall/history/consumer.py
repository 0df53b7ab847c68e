"""The history's consumer: moves finished visits and ratings from the outbox to SQL.

At least once, and never counted twice: entries are acknowledged only after the transaction
that writes them committed, and writing is an upsert by case id, so an entry read again (a
hub killed between the two, a standby taking over) changes nothing. Once a day (and at
start) the days past the retention are removed. Ends only when cancelled; the store or the
database being away is waited out with the one backoff rule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from hall.contract.backoff import Backoff
from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.history.archive import Archive
from hall.history.databases import HistoryUnavailable
from hall.history.outbox_port import HistoryFeed
from hall.history.records import Record, record_of

__all__ = ["HistoryConsumer"]

log = logging.getLogger("hall.history")
BATCH = 200
BLOCK_MS = 2000
# After a batch smaller than BATCH, the next is taken no sooner than this: the history feeds
# reports, not screens, and one transaction of many records costs the hub far less than many
# of a few (each a store round trip, a thread hand-off and a commit).
MIN_STEP_INTERVAL_S = 0.5
RETRY_BASE_S = 0.5
RETRY_CAP_S = 30.0


class HistoryConsumer:
    def __init__(
        self,
        feed: HistoryFeed,
        archive: Archive,
        *,
        consumer: str | None = None,
        clock: Callable[[], float] = time.time,
        block_ms: int = BLOCK_MS,
        min_step_interval_s: float = MIN_STEP_INTERVAL_S,
    ) -> None:
        self.feed = feed
        self.archive = archive
        self.consumer = consumer or f"history-{socket.gethostname()}-{os.getpid()}"
        self.clock = clock
        self.block_ms = block_ms
        self.min_step_interval_s = min_step_interval_s
        self.tz = ZoneInfo(archive.config.hall.timezone)
        self.written = 0  # records written since start (repeats included)
        self.pruned_on: dt.date | None = None

    async def run(self) -> None:
        backoff = Backoff(RETRY_BASE_S, RETRY_CAP_S)
        while True:
            try:
                await self.archive.prepare()
                await self.feed.ensure_group()
                while True:
                    taken = await self.step()
                    raise_if_cancel_lost()  # a swallowed cancel must still end the loop
                    backoff.reset()
                    if 0 < taken < BATCH:
                        await asyncio.sleep(self.min_step_interval_s)
            except (StoreUnavailable, HistoryUnavailable) as exc:
                raise_if_cancel_lost()
                delay = backoff.next()
                log.warning("history: %s; trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def step(self) -> int:
        """Write one batch of entries and acknowledge it; prune once a day: how many taken."""
        today = dt.datetime.fromtimestamp(self.clock(), self.tz).date()
        if self.pruned_on != today:
            kept = await self.archive.prune(today)
            self.pruned_on = today
            log.info("history: keeping the days from %s", kept)
        taken = await self.feed.take(self.consumer, BATCH, self.block_ms)
        if not taken:
            return 0
        records: list[Record] = []
        for entry in taken:
            record = record_of(entry.raw)
            if record is not None:
                records.append(record)
        self.written += await self.archive.write(records)
        await self.feed.ack(taken)
        return len(taken)
