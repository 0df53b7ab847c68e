"""Reading the outbox streams' entries as redis-py returns them: what the relay takes, and
what the dead-letter stream keeps. Pure: values in, values out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal_link.outbox_port import Taken
from portal_link.policy import stream_id_ms

__all__ = ["DeadEntry", "dead_entry", "taken_entries", "taken_from_stream", "text"]


def text(value: Any) -> str:
    """A value redis-py returned, as text."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _field(fields: dict[Any, Any], name: str) -> Any:
    return fields.get(name.encode(), fields.get(name))


def taken_from_stream(stream_id: Any, fields: dict[Any, Any] | None) -> Taken:
    """An outbox stream entry as the relay takes it."""
    sid = text(stream_id)
    fields = fields or {}
    raw = _field(fields, "entry")
    created = text(_field(fields, "created_ms"))
    return Taken(
        stream_id=sid,
        raw=raw.encode() if isinstance(raw, str) else raw,
        requeued=text(_field(fields, "requeued")) == "1",
        created_ms=int(created) if created.isdigit() else stream_id_ms(sid),
    )


@dataclass(frozen=True)
class DeadEntry:
    stream_id: str  # its id in the dead-letter stream
    kind: str
    key: str
    reason: str
    status: int | None  # the back office's HTTP status, when it answered
    attempts: int
    at: float  # Unix seconds when it was set aside
    entry: bytes  # the outbox entry's JSON, as the hub wrote it
    source_id: str  # its id in the outbox


def taken_entries(reply: Any) -> list[Taken]:
    """The entries of an XREADGROUP reply on the outbox (RESP2: [[stream, entries]])."""
    out: list[Taken] = []
    for _stream, entries in reply or ():
        out.extend(taken_from_stream(sid, fields) for sid, fields in entries)
    return out


def dead_entry(stream_id: Any, fields: dict[Any, Any] | None) -> DeadEntry:
    fields = fields or {}
    status = text(_field(fields, "status"))
    attempts = text(_field(fields, "attempts"))
    at_ms = text(_field(fields, "at_ms"))
    entry = _field(fields, "entry") or b""
    return DeadEntry(
        stream_id=text(stream_id),
        kind=text(_field(fields, "kind")),
        key=text(_field(fields, "key")),
        reason=text(_field(fields, "reason")),
        status=int(status) if status.isdigit() else None,
        attempts=int(attempts) if attempts.isdigit() else 0,
        at=int(at_ms) / 1000 if at_ms.isdigit() else stream_id_ms(text(stream_id)) / 1000,
        entry=entry.encode() if isinstance(entry, str) else entry,
        source_id=text(_field(fields, "source_id")),
    )
