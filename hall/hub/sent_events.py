"""Which of the hall's events the broker surely has, so that a hub taking the hall sends
again the events the hub before it had not handed over (killed, power lost, its broker away).

Events are numbered when committed (`seq`, one after another) and sent from the hub's memory
afterwards. `SentEvents` keeps `upto`: every event numbered up to it is with the broker
(acknowledged) or was given up for good (dropped on a full queue, as the contract says). The
hub writes it to the store every `MARK_EVERY_S` (`hall.store.sent_events`); a hub taking the
hall reads the stored events after it and sends them first, before any of its own. An event
may so reach the broker twice (the contract's delivery is at least once: integrations skip a
`seq` they had).

An event committed but never published by this hub (a commit given up on in a store outage
that was carried out all the same) would hold `upto` back for good: once `GAP_S` has passed
with later events sent and not it, it is passed over (the contract's gap rule covers it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import StoreUnavailable
from hall.contract.log_every import LogEvery
from hall.store.sent_events import StoredSentEvents

__all__ = ["GAP_S", "MARK_EVERY_S", "RESEND_LIMIT", "EventMarks", "SentEvents"]

log = logging.getLogger("hall.hub.sent_events")

MARK_EVERY_S = 1.0  # how often the hub writes `upto` to the store (when it rose)
GAP_S = 30.0  # an event never published this long while later ones were is passed over
RESEND_LIMIT = 10_000  # at most this many stored events sent again at takeover (the newest)


class SentEvents:
    def __init__(self, upto: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.upto = upto
        self._clock = clock
        self._pending: set[int] = set()  # published, not yet settled
        self._settled: set[int] = set()  # settled above an event still pending or missing
        self._gap: tuple[int, float] | None = None  # the missing event, and since when

    def published(self, seq: int) -> Callable[[], None]:
        """Event `seq` was handed to the link; what the link calls once it settled."""
        if seq > self.upto:
            self._pending.add(seq)
        return lambda: self.settled(seq)

    def settled(self, seq: int) -> None:
        self._pending.discard(seq)
        if seq <= self.upto:
            return
        self._settled.add(seq)
        while self.upto + 1 in self._settled:
            self.upto += 1
            self._settled.remove(self.upto)

    @property
    def outstanding(self) -> int:
        """Events published and not yet settled."""
        return len(self._pending)

    def pass_gaps(self) -> None:
        """Pass over the next event if it was never published while later ones were, for
        `GAP_S` (called every `MARK_EVERY_S`)."""
        missing = self.upto + 1
        if missing in self._pending or not (self._pending or self._settled):
            self._gap = None
            return
        if self._gap is None or self._gap[0] != missing:
            self._gap = (missing, self._clock())
            return
        if self._clock() - self._gap[1] >= GAP_S:
            self._gap = None
            self.settled(missing)


class EventMarks:
    """This hub's part: at takeover, the stored events to send again; then its own events
    followed (`tracker`) and the mark kept in the store."""

    def __init__(self, stored: StoredSentEvents) -> None:
        self._stored = stored
        self.tracker: SentEvents | None = None  # None: no mark kept (the store could not tell)
        self.sent_again = 0  # events sent again at takeovers, since start
        self._written = -1
        self._log_failed = LogEvery(log, logging.WARNING, 60.0)

    async def take_over(self) -> list[tuple[int, bytes]]:
        """The stored events the broker may not have got (numbered, oldest first, as the
        contract's JSON); this hub's events are followed from now on. When the store cannot
        tell, none are sent again and no mark is kept (the next hub sends them)."""
        self.tracker = None
        try:
            last = await self._stored.last_seq()
            mark = await self._stored.mark()
            again = (
                [] if mark is None or mark >= last else await self._stored.after(mark, RESEND_LIMIT)
            )
        except StoreUnavailable as exc:
            log.warning("could not read which events the broker has: none sent again (%s)", exc)
            return []
        # With no mark yet (the first hub to keep one), the events before are taken as sent.
        self.tracker = SentEvents(again[0][0] - 1 if again else last)
        self._written = -1 if mark is None else mark
        self.sent_again += len(again)
        if again:
            log.warning(
                "sending %d events again (seq %d-%d): the hub before had not seen the broker "
                "acknowledge them",
                len(again),
                again[0][0],
                again[-1][0],
            )
        return again

    def follow(self, seq: int) -> Callable[[], None] | None:
        """Event `seq` is handed to the link: what the link calls once it settled (None when
        no mark is kept)."""
        return None if self.tracker is None else self.tracker.published(seq)

    @property
    def outstanding(self) -> int:
        """Events handed to the link and not yet acknowledged by the broker."""
        return 0 if self.tracker is None else self.tracker.outstanding

    async def keep(self) -> None:
        """Write the mark to the store when it rose, every `MARK_EVERY_S`, until cancelled."""
        while True:
            await asyncio.sleep(MARK_EVERY_S)
            await self.write()
            raise_if_cancel_lost()  # a store call may have swallowed the stop (see there)

    async def write(self) -> None:
        tracker = self.tracker
        if tracker is None:
            return
        tracker.pass_gaps()
        if tracker.upto > self._written:
            try:
                await self._stored.raise_mark(tracker.upto)
            except StoreUnavailable as exc:
                self._log_failed("could not keep which events the broker has: %s", exc)
                return
            self._written = tracker.upto
