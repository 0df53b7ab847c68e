"""The outbox relay: cases and ratings from the hall's outbox to the back office over HTTP.

``OutboxRelay.run()`` runs beside the hub until cancelled. It reads the outbox stream as the
consumer group ``relay`` (one consumer name per hub process), takes over at start whatever an
earlier process left pending (XAUTOCLAIM: a hub killed between sending and acknowledging sends
the entry again), and POSTs each entry, signed as Standard Webhooks, to ``<url>/cases`` or
``<url>/evaluations``. An entry is acknowledged only when the back office answers 2xx. The
``webhook-id`` is derived from the entry itself, so every attempt, also after a restart or a
``hall outbox retry``, carries the same id and the back office stores the entry once.

Order: entries are delivered one at a time in stream order, which is commit order, and the
next one is not tried until the current one is settled (head-of-line blocking). Per-ticket
order (a rating never before its case) follows without any bookkeeping, at the price that one
entry the back office keeps failing on delays those behind it. That price is small here: the
back office is one endpoint, and when it fails it fails for every entry alike; an entry it
refuses for good or that is too old is set aside in the dead-letter stream at once, so it
blocks nothing for long. Parallel per-ticket delivery would buy throughput a hall does not
need (a few thousand entries a day) with ordering that is much harder to show correct. How a
ticket's order is kept across the dead-letter stream and ``hall outbox retry`` is described
in `outbox.py`.

Every answer but a 2xx and the refusals the contract documents as permanent (410, and 400 or
422 with a JSON ``error`` body: `policy.classify`) is retried with exponential backoff and
full jitter, honouring ``Retry-After`` on 429 and 503. A permanent refusal, an entry that
cannot be read, or one still not accepted when it is older than ``max_age_s`` (from its stream
id; it is always tried at least once, so a hub that was off for a long holiday sends its
backlog) goes to the dead-letter stream with the reason, the HTTP status and the attempts.

Dead letters come back by themselves once the back office answers again: after a delivery
that needed retries, after one following an expiry, and after the first delivery of a run,
every dead case that was not refused for good goes back to the end of the outbox, its
entries in order, with later entries of the case behind them (`policy.cases_to_retry`).

A relay whose hub was fenced by a newer hub (a newer epoch in the store) stops (it raises
`Fenced`), so two relays never deliver side by side (which would break the order).

The outbox is handed in as the `OutboxStore` interface (outbox_port.py): the relay never
talks to Redis itself. Its counters are plain numbers the hub's metrics read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from hall.contract.backoff import backoff_delay
from hall.contract.cancellation import raise_if_cancel_lost
from hall.contract.errors import Fenced, StoreUnavailable
from hall.domain.config import PortalConfig
from portal_link.outbox_port import CaseDocuments, OutboxStats, OutboxStore, Taken
from portal_link.policy import (
    REFUSED,
    MalformedEntry,
    OutboxEntry,
    cases_to_retry,
    classify,
    parse_entry,
    retry_delay,
)
from portal_link.webhooks import signed_headers

__all__ = ["OutboxRelay", "RelayTimings"]

log = logging.getLogger("portal_link.relay")
USER_AGENT = "hall-hub-portal-link/1"
ANSWER_EXCERPT = 300  # characters of a refusal's body kept as part of the reason
ANSWER_READ = 4096  # bytes of an answer read to tell a documented refusal


@dataclass(frozen=True)
class RelayTimings:
    request_timeout_s: float = 10.0  # one POST, connect to last byte
    backoff_base_s: float = 1.0  # first retry within this
    backoff_cap_s: float = 60.0  # no retry waits longer (unless Retry-After says so)
    retry_after_cap_s: float = 900.0  # a back office's Retry-After is honoured up to this
    max_age_s: float = 72 * 3600.0  # older entries go to the dead-letter stream
    # How long one XREADGROUP waits for new entries: well under the store client's read
    # timeout (redis-py's default is 5 s), so an idle outbox is never taken for an outage.
    block_ms: int = 2000
    batch: int = 32  # entries read at once (delivered one by one)
    stats_interval_s: float = 5.0  # how often backlog, oldest age and dead count are read
    reconnect_cap_s: float = 30.0  # backoff cap while Redis is unreachable


@dataclass(frozen=True)
class Attempt:
    status: int | None  # None: no answer
    detail: str  # the answer's start, or what went wrong
    retry_after: str | None = None
    body: bytes = b""  # the answer's start, as sent


def default_consumer_name() -> str:
    """A name for this hub process in the consumer group: host, pid and a random suffix."""
    host = socket.gethostname().split(".")[0] or "hub"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class OutboxRelay:
    def __init__(
        self,
        outbox: OutboxStore,
        hall_id: str,
        portal: PortalConfig,
        *,
        timings: RelayTimings | None = None,
        consumer: str | None = None,
        epoch: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        documents: CaseDocuments | None = None,
    ) -> None:
        self.outbox = outbox
        self.documents = documents  # the pages captured for a case, linked in its body
        self.hall_id = hall_id
        self.portal = portal
        self.timings = timings or RelayTimings()
        self.consumer = consumer or default_consumer_name()
        self.epoch = epoch  # the hub's epoch; None: no fencing (a relay on its own)
        self.clock = clock
        self.rand = rand
        self.stats = OutboxStats()
        self.delivered = 0  # entries the back office accepted
        self.failed = 0  # attempts that failed and will be retried
        self.dead_lettered = 0  # entries set aside in the dead-letter stream
        self.revived = 0  # dead letters put back by themselves once the back office answered
        self._revive_due = True  # dead letters may wait from an earlier run
        self.sending: str | None = None  # webhook-id of the entry being sent, if any
        self._session: aiohttp.ClientSession | None = None

    # ----- metrics -------------------------------------------------------------------------
    def backlog(self) -> int:
        """Entries not yet accepted by the back office (at the last stats refresh)."""
        return self.stats.backlog

    def oldest_age_seconds(self) -> float:
        """Age of the oldest entry not yet accepted; 0 when there is none."""
        if self.stats.oldest_ms is None:
            return 0.0
        return max(0.0, self.clock() - self.stats.oldest_ms / 1000)

    def dead(self) -> int:
        """Entries in the dead-letter stream (at the last stats refresh)."""
        return self.stats.dead

    async def refresh_stats(self) -> OutboxStats:
        self.stats = await self.outbox.stats()
        return self.stats

    def _count(self, name: str) -> None:
        if name == "delivered":
            self.delivered += 1
        elif name == "failed":
            self.failed += 1
        else:
            self.dead_lettered += 1

    # ----- life ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Relay until cancelled; survives Redis and back-office outages."""
        timeout = aiohttp.ClientTimeout(total=self.timings.request_timeout_s)
        async with aiohttp.ClientSession(
            timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as session:
            self._session = session
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._stats_loop())
                    group.create_task(self._relay_loop())
            finally:
                self._session = None

    async def _stats_loop(self) -> None:
        while True:
            try:
                await self.refresh_stats()
            except StoreUnavailable as exc:
                log.debug("outbox stats unavailable: %s", exc)
            raise_if_cancel_lost()
            await asyncio.sleep(self.timings.stats_interval_s)

    async def _relay_loop(self) -> None:
        failures = 0
        while True:
            try:
                await self.outbox.ensure_group()
                claimed = await self.outbox.claim_all(self.consumer)
                await self.outbox.forget_idle_consumers(self.consumer)
                if claimed:
                    log.info("outbox relay: took over %d entries left pending", claimed)
                if failures:
                    log.info("outbox relay: store reachable again")
                failures = 0
                while True:
                    raise_if_cancel_lost()
                    await self._check_fence()
                    batch = await self.outbox.take(
                        self.consumer, self.timings.batch, self.timings.block_ms
                    )
                    for taken in batch:
                        raise_if_cancel_lost()
                        await self._settle(taken)
            except StoreUnavailable as exc:
                raise_if_cancel_lost()
                failures += 1
                delay = backoff_delay(failures, 0.5, self.timings.reconnect_cap_s, self.rand)
                log.warning("outbox relay: store unavailable (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    # ----- one entry -----------------------------------------------------------------------
    async def _settle(self, taken: Taken) -> None:
        """Deliver one entry, or set it aside; returns when it has left the outbox."""
        if taken.raw is None:
            await self.outbox.drop_missing(taken)
            return
        try:
            entry = parse_entry(taken.raw)
        except MalformedEntry as exc:
            log.error("outbox entry %s cannot be sent: %s", taken.stream_id, exc)
            await self.outbox.bury(taken, "", "", f"malformed entry: {exc}", None, 0)
            self._count("dead")
            return
        route = await self.outbox.route(taken, entry)
        if route == "held":
            log.warning(
                "%s %s held in the dead-letter stream behind its case", entry.kind, entry.key
            )
            self._count("dead")
            return
        if route == "moved":
            return
        self.sending = entry.webhook_id
        try:
            await self._deliver(taken, entry)
        finally:
            self.sending = None

    async def _deliver(self, taken: Taken, entry: OutboxEntry) -> None:
        t = self.timings
        attempts = 0
        while True:
            raise_if_cancel_lost()
            await self._check_fence()
            attempts += 1
            attempt = await self._post(entry)
            verdict = (
                classify(attempt.status, attempt.body) if attempt.status is not None else "retry"
            )
            if verdict == "delivered":
                await self.outbox.ack(taken, entry.key)
                self._count("delivered")
                if attempts > 1:
                    log.info("%s %s accepted after %d attempts", entry.kind, entry.key, attempts)
                if attempts > 1 or self._revive_due:
                    await self._revive_dead()
                return
            if verdict == "refused":
                reason = f"{REFUSED}: HTTP {attempt.status} {attempt.detail}"
                await self.outbox.bury(
                    taken, entry.kind, entry.key, reason.strip(), attempt.status, attempts
                )
                self._count("dead")
                log.error(
                    "%s %s refused (HTTP %s), moved to the dead-letter stream: %s",
                    entry.kind,
                    entry.key,
                    attempt.status,
                    attempt.detail,
                )
                return
            self._count("failed")
            # Too old: set aside, but only after a try (a hub that was off for a long holiday
            # sends its backlog rather than burying it unseen).
            age = self.clock() - taken.created_ms / 1000
            if age > t.max_age_s:
                last = f"HTTP {attempt.status}" if attempt.status else attempt.detail
                reason = (
                    f"expired: not accepted within {t.max_age_s / 3600:g} h "
                    f"({attempts} attempts, last: {last})"
                )
                await self.outbox.bury(
                    taken, entry.kind, entry.key, reason, attempt.status, attempts
                )
                self._count("dead")
                self._revive_due = True  # tried again once the back office answers
                log.error(
                    "%s %s moved to the dead-letter stream: %s", entry.kind, entry.key, reason
                )
                return
            delay = self._delay(attempts, attempt)
            delay = min(delay, max(0.0, t.max_age_s - age))  # try once more when it expires
            if attempts == 1 or attempts % 10 == 0:
                log.warning(
                    "back office did not accept %s %s (attempt %d, %s); retrying in %.1f s",
                    entry.kind,
                    entry.key,
                    attempts,
                    f"HTTP {attempt.status}" if attempt.status else attempt.detail,
                    delay,
                )
            await asyncio.sleep(delay)

    async def _revive_dead(self) -> None:
        """The back office answers: dead cases not refused for good go back, in order."""
        self._revive_due = False
        for key in cases_to_retry(await self.outbox.dead_letters()):
            moved = await self.outbox.retry(key)
            self.revived += moved
            log.info("case %s: %d dead letters back in the outbox", key, moved)

    def _delay(self, attempts: int, attempt: Attempt) -> float:
        t = self.timings
        return retry_delay(
            attempts,
            attempt.status,
            attempt.retry_after,
            self.clock(),
            base_s=t.backoff_base_s,
            cap_s=t.backoff_cap_s,
            retry_after_cap_s=t.retry_after_cap_s,
            rand=self.rand,
        )

    async def _post(self, entry: OutboxEntry) -> Attempt:
        session = self._session
        if session is None:
            raise RuntimeError("the relay is not running")
        body = await self._body(entry)
        headers = signed_headers(self.portal.secret, entry.webhook_id, int(self.clock()), body)
        headers["Content-Type"] = "application/json"
        url = self.portal.url + entry.path
        try:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                body = await response.content.read(ANSWER_READ)
                text = body.decode("utf-8", "replace")[:ANSWER_EXCERPT]
                return Attempt(
                    response.status,
                    " ".join(text.split()),
                    response.headers.get("Retry-After"),
                    body,
                )
        except TimeoutError:
            return Attempt(None, f"no answer within {self.timings.request_timeout_s:g} s")
        except aiohttp.ClientError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}")

    async def _body(self, entry: OutboxEntry) -> bytes:
        """The entry as sent; a case with the pages captured for it, each with a link signed
        now (so a case sent after a long outage carries links that are still valid)."""
        if self.documents is None or entry.kind != "case":
            return entry.body_bytes()
        documents = await self.documents.documents(entry.key)
        body = {**entry.body, "documents": documents}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    async def _check_fence(self) -> None:
        if self.epoch is None:
            return
        stored = await self.outbox.stored_epoch()
        mine = self.epoch()
        if stored is not None and stored != mine:
            raise Fenced(
                f"hall {self.hall_id} was claimed by a newer hub (epoch {stored}, this hub "
                f"{mine}); the outbox relay stops"
            )
