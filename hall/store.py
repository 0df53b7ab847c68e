"""The hall's store: the one module that owns the Redis connection and its scripts.

Every key of a hall shares the hash tag `{hall:<id>}`, so the same script runs unchanged on
Redis Cluster. Every operation is committed by one Lua script (`commit.lua`), loaded once and
called by its SHA: fencing on the hub's epoch, idempotency by (device, request id) for 24 h,
compare-and-set on the records the pure core decided from, the event stream and the outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import redis.asyncio as redis

from .domain.catalogue import Appointment
from .domain.estimate import ServiceTimes
from .domain.hall import Outcome
from .domain.model import Ticket, Window

IDEMPOTENCY_TTL_S = 24 * 3600
EVENTS_MAXLEN = 200_000


class Fenced(Exception):
    """Another hub has claimed this hall (a newer epoch): this one must stop writing."""


class Conflict(Exception):
    """A record changed under the hub since it decided: reload and decide again."""


@dataclass
class Loaded:
    epoch: int
    tickets: dict[str, Ticket] = field(default_factory=dict)
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    times: dict[str, tuple[float, int]] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    catalogue: bytes | None = None  # the live catalogue, when the back office changed it


@dataclass(frozen=True)
class Commit:
    """One operation to commit: what the device is answered and what changes."""

    device: str
    request_id: str
    response: bytes
    outcome: Outcome | None
    day: str
    times: ServiceTimes | None = None
    outbox: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Committed:
    duplicate: bool  # True: the request id was seen before; `response` is what was answered
    response: bytes
    first_seq: int  # sequence number of the first event written (0 when none)


class HallStore:
    def __init__(self, client: redis.Redis, hall_id: str) -> None:
        self.client = client
        self.hall_id = hall_id
        self.tag = f"{{hall:{hall_id}}}"
        self.epoch = 0
        script = resources.files("hall").joinpath("commit.lua").read_text(encoding="utf-8")
        self._commit = client.register_script(script)

    @classmethod
    def from_url(cls, url: str, hall_id: str) -> HallStore:
        # A read timeout above any blocking read (the relay's XREADGROUP waits 2 s) and a
        # health check, so a connection dropped by a firewall is noticed before it is used.
        client = redis.from_url(
            url,
            decode_responses=False,
            socket_timeout=10,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        return cls(client, hall_id)

    # ----- keys ----------------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        return ":".join((self.tag, *parts))

    @property
    def events_key(self) -> str:
        return self.key("events")

    @property
    def outbox_key(self) -> str:
        return self.key("outbox")

    # ----- life ----------------------------------------------------------------------------
    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def claim_epoch(self) -> int:
        """Take the hall for this hub: every later write of an older hub is refused."""
        self.epoch = int(await self.client.incr(self.key("epoch")))
        return self.epoch

    async def close(self) -> None:
        await self.client.aclose()

    async def load(self, day: str, window_ids: tuple[str, ...] = ()) -> Loaded:
        """Everything the hub keeps in memory: the day's tickets and numbering, the windows.

        A configured window the store has never seen is written closed first, so that every
        later change to it is a compare-and-set against what is stored.
        """
        pipe = self.client.pipeline(transaction=False)
        for window_id in window_ids:
            pipe.hsetnx(self.key("windows"), window_id, Window(window_id).to_json())
        pipe.hgetall(self.key("tickets", day))
        pipe.hgetall(self.key("counters", day))
        pipe.hgetall(self.key("windows"))
        pipe.hgetall(self.key("times"))
        pipe.hgetall(self.key("appointments"))
        pipe.hget(self.key("catalogue"), "current")
        results = await pipe.execute()
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
                upgrade.hset(self.key("tickets", day), ticket.no, ticket.to_json())
        for service, n in counters_raw.items():
            loaded.counters[service.decode()] = int(n)
        for raw in windows_raw.values():
            window = Window.from_json(raw)
            loaded.windows[window.id] = window
            if window.to_json().encode() != raw:
                upgrade.hset(self.key("windows"), window.id, window.to_json())
        for service, raw in times_raw.items():
            mean, count = json.loads(raw)
            loaded.times[service.decode()] = (float(mean), int(count))
        for raw in appointments_raw.values():
            appointment = Appointment.from_json(raw)
            if appointment.day >= day:  # earlier days' bookings stay stored, not in memory
                loaded.appointments[appointment.code] = appointment
                if appointment.to_json().encode() != raw:
                    upgrade.hset(self.key("appointments"), appointment.code, appointment.to_json())
        loaded.catalogue = catalogue_raw
        if len(upgrade):
            await upgrade.execute()
        return loaded

    # ----- e-supervision: who acknowledged which alarm (not part of the hall's records) ---------
    @property
    def alarm_acks_key(self) -> str:
        return self.key("alarm_acks")

    async def load_alarm_acks(self) -> dict[str, bytes]:
        """Every stored acknowledgement, by alarm id (the value is the supervisor's JSON)."""
        raw = await self.client.hgetall(self.alarm_acks_key)
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): (
                v if isinstance(v, bytes) else str(v).encode()
            )
            for k, v in raw.items()
        }

    async def put_alarm_ack(self, alarm_id: str, ack_json: str) -> None:
        await self.client.hset(self.alarm_acks_key, alarm_id, ack_json)

    async def drop_alarm_acks(self, alarm_ids: list[str]) -> None:
        if alarm_ids:
            await self.client.hdel(self.alarm_acks_key, *alarm_ids)

    async def put_catalogue(self, catalogue_json: str) -> None:
        """Rewrite the stored catalogue at load (never during operations: they commit)."""
        await self.client.hset(self.key("catalogue"), "current", catalogue_json)

    # ----- the one write path --------------------------------------------------------------
    async def commit(self, commit: Commit) -> Committed:
        """Commit one operation; raises Fenced, Conflict or a RedisError."""
        keys, args = self._script_input(commit)
        return self._result(commit.response, *(await self._commit(keys=keys, args=args)))

    async def commit_many(self, commits: list[Commit]) -> list[Committed | Exception]:
        """Several commits in one round trip, carried out in order (each still atomic).

        Each result is what `commit` would return or raise (Fenced, Conflict, a RedisError).
        """
        pipe = self.client.pipeline(transaction=False)
        for commit in commits:
            keys, args = self._script_input(commit)
            await self._commit(keys=keys, args=args, client=pipe)
        replies = await pipe.execute(raise_on_error=False)
        results: list[Committed | Exception] = []
        for commit, reply in zip(commits, replies, strict=True):
            if isinstance(reply, Exception):
                results.append(reply)
                continue
            try:
                results.append(self._result(commit.response, *reply))
            except (Fenced, Conflict) as exc:
                results.append(exc)
        return results

    async def seen(self, requests: list[tuple[str, str]]) -> list[bool]:
        """Which (device, request id) pairs have a stored response already."""
        pipe = self.client.pipeline(transaction=False)
        for device, request_id in requests:
            pipe.exists(self.key("idem", device, request_id))
        return [bool(n) for n in await pipe.execute()]

    def _result(self, response: bytes, status: bytes | str, detail: Any) -> Committed:
        status = status.decode() if isinstance(status, bytes) else status
        if status == "ok":
            return Committed(False, response, int(detail))
        if status == "dup":
            return Committed(True, detail, 0)
        if status == "fenced":
            raise Fenced(f"hall {self.hall_id} was claimed by a newer hub (epoch {detail!r})")
        raise Conflict(f"record {detail!r} changed under the hub")

    def _script_input(self, commit: Commit) -> tuple[list[str], list[str | bytes]]:
        device, request_id, response = commit.device, commit.request_id, commit.response
        outcome, day, times, outbox = commit.outcome, commit.day, commit.times, commit.outbox
        hashes: list[str] = []
        writes: list[str] = []

        def write(
            hash_key: str, field_name: str, before: str | None, after: str, any_: bool
        ) -> None:
            if hash_key not in hashes:
                hashes.append(hash_key)
            index = 6 + hashes.index(hash_key)
            mode = "a" if any_ else ("n" if before is None else "e")
            writes.extend((str(index), field_name, mode, before or "", after))

        events: list[str] = []
        if outcome is not None:
            tickets_key = self.key("tickets", day)
            for before_t, after_t in outcome.tickets:
                write(
                    tickets_key,
                    after_t.no,
                    before_t.to_json() if before_t else None,
                    after_t.to_json(),
                    False,
                )
            for before_w, after_w in outcome.windows:
                write(
                    self.key("windows"),
                    after_w.id,
                    before_w.to_json() if before_w else None,
                    after_w.to_json(),
                    False,
                )
            if outcome.counter is not None:
                service, old, new = outcome.counter
                write(
                    self.key("counters", day), service, str(old) if old else None, str(new), False
                )
            for before_a, after_a in outcome.appointments:
                write(
                    self.key("appointments"),
                    after_a.code,
                    before_a.to_json() if before_a else None,
                    after_a.to_json(),
                    False,
                )
            if outcome.catalogue is not None:
                before_c, after_c = outcome.catalogue
                # The first change replaces the hall file's catalogue, which is not stored.
                write(
                    self.key("catalogue"),
                    "current",
                    before_c.to_json() if before_c.version else None,
                    after_c.to_json(),
                    False,
                )
            if times is not None:
                for service, _seconds in outcome.learned:
                    if service not in times.means:
                        continue  # nothing learned (an implausible measurement)
                    learned = json.dumps([times.means[service], times.counts[service]])
                    write(self.key("times"), service, None, learned, True)
            events = [
                json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in outcome.events
            ]
        args: list[str | bytes] = [
            str(self.epoch),
            response,
            str(IDEMPOTENCY_TTL_S),
            str(EVENTS_MAXLEN),
            str(len(writes) // 5),
            *writes,
            str(len(events)),
            *events,
            str(len(outbox)),
            *(json.dumps(o, ensure_ascii=False) for o in outbox),
        ]
        keys = [
            self.key("epoch"),
            self.key("idem", device, request_id),
            self.events_key,
            self.key("eventseq"),
            self.outbox_key,
            *hashes,
        ]
        return keys, args
