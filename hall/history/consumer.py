"""The history's consumer: moves finished visits and ratings from the outbox to SQL.

At least once, and never counted twice: entries are acknowledged only after the transaction
that writes them committed, and writing is an upsert by case id, so an entry read again (a
hub killed between the two, a standby taking over) changes nothing. The days written are
marked due and rolled up at most every `ROLLUP_MIN_INTERVAL_S`, and no more often than keeps
rolling up under `ROLLUP_SHARE` of the time: a rollup reads the whole day, which late in a
busy day is far more than the batch itself (a report rolls up what is still due first, so it
is never behind). Once a day (and at start) the days past the retention are removed. Ends
only when cancelled; the store or the database being away is waited out with the one backoff
rule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
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
from hall.history.outbox_port import FeedEntry, HistoryFeed
from hall.history.records import Record, record_of

__all__ = ["HistoryConsumer"]

log = logging.getLogger("hall.history")
BATCH = 200  # entries written in one transaction at most
# A batch is read and decoded in pieces of this many entries, the hub's requests going first
# between two pieces (for GIVE_WAY times as long as the piece took): the hub's loop is never
# held long by the history, whatever the hall's pace.
PIECE = 25
GIVE_WAY = 4.0
# Entries left pending (this consumer's after a failed write, or another hub's that stopped
# mid-write) are looked for at start, after a failure and this often.
PENDING_CHECK_S = 30.0
BLOCK_MS = 2000
# Once the history has caught up with the outbox, the next batch is taken no sooner than
# this: the history feeds reports, not screens, and one transaction of many records costs the
# hub far less than many of a few (each a store round trip, a thread hand-off and a commit).
MIN_STEP_INTERVAL_S = 0.5
RETRY_BASE_S = 0.5
RETRY_CAP_S = 30.0
ROLLUP_MIN_INTERVAL_S = 5.0
ROLLUP_SHARE = 0.05  # the next rollup waits 1/ROLLUP_SHARE times as long as the last one took


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
        rollup_interval_s: float = ROLLUP_MIN_INTERVAL_S,
    ) -> None:
        self.feed = feed
        self.archive = archive
        self.consumer = consumer or f"history-{socket.gethostname()}-{os.getpid()}"
        self.clock = clock
        self.block_ms = block_ms
        self.min_step_interval_s = min_step_interval_s
        self.rollup_interval_s = rollup_interval_s
        self.tz = ZoneInfo(archive.config.hall.timezone)
        self.written = 0  # records written since start (repeats included)
        self.pruned_on: dt.date | None = None
        self._pending_check_at = -math.inf  # monotonic: when to look for pending entries
        self._caught_up = False  # the last read found fewer entries than it asked for
        self._rollup_at = -math.inf  # monotonic: the next rollup no sooner than this
        self._due = True  # days may be due (at start: left by an earlier hub)

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
                    if taken and self._caught_up:
                        await asyncio.sleep(self.min_step_interval_s)
            except (StoreUnavailable, HistoryUnavailable) as exc:
                raise_if_cancel_lost()
                self._pending_check_at = -math.inf  # what was taken is pending again
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
        taken: list[FeedEntry] = []
        if time.monotonic() >= self._pending_check_at:
            taken = await self.feed.take_pending(self.consumer, PIECE)
            records = self._records(taken)
            if len(taken) < PIECE:  # none left pending after these: look again in a while
                self._pending_check_at = time.monotonic() + PENDING_CHECK_S
            self._caught_up = False
        if not taken:
            taken, records = await self._take_in_pieces()
        if taken:
            self.written += await self.archive.write(records, roll_up=False)
            await self.feed.ack(taken)
            self._due = self._due or bool(records)
        if self._due and time.monotonic() >= self._rollup_at:
            await self.roll_up()
        return len(taken)

    async def roll_up(self) -> int:
        """Roll up the days due now: how many. The next rollup waits at least
        `rollup_interval_s`, and 1/ROLLUP_SHARE times as long as this one took."""
        started = time.monotonic()
        days = await self.archive.roll_up_due()
        self._due = False
        took = time.monotonic() - started
        self._rollup_at = time.monotonic() + max(self.rollup_interval_s, took / ROLLUP_SHARE)
        return days

    async def _take_in_pieces(self) -> tuple[list[FeedEntry], list[Record]]:
        """Up to BATCH new entries and their records, read and decoded a piece at a time."""
        taken = await self.feed.take_new(self.consumer, PIECE, self.block_ms)
        if not taken:
            self._caught_up = True
            return [], []
        started = time.perf_counter()
        records = self._records(taken)
        piece = len(taken)
        while piece == PIECE and len(taken) < BATCH:
            await asyncio.sleep((time.perf_counter() - started) * GIVE_WAY)
            started = time.perf_counter()
            more = await self.feed.take_new(self.consumer, min(PIECE, BATCH - len(taken)), None)
            taken += more
            records += self._records(more)
            piece = len(more)
        self._caught_up = piece < PIECE
        return taken, records

    @staticmethod
    def _records(taken: list[FeedEntry]) -> list[Record]:
        records: list[Record] = []
        for entry in taken:
            record = record_of(entry.raw)
            if record is not None:
                records.append(record)
        return records
