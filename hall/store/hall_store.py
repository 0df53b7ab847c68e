"""The hall's store: its records in Redis, and the one write path (`commit.lua`).

Every operation is committed by one Lua script, loaded once and called by its SHA: fencing on
the hub's epoch, idempotency by (device, request id) for 24 h, compare-and-set on the records
the pure core decided from, the event stream and the outbox (see commit.py for its input).
A short outage is ridden through (`ride_through.py`: retried for a bounded time, with a fresh
connection); a longer one is raised as `StoreUnavailable`; a newer hub's claim as `Fenced`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeVar

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError

from hall.contract.errors import Conflict, Fenced, StoreUnavailable
from hall.domain.catalogue import Appointment
from hall.domain.model import Ticket, Window
from hall.store.commit import Commit, Committed, script_input
from hall.store.connection import (
    REDIS_FAILURES,
    StoreClient,
    open_redis,
    unavailable_as_store_error,
)
from hall.store.copies import StoredCopies
from hall.store.documents import StoredDocuments
from hall.store.keys import HallKeys
from hall.store.lease import HallLease
from hall.store.login_attempts import LoginAttempts
from hall.store.outbox import Outbox
from hall.store.outbox_history import HistoryOutbox
from hall.store.ride_through import RideThrough, RideThroughTimings
from hall.store.sent_events import StoredSentEvents
from hall.store.sessions import StoredSessions
from hall.store.users import StoredUsers

__all__ = ["Commit", "Committed", "HallStore", "Loaded"]

T = TypeVar("T")


# How long a commit waits for `wait_replicas` replicas before it is ridden through as an outage.
WAIT_TIMEOUT_MS = 1000


class _NotReplicated(ConnectionError):
    """Fewer replicas than `[store] wait_replicas` hold a commit (ridden through as an outage)."""


class _NoEpochHere(ConnectionError):
    """The server reached holds no epoch for the hall at all (see `hall.store.lease.EpochAbsent`):
    ridden through as an outage, never taken for a newer hub's claim."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _epoch_absent(reply: Any) -> bool:
    if not isinstance(reply, (list, tuple)) or len(reply) != 2:
        return False
    status, detail = reply
    return status in (b"fenced", "fenced") and detail in (b"", "")


@dataclass
class Loaded:
    epoch: int
    tickets: dict[str, Ticket] = field(default_factory=dict)
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    times: dict[str, tuple[float, int]] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    catalogue: bytes | None = None  # the live catalogue, when the back office changed it


class HallStore:
    def __init__(
        self,
        client: StoreClient,
        hall_id: str,
        ride: RideThroughTimings | None = None,
        wait_replicas: int = 0,
    ) -> None:
        self.client = client
        self.hall_id = hall_id
        self.wait_replicas = wait_replicas  # see `_replicated`
        self.keys = HallKeys(hall_id)
        self.epoch = 0
        self.ride = RideThrough(client, ride)
        script = resources.files("hall.store").joinpath("commit.lua").read_text(encoding="utf-8")
        self._commit = client.register_script(script)

    @classmethod
    def connect(cls, url: str, hall_id: str, wait_replicas: int = 0) -> HallStore:
        """The store of `hall_id` in the Redis at `url` (connected on first use)."""
        return cls(open_redis(url), hall_id, wait_replicas=wait_replicas)

    def outage_s(self) -> float | None:
        """How long the store has been unreachable; None while it answers."""
        return self.ride.outage_s()

    async def _ridden(self, make: Callable[[], Awaitable[T]]) -> T:
        result, _retried = await self.ride.call(make)
        return result

    def outbox(self) -> Outbox:
        """The hall's outbox streams, on this store's connection (for the relay)."""
        return Outbox(self.client, self.hall_id)

    def history_feed(self) -> HistoryOutbox:
        """The history's consumer group on the outbox stream, on this store's connection."""
        return HistoryOutbox(self.client, self.hall_id)

    def login_attempts(self) -> LoginAttempts:
        """Failed sign-ins by account and by address, on this store's connection."""
        return LoginAttempts(self.client, self.keys)

    def lease(self, token: str, lease_s: float) -> HallLease:
        """The hall's lease for the hub process named `token` (which hub is active)."""
        return HallLease(self.client, self.keys, token, lease_s)

    def sessions(self) -> StoredSessions:
        """The dashboard's sign-in sessions, on this store's connection."""
        return StoredSessions(self.client, self.hall_id)

    def users(self) -> StoredUsers:
        """The hall's staff accounts and their audit stream, on this store's connection."""
        return StoredUsers(self.client, self.keys)

    def sent_events(self) -> StoredSentEvents:
        """How far the broker surely has the hall's events, and the events after that."""
        return StoredSentEvents(self.client, self.keys)

    def copies(self) -> StoredCopies:
        """The records of copies waiting for a window's printer."""
        return StoredCopies(self.client, self.keys)

    def documents(self) -> StoredDocuments:
        """The records of the pages captured at the windows, on this store's connection."""
        return StoredDocuments(self.client, self.keys)

    # ----- life ----------------------------------------------------------------------------
    async def ping(self) -> bool:
        with unavailable_as_store_error():
            return bool(await self.client.ping())

    async def claim_epoch(self) -> int:
        """Take the hall for this hub: every later write of an older hub is refused.

        A hub run by `hall run` claims its epoch with the lease instead (`lease().acquire()`,
        then `adopt_epoch`), only once it holds the lease and can serve."""
        with unavailable_as_store_error():
            self.epoch = int(await self.client.incr(self.keys.epoch))
        return self.epoch

    def adopt_epoch(self, epoch: int) -> None:
        """Write as the hub of `epoch`, claimed with the lease."""
        self.epoch = epoch

    async def close(self) -> None:
        await self.client.aclose()

    async def load(self, day: str, window_ids: tuple[str, ...] = ()) -> Loaded:
        """Everything the hub keeps in memory: the day's tickets and numbering, the windows.

        A configured window the store has never seen is written closed first, so that every
        later change to it is a compare-and-set against what is stored.
        """
        keys = self.keys

        async def read() -> Any:
            pipe = self.client.pipeline(transaction=False)
            for window_id in window_ids:
                pipe.hsetnx(keys.windows, window_id, Window(window_id).to_json())
            pipe.hgetall(keys.tickets(day))
            pipe.hgetall(keys.counters(day))
            pipe.hgetall(keys.windows)
            pipe.hgetall(keys.times)
            pipe.hgetall(keys.appointments)
            pipe.hget(keys.catalogue, "current")
            return await pipe.execute()

        results = await self._ridden(read)
        tickets_raw, counters_raw, windows_raw, times_raw, appointments_raw, catalogue_raw = (
            results[len(window_ids) :]
        )
        loaded = Loaded(epoch=self.epoch)
        # Records written by an older version lack newer fields; rewrite them in today's shape
        # so that every later compare-and-set compares like with like.
        upgrade = self.client.pipeline(transaction=False)
        for raw in tickets_raw.values():
            ticket = Ticket.from_json(raw)
            loaded.tickets[ticket.no] = ticket
            if ticket.to_json().encode() != raw:
                upgrade.hset(keys.tickets(day), ticket.no, ticket.to_json())
        for service, n in counters_raw.items():
            loaded.counters[service.decode()] = int(n)
        for raw in windows_raw.values():
            window = Window.from_json(raw)
            loaded.windows[window.id] = window
            if window.to_json().encode() != raw:
                upgrade.hset(keys.windows, window.id, window.to_json())
        for service, raw in times_raw.items():
            mean, count = json.loads(raw)
            loaded.times[service.decode()] = (float(mean), int(count))
        for raw in appointments_raw.values():
            appointment = Appointment.from_json(raw)
            if appointment.day >= day:  # earlier days' bookings stay stored, not in memory
                loaded.appointments[appointment.code] = appointment
                if appointment.to_json().encode() != raw:
                    upgrade.hset(keys.appointments, appointment.code, appointment.to_json())
        loaded.catalogue = catalogue_raw
        if len(upgrade):
            await self._ridden(upgrade.execute)
        return loaded

    async def load_learned(self) -> bytes | None:
        """The stored snapshot of what the wait estimate learned (None: none yet)."""
        raw = await self._ridden(lambda: self.client.get(self.keys.learned))
        return raw.encode() if isinstance(raw, str) else raw

    async def put_learned(self, snapshot_json: str) -> None:
        """Keep what the wait estimate learned (outside the commit: it is no record of the
        hall, and the newest snapshot simply replaces the one before)."""
        await self._ridden(lambda: self.client.set(self.keys.learned, snapshot_json))

    async def put_catalogue(self, catalogue_json: str) -> None:
        """Rewrite the stored catalogue at load (never during operations: they commit)."""
        await self._ridden(lambda: self.client.hset(self.keys.catalogue, "current", catalogue_json))

    async def settings_audit(self, count: int = 100) -> list[dict[str, Any]]:
        """The newest `count` settings changes (who, what, when, before, after), newest first."""
        raw = await self._ridden(lambda: self.client.hvals(self.keys.settings_audit))
        entries = [json.loads(value) for value in raw]
        entries.sort(key=lambda entry: int(entry.get("version", 0)), reverse=True)
        return entries[:count]

    # ----- e-supervision: who acknowledged which alarm (not part of the hall's records) ---------
    async def load_alarm_acks(self) -> dict[str, bytes]:
        """Every stored acknowledgement, by alarm id (the value is the supervisor's JSON)."""
        raw = await self._ridden(lambda: self.client.hgetall(self.keys.alarm_acks))
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): (
                v if isinstance(v, bytes) else str(v).encode()
            )
            for k, v in raw.items()
        }

    async def sealing_secret(self, candidate: bytes) -> bytes:
        """The hall's secret key for sealed ID numbers: `candidate` stored if there is none
        yet (set if absent, so every hub of the hall ends up with the same one)."""
        with unavailable_as_store_error():
            await self.client.set(self.keys.sealing_key, candidate, nx=True)
            stored = await self.client.get(self.keys.sealing_key)
        return stored if isinstance(stored, bytes) else candidate

    async def put_alarm_ack(self, alarm_id: str, ack_json: str) -> None:
        await self._ridden(lambda: self.client.hset(self.keys.alarm_acks, alarm_id, ack_json))

    async def drop_alarm_acks(self, alarm_ids: list[str]) -> None:
        if alarm_ids:
            await self._ridden(lambda: self.client.hdel(self.keys.alarm_acks, *alarm_ids))

    async def put_presence(self, changes: dict[str, tuple[bool, float]]) -> None:
        """Keep when each device's presence last changed: device -> (online, at)."""
        if changes:
            mapping: dict[Any, Any] = {
                d: json.dumps({"online": up, "at": at}) for d, (up, at) in changes.items()
            }
            await self._ridden(lambda: self.client.hset(self.keys.presence, mapping=mapping))

    async def load_presence(self) -> dict[str, tuple[bool, float]]:
        """The kept presence changes (an unreadable entry is left out)."""
        raw = await self._ridden(lambda: self.client.hgetall(self.keys.presence))
        out: dict[str, tuple[bool, float]] = {}
        for key, value in raw.items():
            with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                data = json.loads(value)
                device = key.decode() if isinstance(key, bytes) else str(key)
                out[device] = (bool(data["online"]), float(data["at"]))
        return out

    # ----- the one write path --------------------------------------------------------------
    async def commit(self, commit: Commit) -> Committed:
        """Commit one operation; raises Fenced, Conflict or StoreUnavailable.

        Sent again through a short outage (`Committed.retried`): the script stores its answer
        under the request id atomically, so an attempt whose reply was lost comes back as a
        repeat, never as a second commit. A group of one (`commit_many`), so that both ride
        the same checks: NOSCRIPT, a server without the epoch, `wait_replicas`.
        """
        (result,) = await self.commit_many([commit])
        if isinstance(result, Exception):
            raise result
        return result

    async def commit_many(self, commits: list[Commit]) -> list[Committed | Exception]:
        """Several commits in one round trip, carried out in order (each still atomic).

        Each result is what `commit` would return or raise (Fenced, Conflict,
        StoreUnavailable); the whole call raises StoreUnavailable when Redis is unreachable.
        """
        now_ms = _now_ms()
        inputs = [script_input(self.keys, self.epoch, commit, now_ms) for commit in commits]

        async def send() -> list[Any]:
            replies = await self._run_pipelined(inputs)
            missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if missing:
                # A server that has not seen the script yet (a cluster node, a master newly
                # promoted by the sentinels) ran none of those commits: load it, run them again.
                self._commit.sha = await self.client.script_load(self._commit.script)
                again = await self._run_pipelined([inputs[i] for i in missing])
                for i, reply in zip(missing, again, strict=True):
                    replies[i] = reply
            if any(_epoch_absent(reply) for reply in replies):
                # Those carried out before it come back as this hub's own repeats.
                raise _NoEpochHere(f"the store holds no epoch for hall {self.hall_id}")
            return replies

        replies, retried = await self.ride.call(send, bounded=True)
        results: list[Committed | Exception] = []
        for commit, reply in zip(commits, replies, strict=True):
            if isinstance(reply, REDIS_FAILURES):
                results.append(StoreUnavailable(f"{type(reply).__name__}: {reply}"))
                continue
            try:
                results.append(self._result(commit.response, *reply, retried=retried))
            except (Fenced, Conflict) as exc:
                results.append(exc)
        return results

    async def _run_pipelined(self, inputs: list[tuple[list[str], list[str | bytes]]]) -> list[Any]:
        """The commit script once per (keys, args), in one pipeline; errors as replies."""
        if isinstance(self.client, RedisCluster):
            return await self._run_on_cluster(inputs)
        pipe = self.client.pipeline(transaction=False)
        for keys, args in inputs:
            pipe.evalsha(self._commit.sha, len(keys), *keys, *args)
        if self.wait_replicas:
            pipe.execute_command("WAIT", self.wait_replicas, WAIT_TIMEOUT_MS)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
        if self.wait_replicas:
            self._replicated(replies.pop())
        return replies

    async def _run_on_cluster(self, inputs: list[tuple[list[str], list[str | bytes]]]) -> list[Any]:
        """As `_run_pipelined`, on a Redis Cluster, whose client pipelines no script: one
        after another, in order, each routed to the node of the hall's slot."""
        replies: list[Any] = []
        for keys, args in inputs:
            try:
                replies.append(await self.client.evalsha(self._commit.sha, len(keys), *keys, *args))
            except ResponseError as exc:  # NOSCRIPT, a script error: a reply, as in a pipeline
                replies.append(exc)
        return replies

    def _replicated(self, acknowledged: Any) -> None:
        """With `wait_replicas`, a commit counts only once that many replicas hold it: a
        master the sentinels are replacing may still take writes its successor never gets.
        The script writes even when it answers a repeat, so a repeat waits for the first
        attempt's writes too. Short of replicas, the commits are ridden through as an
        outage (then `unavailable`): a device's retry gets the stored answer once replicated,
        or, after a failover that lost it, a first answer from the new master."""
        if isinstance(acknowledged, Exception) or int(acknowledged) < self.wait_replicas:
            raise _NotReplicated(
                f"{acknowledged} of the {self.wait_replicas} replicas [store] wait_replicas "
                f"asks for hold the commit after {WAIT_TIMEOUT_MS} ms"
            )

    async def recently_answered(self) -> list[tuple[str, str]]:
        """The (device, request id) pairs answered in the last `ANSWERED_KEEP_MS`, oldest
        first (raises StoreUnavailable)."""
        entries = await self._ridden(lambda: self.client.zrange(self.keys.answered, 0, -1))
        answered: list[tuple[str, str]] = []
        for member in entries:
            text = member.decode() if isinstance(member, bytes) else str(member)
            device, request_id = json.loads(text)
            answered.append((str(device), str(request_id)))
        return answered

    async def seen(self, requests: list[tuple[str, str]]) -> list[bool]:
        """Which (device, request id) pairs have a stored response already."""

        async def read() -> Any:
            pipe = self.client.pipeline(transaction=False)
            for device, request_id in requests:
                pipe.exists(self.keys.idempotency(device, request_id))
            return await pipe.execute()

        return [bool(n) for n in await self._ridden(read)]

    def _result(
        self, response: bytes, status: bytes | str, detail: Any, *, retried: bool = False
    ) -> Committed:
        status = status.decode() if isinstance(status, bytes) else status
        if status == "ok":
            return Committed(False, response, int(detail))
        if status == "dup":
            return Committed(True, detail, 0, retried=retried)
        if status == "fenced":
            raise Fenced(f"hall {self.hall_id} was claimed by a newer hub (epoch {detail!r})")
        raise Conflict(f"record {detail!r} changed under the hub")
