"""What the relay decides, without any I/O: entries, message ids, answers, retry delays.

Pure: values in, values out; the relay (`relay.py`) does the Redis and HTTP work around it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from hall.contract.backoff import backoff_delay

__all__ = [
    "PATHS",
    "REFUSED",
    "DeadLetter",
    "MalformedEntry",
    "OutboxEntry",
    "Verdict",
    "cases_to_retry",
    "classify",
    "explains_refusal",
    "parse_entry",
    "parse_retry_after",
    "retry_delay",
    "stream_id_ms",
    "webhook_id",
]

# The back office's resource for each kind of outbox entry, under `[portal] url`.
PATHS: dict[str, str] = {"case": "/cases", "evaluation": "/evaluations"}

Verdict = Literal["delivered", "retry", "refused"]

# How the reason of a dead letter set aside by a permanent refusal begins.
REFUSED = "refused by the back office"
# Statuses that refuse an entry for good when the body says why (see `classify`).
REFUSED_WITH_REASON = (400, 422)
GONE = 410


class MalformedEntry(ValueError):
    """An outbox entry that cannot be sent as it is (not JSON, unknown kind, no key)."""


@dataclass(frozen=True)
class OutboxEntry:
    kind: str  # "case" or "evaluation"
    key: str  # the case id: the entries of one ticket share it
    body: dict[str, Any]

    @property
    def path(self) -> str:
        return PATHS[self.kind]

    @property
    def webhook_id(self) -> str:
        return webhook_id(self.kind, self.key, self.body)

    def body_bytes(self) -> bytes:
        """The request body: compact UTF-8 JSON, the same bytes on every attempt."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_entry(raw: bytes | str) -> OutboxEntry:
    """An outbox entry from its stored JSON ``{"kind", "key", "body"}``."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise MalformedEntry("the entry is not JSON") from exc
    if not isinstance(data, dict):
        raise MalformedEntry("the entry is not a JSON object")
    kind, key, body = data.get("kind"), data.get("key"), data.get("body")
    if kind not in PATHS:
        raise MalformedEntry(f"unknown kind {kind!r}")
    if not isinstance(key, str) or not key:
        raise MalformedEntry("the entry has no key")
    if not isinstance(body, dict):
        raise MalformedEntry("the entry has no body object")
    return OutboxEntry(str(kind), key, body)


def webhook_id(kind: str, key: str, body: dict[str, Any]) -> str:
    """The message id: the same for every attempt at one entry, different between entries.

    Kind and case id make it readable (a no-show put back in the queue is a new case, with a
    case id of its own); a digest of the body tells apart any two entries of one kind for one
    case, so the receiver never drops the second as a repeat.
    """
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"msg_{kind}_{key}_{digest}"


def stream_id_ms(stream_id: bytes | str) -> int:
    """The milliseconds part of a Redis stream id (``"1700000000000-0"``): when it was added."""
    text = stream_id.decode("ascii") if isinstance(stream_id, bytes) else stream_id
    return int(text.partition("-")[0])


def classify(status: int, body: bytes = b"") -> Verdict:
    """What an HTTP answer means for the entry (device-contract.md, section 5 extensions).

    2xx: delivered. Refused for good, into the dead-letter stream: 410 (the back office will
    never take it), and 400 or 422 whose body is a JSON object with an ``error`` member (the
    back office read the entry and says why it will not take it: the same bytes would be
    refused again). Everything else is retried with backoff: 5xx, 408 and 429 say "later";
    401 and 403 (a secret being rotated), 404 and 405 (a URL or a back office being
    redeployed), a 400 from a proxy's error page, a redirect: each is a fault an operator
    fixes, after which the entry goes through unchanged.
    """
    if 200 <= status < 300:
        return "delivered"
    if status == GONE:
        return "refused"
    if status in REFUSED_WITH_REASON and explains_refusal(body):
        return "refused"
    return "retry"


def explains_refusal(body: bytes) -> bool:
    """Whether an answer's body is the contract's refusal: a JSON object with ``error``."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and bool(data.get("error"))


@dataclass(frozen=True)
class DeadLetter:
    """What the relay needs to know of an entry in the dead-letter stream."""

    key: str  # its case id ("" for an entry that could not be read)
    reason: str


def cases_to_retry(dead: list[DeadLetter]) -> list[str]:
    """The case ids whose dead letters may go back to the outbox once the back office
    answers again, oldest first: every case none of whose entries was refused for good.

    An entry that expired while the back office was down, and the entries held behind it,
    are worth another try; a refusal would only be repeated, and the entries held behind a
    refused case stay behind it (per-case order). Unreadable entries stay for an operator.
    """
    refused = {d.key for d in dead if d.reason.startswith(REFUSED) or not d.key}
    cases: list[str] = []
    for letter in dead:
        if letter.key not in refused and letter.key not in cases:
            cases.append(letter.key)
    return cases


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date.

    None when the header is absent or unreadable; never negative.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def retry_delay(
    attempt: int,
    status: int | None,
    retry_after: str | None,
    now: float,
    *,
    base_s: float,
    cap_s: float,
    retry_after_cap_s: float,
    rand: Callable[[], float],
) -> float:
    """How long to wait after failed attempt number ``attempt`` (counted from 1).

    A 429 or 503 with a readable ``Retry-After`` waits what it asks, up to
    ``retry_after_cap_s``; everything else backs off by the one rule of
    `hall.contract.backoff` (exponential, capped, full jitter).
    """
    if status in (429, 503):
        asked = parse_retry_after(retry_after, now)
        if asked is not None:
            return min(asked, retry_after_cap_s)
    return backoff_delay(attempt, base_s, cap_s, rand)
