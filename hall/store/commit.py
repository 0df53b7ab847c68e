"""What one operation commits, and how it becomes the input of `commit.lua`.

The script gets its keys (KEYS[1..6] fixed, then every hash it writes) and four arguments:
the epoch, the response, how long the response is kept (a day when the operation changed
something, a minute otherwise), and the rest in one JSON object: the writes (each: hash
index, field, mode, value before, value after), the events, the outbox entries, the events'
stream cap, the time, the request's entry in the answered index and how long and how many
entries that index keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hall.domain.compact import compact_json
from hall.domain.estimate import ServiceTimes
from hall.domain.events import event_json
from hall.domain.hall import Outcome
from hall.store.keys import HallKeys

__all__ = [
    "ANSWERED_KEEP_MAX",
    "ANSWERED_KEEP_MS",
    "ANSWER_TTL_S",
    "EVENTS_MAXLEN",
    "IDEMPOTENCY_TTL_S",
    "SETTINGS_AUDIT_KEEP",
    "Commit",
    "Committed",
    "answered_member",
    "script_input",
]

# The answer to a request that changed something is kept a day: a repeat is never carried out
# twice. A refusal, or an answer that changed nothing (`ticket.status`), is kept only long
# enough for a QoS 1 duplicate or a device's own retries to get the same answer; after that a
# repeat is decided again. So a flood of refused requests costs the store next to nothing.
IDEMPOTENCY_TTL_S = 24 * 3600
ANSWER_TTL_S = 60
EVENTS_MAXLEN = 200_000
FIXED_KEYS = 6  # epoch, idempotency, events, event sequence, outbox, answered index
# The answered index keeps each request this long: past it, a hub that took the hall trusts
# its own memory of what was answered (`hall/hub/recent_requests.py`), and a later repeat is
# still found by the script itself. A busy hall's few minutes: tens of thousands of entries.
ANSWERED_KEEP_MS = 180_000
ANSWERED_KEEP_MAX = 100_000  # and at most this many (about 10 MiB), whatever the rate
SETTINGS_AUDIT_KEEP = 500  # settings changes kept in the audit (a ring of catalogue versions)


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
    # Sent again after a lost connection: a duplicate may be this hub's own earlier attempt,
    # carried out but never answered, so the hall in memory may lag behind the store.
    retried: bool = False


class _Writes:
    """The compare-and-set writes of one commit, with the hashes they touch."""

    def __init__(self) -> None:
        self.hashes: list[str] = []
        self.values: list[tuple[int, str, str, str, str]] = []

    def add(self, hash_key: str, field_name: str, before: str | None, after: str) -> None:
        """Write `after` if the field holds `before` (None: the field must not exist)."""
        self._add(hash_key, field_name, "n" if before is None else "e", before or "", after)

    def overwrite(self, hash_key: str, field_name: str, after: str) -> None:
        self._add(hash_key, field_name, "a", "", after)

    def _add(self, hash_key: str, field_name: str, mode: str, before: str, after: str) -> None:
        if hash_key not in self.hashes:
            self.hashes.append(hash_key)
        index = FIXED_KEYS + 1 + self.hashes.index(hash_key)
        self.values.append((index, field_name, mode, before, after))


def _record_writes(keys: HallKeys, outcome: Outcome, commit: Commit) -> _Writes:
    writes = _Writes()
    for before_t, after_t in outcome.tickets:
        before = before_t.to_json() if before_t else None
        writes.add(keys.tickets(commit.day), after_t.no, before, after_t.to_json())
    for before_w, after_w in outcome.windows:
        before = before_w.to_json() if before_w else None
        writes.add(keys.windows, after_w.id, before, after_w.to_json())
    if outcome.counter is not None:
        service, old, new = outcome.counter
        writes.add(keys.counters(commit.day), service, str(old) if old else None, str(new))
    for before_a, after_a in outcome.appointments:
        before = before_a.to_json() if before_a else None
        writes.add(keys.appointments, after_a.code, before, after_a.to_json())
    if outcome.catalogue is not None:
        before_c, after_c = outcome.catalogue
        # The first change replaces the hall file's catalogue, which is not stored.
        before = before_c.to_json() if before_c.version else None
        writes.add(keys.catalogue, "current", before, after_c.to_json())
        if outcome.audit is not None:
            # Who changed what, before and after: written with the change, or not at all.
            slot = str(after_c.version % SETTINGS_AUDIT_KEEP)
            entry = compact_json(outcome.audit)
            writes.overwrite(keys.settings_audit, slot, entry)
    times = commit.times
    if times is not None:
        for service, _seconds in outcome.learned:
            if service not in times.means:
                continue  # nothing learned (an implausible measurement)
            learned = json.dumps([times.means[service], times.counts[service]])
            writes.overwrite(keys.times, service, learned)
    return writes


def answered_member(device: str, request_id: str) -> str:
    """A request's entry in the answered index (JSON: no pair of ids can collide)."""
    return compact_json([device, request_id])


def script_input(
    keys: HallKeys, epoch: int, commit: Commit, now_ms: int
) -> tuple[list[str], list[str | bytes]]:
    """The KEYS and ARGV of `commit.lua` for one commit by the hub of `epoch`, at `now_ms`
    (wall-clock milliseconds)."""
    outcome = commit.outcome
    writes = _record_writes(keys, outcome, commit) if outcome is not None else _Writes()
    events = [event_json(e) for e in (outcome.events if outcome is not None else ())]
    changed = bool(writes.values or events or commit.outbox)
    rest = {
        "w": writes.values,
        "e": events,
        "o": [json.dumps(o, ensure_ascii=False) for o in commit.outbox],
        "m": EVENTS_MAXLEN,
        "t": now_ms,
        "a": answered_member(commit.device, commit.request_id),
        "k": ANSWERED_KEEP_MS,
        "x": ANSWERED_KEEP_MAX,
    }
    args: list[str | bytes] = [
        str(epoch),
        commit.response,
        str(IDEMPOTENCY_TTL_S if changed else ANSWER_TTL_S),
        compact_json(rest),
    ]
    script_keys = [
        keys.epoch,
        keys.idempotency(commit.device, commit.request_id),
        keys.events,
        keys.event_seq,
        keys.outbox,
        keys.answered,
        *writes.hashes,
    ]
    return script_keys, args
