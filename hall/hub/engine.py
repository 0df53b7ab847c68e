"""The hall engine: the pure core and the store joined, with no MQTT.

One request is decided by the pure core against the in-memory hall, committed by the store's
one atomic script, and only then applied in memory. The hub (MQTT) and the tests of the queue
(Hypothesis) both drive the hall through this one path.

While the store is out for a moment, a request is held (the store retries its commit for a
bounded time, and no more than `MAX_HELD` requests wait at once); a longer outage is answered
`unavailable` with a retry hint, never stored, so the device's retry with the same id is
carried out once the store is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hall.contract.errors import Conflict, Fenced, StoreUnavailable
from hall.contract.log_every import LogEvery
from hall.contract.wire import Request, dumps, error_response, ok_response
from hall.domain import learned as learning
from hall.domain.actor import Actor
from hall.domain.arrivals import ArrivalHistory
from hall.domain.catalogue import Catalogue
from hall.domain.config import HallConfig
from hall.domain.errors import DomainError
from hall.domain.estimate import ServiceTimes
from hall.domain.events import TicketAtWindow
from hall.domain.hall import HallState, Outcome, decide
from hall.hub import views
from hall.hub.recent_requests import RecentRequests
from hall.store.hall_store import Commit, Committed, HallStore

log = logging.getLogger("hall.hub.engine")
COMMIT_ATTEMPTS = 3
UNAVAILABLE_LOG_INTERVAL_S = 10.0  # requests answered `unavailable`: a log line this often
MAX_HELD = 64  # requests waiting for the store during an outage; more are answered at once
RETRY_AFTER_S = 2  # the hint given with `unavailable`: about the store's probe interval


@dataclass(frozen=True)
class Handled:
    response: bytes
    code: str  # "ok" or the error code
    outcome: Outcome | None = None  # set when the operation was carried out just now
    first_seq: int = 0  # sequence number of the outcome's first event
    duplicate: bool = False  # the request id was seen before: `response` is the stored one
    day_changed: bool = False
    reloaded: bool = False  # the hall was reloaded from the store: republish everything


class HallEngine:
    def __init__(
        self,
        config: HallConfig,
        store: HallStore,
        clock: Callable[[], float] = time.time,
        recent: RecentRequests | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.state = HallState(config=config, day="")
        # The hub makes the wait forecasts off the request path (`hall/hub/forecasts.py`).
        self.defer_forecasts = False
        # Request ids answered lately (no store look-up for them).
        self._recent = recent if recent is not None else RecentRequests()
        # The requests being carried out or waiting to be, by (device, request id): how many.
        self._in_hand: Counter[tuple[str, str]] = Counter()
        # Opens a request's sealed ID number before it is decided (keys.py; set by the hub).
        self.open_args: Callable[[str, Mapping[str, Any]], Mapping[str, Any]] = _as_sent
        # MQTT requests arrive one at a time, HTTP ones alongside: one decision at a time.
        self._lock = asyncio.Lock()
        self._waiting = 0  # requests waiting for the lock (held while the store is out)
        self._republish_due = False  # a reload after an outage that nothing republished yet
        self._stale = False  # the hall in memory may differ from the store: reload first
        # In an outage every request is refused: a line per request would flood the log.
        self._log_unavailable = LogEvery(log, logging.ERROR, UNAVAILABLE_LOG_INTERVAL_S)
        self._learned_due = False  # what the wait estimate learned changed: store it

    async def start(self) -> int:
        """Claim the hall (a new epoch) and load it."""
        epoch = await self.store.claim_epoch()
        self.took_hall()
        await self.remember_answered()
        await self.load(self.state.local.day(self.clock()))
        return epoch

    def took_hall(self) -> None:
        """This hub took the hall (started, or took over): an earlier hub's requests may be
        retried, so until `remember_answered` the store is asked which ones it answered."""
        self._recent.took_hall()

    async def remember_answered(self) -> None:
        """Read which requests the hubs before this one answered lately; unreadable, the
        store is asked per group for the first minute instead."""
        try:
            self._recent.trust(await self.store.recently_answered())
        except StoreUnavailable as exc:
            log.warning("could not read the requests answered lately: %s", exc)

    async def load(self, day: str) -> None:
        loaded = await self.store.load(day, tuple(w.id for w in self.config.windows))
        times = ServiceTimes(float(self.config.queue.default_service_s))
        for service, (mean, count) in loaded.times.items():
            times.means[service], times.counts[service] = mean, count
        catalogue = Catalogue.from_config(self.config)
        if loaded.catalogue:
            catalogue = Catalogue.from_json(loaded.catalogue, self.config)
            if catalogue.to_json().encode() != loaded.catalogue:
                # An older shape, or windows that left the hall file: store it as read.
                await self.store.put_catalogue(catalogue.to_json())
        # Today's pauses so far are kept through a reload of the same day.
        pauses_today = self.state.occupancy.pauses if day == self.state.day else {}
        history = self.state.history_for(day)  # what the wait estimate learned before
        if not self.state.day:  # a hub started afresh: what the store kept of it
            history, pauses_today = await self._stored_learning(day, history)
        self._learned_due = self._learned_due or day != self.state.day
        self.state = HallState(
            config=self.config,
            catalogue=catalogue,
            appointments=loaded.appointments,
            arrivals=history,
            day=day,
            tickets=loaded.tickets,
            windows=loaded.windows,
            counters=loaded.counters,
            times=times,
        )
        self.state.occupancy.pauses = dict(pauses_today)
        self.state.forecaster.deferred = self.defer_forecasts
        self._stale = False
        await self._store_learning()

    async def _stored_learning(
        self, day: str, history: ArrivalHistory
    ) -> tuple[ArrivalHistory, learning.Pauses]:
        """The earlier days and today's pauses the store kept (as they were when the last
        hub stopped); `history` when it kept none or something unreadable."""
        raw = await self.store.load_learned()
        if raw is None:
            return history, {}
        try:
            learned = learning.loads(raw)
        except ValueError as exc:
            log.warning("the stored learning of the wait estimate is ignored: %s", exc)
            return history, {}
        if learned.day == day:
            return learned.history, learned.pauses_today
        if learned.day > day:  # a clock set back: nothing of a later day counts as earlier
            return history, {}
        # The hub was down over midnight: the snapshot's day is an earlier day now.
        earlier = await self.store.load(learned.day)
        history = learning.roll_over(learned)
        history.add_tickets_day(earlier.tickets.values(), self.state.tz)
        return history, {}

    async def _store_learning(self) -> None:
        """Keep what the wait estimate learned, when it changed; an outage only delays it
        (the next change writes it again)."""
        if not self._learned_due or not self.state.day:
            return
        state = self.state
        snapshot = learning.dumps(state.day, state.arrivals, state.occupancy.pauses)
        try:
            await self.store.put_learned(snapshot)
        except StoreUnavailable as exc:
            log.warning("what the wait estimate learned is not stored yet: %s", exc)
            return
        self._learned_due = False

    def _applied(self, outcome: Outcome) -> None:
        """Apply a committed outcome in memory; a window that paused, resumed, opened or
        closed changed what the wait estimate learned (staffing, pauses)."""
        self.state.apply(outcome)
        if any(b is None or b.state != a.state for b, a in outcome.windows):
            self._learned_due = True

    async def handle(self, actor: Actor, request: Request) -> Handled:
        """Carry out one request exactly once; raises Fenced when another hub took over."""
        if self._too_many_held(1):
            return self._unavailable(request)
        self._waiting += 1
        key = (actor.id, request.id)
        self._in_hand[key] += 1
        try:
            async with self._lock:
                handled = await self._handle(actor, request)
                self._recent.answered([key])
                await self._store_learning()
                return handled
        finally:
            self._waiting -= 1
            self._let_go([key])

    def known_repeat(self, device_id: str, request_id: str) -> bool:
        """Whether the device sent this request before: this hub has it in hand (held in an
        outage, say) or answered it lately (`recent_requests.py`)."""
        key = (device_id, request_id)
        return key in self._in_hand or self._recent.knows(key)

    def _let_go(self, keys: list[tuple[str, str]]) -> None:
        self._in_hand.subtract(keys)
        for key in keys:
            if self._in_hand[key] <= 0:
                del self._in_hand[key]

    def _too_many_held(self, arriving: int) -> bool:
        """During an outage, whether `arriving` more requests would exceed the bound."""
        return self.store.outage_s() is not None and self._waiting + arriving > MAX_HELD

    async def new_day_if_due(self) -> bool:
        """Start the hall's new day at midnight even when no request comes to trigger it."""
        async with self._lock:
            today = self.state.local.day(self.clock())
            if today == self.state.day:
                return False
            await self.load(today)
            return True

    async def handle_many(self, requests: list[tuple[Actor, Request]]) -> list[Handled]:
        """Carry out requests that arrived together, with one round trip to the store.

        Group commit: each request is decided against the hall as the ones before it left
        it (applied in memory at once), then all are committed in one pipeline, in order,
        each still by the one atomic script. Repeated ids are found first and go the single
        path, so nothing is decided on a state a duplicate would have changed (this hub's memory of
        the requests it answered tells, or the store, `recent_requests.py`). Should any
        commit still be refused, the stored hall is reloaded (it is the truth) and the
        refused requests are decided again one by one.
        """
        if self._too_many_held(len(requests)):
            return [self._unavailable(request) for _actor, request in requests]
        self._waiting += len(requests)
        keys = [(actor.id, request.id) for actor, request in requests]
        self._in_hand.update(keys)
        try:
            async with self._lock:
                handled = await self._handle_many(requests)
                self._recent.answered(keys)
                await self._store_learning()
                return handled
        finally:
            self._waiting -= len(requests)
            self._let_go(keys)

    async def _handle_many(self, requests: list[tuple[Actor, Request]]) -> list[Handled]:
        if len(requests) == 1:
            return [await self._handle(*requests[0])]
        keys_asked = [(d.id, r.id) for d, r in requests]
        seen = self._recent.seen(keys_asked)
        if seen is None:
            try:
                seen = await self.store.seen(keys_asked)
            except StoreUnavailable:
                seen = [True] * len(requests)  # let the single path report the outage
        batch: list[tuple[Actor, Request]] = []
        keys: set[tuple[str, str]] = set()
        for (actor, request), was_seen in zip(requests, seen, strict=True):
            key = (actor.id, request.id)
            if not was_seen and key not in keys:
                batch.append((actor, request))
                keys.add(key)
        done = await self._commit_together(batch) if len(batch) > 1 else {}
        results: list[Handled] = []
        for actor, request in requests:
            key = (actor.id, request.id)
            handled = done.pop(key, None)
            results.append(handled if handled is not None else await self._handle(actor, request))
        return results

    async def _commit_together(
        self, batch: list[tuple[Actor, Request]]
    ) -> dict[tuple[str, str], Handled]:
        now = self.clock()
        if self.state.local.day(now) != self.state.day or self._stale:
            return {}  # the day changes, or a reload is due: let the single path do it
        staged: list[tuple[Actor, Request, Outcome | None, str, Commit]] = []
        for actor, request in batch:
            decided = self._decide(actor, request, now)
            if decided is None:
                continue  # the single path answers it
            outcome, code, commit = decided
            if outcome is not None:
                self._applied(outcome)  # the next request is decided after this one
            staged.append((actor, request, outcome, code, commit))
        try:
            results = await self.store.commit_many([s[4] for s in staged])
        except StoreUnavailable as exc:
            results = [exc] * len(staged)
        done: dict[tuple[str, str], Handled] = {}
        failed = False
        for (actor, request, outcome, code, _commit), result in zip(staged, results, strict=True):
            if isinstance(result, Fenced):
                log.critical("%s; this hub stops", result)
                raise result
            if isinstance(result, Committed) and not result.duplicate:
                done[(actor.id, request.id)] = Handled(
                    result.response, code, outcome, result.first_seq
                )
            else:
                failed = True  # refused or not carried out: decided again one by one
                if isinstance(result, Committed) and result.retried:
                    self._republish_due = True  # carried out by an attempt never answered
        if failed:
            log.warning("a grouped commit was refused; reloading the hall")
            self._stale = True  # until the reload succeeds (the single path tries again)
            with contextlib.suppress(StoreUnavailable):
                await self.load(self.state.day)
        return done

    async def _handle(self, actor: Actor, request: Request) -> Handled:
        try:
            handled = await self._handle_once(actor, request)
        except StoreUnavailable as exc:
            self._log_unavailable("store unavailable for %s: %s", request.op, exc)
            # A commit given up on may still be carried out (a Redis that hung, then went
            # on): the hall is read again before the next request is decided.
            self._stale = self._republish_due = True
            return self._unavailable(request)
        if self._republish_due and handled.code != "unavailable":
            self._republish_due = False
            handled = dataclasses.replace(handled, reloaded=True)
        return handled

    async def _handle_once(self, actor: Actor, request: Request) -> Handled:
        now = self.clock()
        today = self.state.local.day(now)
        day_changed = today != self.state.day
        if day_changed or self._stale:
            await self.load(today)
        for _attempt in range(COMMIT_ATTEMPTS):
            decided = self._decide(actor, request, now)
            if decided is None:
                return self._internal(request, "internal error")
            outcome, code, commit = decided
            try:
                committed = await self.store.commit(commit)
            except Conflict as exc:
                log.warning("%s; reloading the hall", exc)
                await self.load(self.state.day)
                continue
            except Fenced as exc:
                log.critical("%s; this hub stops", exc)
                raise
            if committed.duplicate and committed.retried:
                # This hub's own attempt, carried out before its answer was lost: the hall in
                # memory lacks it, so it is read again and everything republished.
                self._stale = self._republish_due = True
                await self.load(self.state.day)
            if committed.duplicate:
                return Handled(
                    committed.response,
                    _code_of(committed.response),
                    duplicate=True,
                    day_changed=day_changed,
                )
            if outcome is not None:
                self._applied(outcome)
            return Handled(
                committed.response, code, outcome, committed.first_seq, day_changed=day_changed
            )
        return self._internal(request, "the hall kept changing: retry with the same id")

    def _decide(
        self, actor: Actor, request: Request, now: float
    ) -> tuple[Outcome | None, str, Commit] | None:
        """The pure core's decision and what to commit for it; None on an unexpected error
        (logged), which is answered `internal` and never stored."""
        outcome: Outcome | None = None
        try:
            args = self.open_args(request.op, request.args)
            outcome = decide(self.state, actor, request.op, args, now)
            response = ok_response(request.id, outcome.result)
            code = "ok"
        except DomainError as exc:
            response = error_response(request.id, exc.code, exc.message)
            if exc.retry_after_s is not None:
                response["error"]["retry_after_s"] = exc.retry_after_s
            code = exc.code
        except Exception:
            log.exception("operation %s from %s failed", request.op, actor.id)
            return None
        commit = Commit(
            actor.id,
            request.id,
            dumps(response),
            outcome,
            self.state.day,
            self._learned_times(outcome),
            self._outbox(outcome),
        )
        return outcome, code, commit

    @staticmethod
    def _unavailable(request: Request) -> Handled:
        # Not stored: a retry with the same id is carried out once the store is back.
        body = error_response(
            request.id, "unavailable", "the store is unavailable: retry with the same id"
        )
        body["error"]["retry_after_s"] = RETRY_AFTER_S
        return Handled(dumps(body), "unavailable")

    @staticmethod
    def _internal(request: Request, message: str) -> Handled:
        # Not stored: a retry with the same id is carried out normally.
        return Handled(dumps(error_response(request.id, "internal", message)), "internal")

    def _learned_times(self, outcome: Outcome | None) -> ServiceTimes | None:
        if outcome is None or not outcome.learned:
            return None
        times = self.state.times
        preview = ServiceTimes(times.default_s, dict(times.means), dict(times.counts))
        for service, seconds in outcome.learned:
            preview.learn(service, seconds)
        return preview

    def _outbox(self, outcome: Outcome | None) -> tuple[dict[str, Any], ...]:
        if outcome is None or (self.config.portal is None and not self.config.history.enabled):
            return ()
        # Who ended each visit: the `by` of the event that ended it (`hall.domain.acted_by`).
        ended_by = {
            e.ticket.get("no"): e.by for e in outcome.events if isinstance(e, TicketAtWindow)
        }
        entries = [views.case_entry(self.state, t, ended_by.get(t.no)) for t in outcome.ended]
        entries += [views.evaluation_entry(self.state, e) for e in outcome.evaluations]
        return tuple(entries)


def _as_sent(op: str, args: Mapping[str, Any]) -> Mapping[str, Any]:
    return args


def _code_of(response: bytes) -> str:
    try:
        data = json.loads(response)
        return "ok" if data.get("ok") else str(data["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "internal"
