"""The hall engine: the pure core and the store joined, with no MQTT.

One request is decided by the pure core against the in-memory hall, committed by the store's
one atomic script, and only then applied in memory. The hub (MQTT) and the tests of the queue
(Hypothesis) both drive the hall through this one path.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from . import views
from .bus import StopLink
from .config import DeviceConfig, HallConfig
from .domain.catalogue import Catalogue
from .domain.errors import DomainError
from .domain.estimate import ServiceTimes
from .domain.hall import HallState, Outcome, decide
from .domain.numbering import local_day
from .protocol import Request, dumps, error_response, ok_response
from .store import Commit, Committed, Conflict, Fenced, HallStore

log = logging.getLogger("hall.engine")
COMMIT_ATTEMPTS = 3


class HubFenced(StopLink):
    """A newer hub took this hall: this one stops rather than write over it."""


@dataclass(frozen=True)
class Handled:
    response: bytes
    code: str  # "ok" or the error code
    outcome: Outcome | None = None  # set when the operation was carried out just now
    first_seq: int = 0  # sequence number of the outcome's first event
    duplicate: bool = False  # the request id was seen before: `response` is the stored one
    day_changed: bool = False


class HallEngine:
    def __init__(
        self, config: HallConfig, store: HallStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.state = HallState(config=config, day="")
        # MQTT requests arrive one at a time, HTTP ones alongside: one decision at a time.
        self._lock = asyncio.Lock()

    async def start(self) -> int:
        """Claim the hall (a new epoch) and load it."""
        epoch = await self.store.claim_epoch()
        await self.load(local_day(self.clock(), self.state.tz))
        return epoch

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
        self.state = HallState(
            config=self.config,
            catalogue=catalogue,
            appointments=loaded.appointments,
            day=day,
            tickets=loaded.tickets,
            windows=loaded.windows,
            counters=loaded.counters,
            times=times,
        )

    async def handle(self, device: DeviceConfig, request: Request) -> Handled:
        """Carry out one request exactly once; raises HubFenced when another hub took over."""
        async with self._lock:
            return await self._handle(device, request)

    async def new_day_if_due(self) -> bool:
        """Start the hall's new day at midnight even when no request comes to trigger it."""
        async with self._lock:
            today = local_day(self.clock(), self.state.tz)
            if today == self.state.day:
                return False
            await self.load(today)
            return True

    async def handle_many(self, requests: list[tuple[DeviceConfig, Request]]) -> list[Handled]:
        """Carry out requests that arrived together, with one round trip to the store.

        Group commit: each request is decided against the hall as the ones before it left
        it (applied in memory at once), then all are committed in one pipeline, in order,
        each still by the one atomic script. Repeated ids are found first and go the single
        path, so nothing is decided on a state a duplicate would have changed. Should any
        commit still be refused, the stored hall is reloaded (it is the truth) and the
        refused requests are decided again one by one.
        """
        async with self._lock:
            if len(requests) == 1:
                return [await self._handle(*requests[0])]
            try:
                seen = await self.store.seen([(d.id, r.id) for d, r in requests])
            except (RedisError, OSError):
                seen = [True] * len(requests)  # let the single path report the outage
            batch: list[tuple[DeviceConfig, Request]] = []
            keys: set[tuple[str, str]] = set()
            for (device, request), was_seen in zip(requests, seen, strict=True):
                key = (device.id, request.id)
                if not was_seen and key not in keys:
                    batch.append((device, request))
                    keys.add(key)
            done = await self._commit_together(batch) if len(batch) > 1 else {}
            results: list[Handled] = []
            for device, request in requests:
                key = (device.id, request.id)
                handled = done.pop(key, None)
                results.append(
                    handled if handled is not None else await self._handle(device, request)
                )
            return results

    async def _commit_together(
        self, batch: list[tuple[DeviceConfig, Request]]
    ) -> dict[tuple[str, str], Handled]:
        now = self.clock()
        if local_day(now, self.state.tz) != self.state.day:
            return {}  # the day changes: let the single path start it
        staged: list[tuple[DeviceConfig, Request, Outcome | None, str, Commit]] = []
        for device, request in batch:
            decided = self._decide(device, request, now)
            if decided is None:
                continue  # the single path answers it
            outcome, code, commit = decided
            if outcome is not None:
                self.state.apply(outcome)  # the next request is decided after this one
            staged.append((device, request, outcome, code, commit))
        try:
            results = await self.store.commit_many([s[4] for s in staged])
        except (RedisError, OSError) as exc:
            results = [exc] * len(staged)
        done: dict[tuple[str, str], Handled] = {}
        failed = False
        for (device, request, outcome, code, _commit), result in zip(staged, results, strict=True):
            if isinstance(result, Fenced):
                log.critical("%s; this hub stops", result)
                raise HubFenced(str(result)) from result
            if isinstance(result, Committed) and not result.duplicate:
                done[(device.id, request.id)] = Handled(
                    result.response, code, outcome, result.first_seq
                )
            else:
                failed = True  # refused or not carried out: decided again one by one
        if failed:
            log.warning("a grouped commit was refused; reloading the hall")
            await self.load(self.state.day)
        return done

    async def _handle(self, device: DeviceConfig, request: Request) -> Handled:
        now = self.clock()
        today = local_day(now, self.state.tz)
        day_changed = today != self.state.day
        if day_changed:
            await self.load(today)
        for _attempt in range(COMMIT_ATTEMPTS):
            decided = self._decide(device, request, now)
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
                raise HubFenced(str(exc)) from exc
            except (RedisError, OSError) as exc:
                log.error("store unavailable for %s: %s", request.op, exc)
                return self._internal(request, "store unavailable: retry with the same id")
            if committed.duplicate:
                return Handled(
                    committed.response,
                    _code_of(committed.response),
                    duplicate=True,
                    day_changed=day_changed,
                )
            if outcome is not None:
                self.state.apply(outcome)
            return Handled(
                committed.response, code, outcome, committed.first_seq, day_changed=day_changed
            )
        return self._internal(request, "the hall kept changing: retry with the same id")

    def _decide(
        self, device: DeviceConfig, request: Request, now: float
    ) -> tuple[Outcome | None, str, Commit] | None:
        """The pure core's decision and what to commit for it; None on an unexpected error
        (logged), which is answered `internal` and never stored."""
        outcome: Outcome | None = None
        try:
            outcome = decide(self.state, device, request.op, request.args, now)
            response = ok_response(request.id, outcome.result)
            code = "ok"
        except DomainError as exc:
            response = error_response(request.id, exc.code, exc.message)
            code = exc.code
        except Exception:
            log.exception("operation %s from %s failed", request.op, device.id)
            return None
        commit = Commit(
            device.id,
            request.id,
            dumps(response),
            outcome,
            self.state.day,
            self._learned_times(outcome),
            self._outbox(outcome),
        )
        return outcome, code, commit

    @staticmethod
    def _internal(request: Request, message: str) -> Handled:
        # Not stored: a retry with the same id is carried out normally.
        return Handled(dumps(error_response(request.id, "internal", message)), "internal")

    def _learned_times(self, outcome: Outcome | None) -> ServiceTimes | None:
        if outcome is None or not outcome.learned:
            return None
        preview = copy.deepcopy(self.state.times)
        for service, seconds in outcome.learned:
            preview.learn(service, seconds)
        return preview

    def _outbox(self, outcome: Outcome | None) -> tuple[dict[str, Any], ...]:
        if outcome is None or self.config.portal is None:
            return ()
        entries = [views.case_entry(self.state, t) for t in outcome.ended]
        entries += [views.evaluation_entry(self.state, e) for e in outcome.evaluations]
        return tuple(entries)


def _code_of(response: bytes) -> str:
    try:
        data = json.loads(response)
        return "ok" if data.get("ok") else str(data["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "internal"
