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

__all__ = [
    "PATHS",
    "MalformedEntry",
    "OutboxEntry",
    "Verdict",
    "backoff_delay",
    "classify",
    "parse_entry",
    "parse_retry_after",
    "retry_delay",
    "stream_id_ms",
    "webhook_id",
]

# The back office's resource for each kind of outbox entry, under `[portal] url`.
PATHS: dict[str, str] = {"case": "/cases", "evaluation": "/evaluations"}

Verdict = Literal["delivered", "retry", "refused"]


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

    Kind and case id make it readable; a digest of the body tells apart two entries of one
    kind for one case (a ticket that ended as a no-show, was put back in the queue and ended
    again is two cases with one case id), so the receiver never drops the second as a repeat.
    """
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"msg_{kind}_{key}_{digest}"


def stream_id_ms(stream_id: bytes | str) -> int:
    """The milliseconds part of a Redis stream id (``"1700000000000-0"``): when it was added."""
    text = stream_id.decode("ascii") if isinstance(stream_id, bytes) else stream_id
    return int(text.partition("-")[0])


def classify(status: int) -> Verdict:
    """What an HTTP answer means for the entry.

    2xx: delivered. 408 (timeout) and 429 (too many requests), like every 5xx, say "later".
    Any other 4xx is a refusal that a retry would only repeat: the entry goes to the dead-letter
    stream. Anything else (a redirect, a 1xx) is a misconfiguration an operator can fix, so the
    entry is kept and retried.
    """
    if 200 <= status < 300:
        return "delivered"
    if 400 <= status < 500 and status not in (408, 429):
        return "refused"
    return "retry"


def backoff_delay(attempt: int, base_s: float, cap_s: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].

    ``attempt`` counts failed attempts from 1; ``rand`` returns a float in [0, 1).
    """
    ceiling = min(cap_s, base_s * 2.0 ** min(max(attempt - 1, 0), 60))
    return rand() * ceiling


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
    ``retry_after_cap_s``; everything else backs off exponentially with full jitter.
    """
    if status in (429, 503):
        asked = parse_retry_after(retry_after, now)
        if asked is not None:
            return min(asked, retry_after_cap_s)
    return backoff_delay(attempt, base_s, cap_s, rand)
