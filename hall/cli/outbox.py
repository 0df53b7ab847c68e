"""``hall outbox status|dead|retry --config PATH``: the back-office outbox, for the hall's IT staff.

- ``status``: entries not yet accepted by the back office, the oldest one's age, dead letters;
- ``dead``: the dead-letter stream: kind, case id, reason, attempts and when, oldest first;
- ``retry [--key CASE_ID]``: put dead entries (all, or one case's) back into the outbox, in one
  transaction; the running hub sends them again, with their original webhook-id.

It talks to the hall's Redis (``[store] url``). A hall on the embedded Redis is reachable only
while its hub is stopped (the hub holds the data folder); stop it, run the command, start it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hall.contract.errors import StoreUnavailable
from hall.domain.config import HallConfig
from hall.store.outbox import DeadEntry, Outbox
from portal_link.outbox_port import OutboxStats

__all__ = ["ACTIONS", "outbox_command", "run_outbox_command"]

ACTIONS = ("status", "dead", "retry")


class AdminError(RuntimeError):
    """The command cannot run; the message says what to do."""


@asynccontextmanager
async def _outbox(config: HallConfig) -> AsyncIterator[Outbox]:
    if config.store.url is not None:
        outbox = Outbox.connect(config.store.url, config.hall.id)
        try:
            yield outbox
        finally:
            await outbox.close()
        return
    from hall.hub.embedded import EmbeddedError, embedded_redis

    try:
        async with embedded_redis(config.store.path) as url:
            outbox = Outbox.connect(url, config.hall.id)
            try:
                yield outbox
            finally:
                await outbox.close()
    except EmbeddedError as exc:
        raise AdminError(
            f"{exc} (`hall outbox` reaches the embedded Redis only while the hub is stopped; "
            "a hall with its own Redis server, [store] url, can be looked at any time)"
        ) from exc


def _safe_url(url: str) -> str:
    """A URL without its user and password, for messages."""
    if "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    host = rest.rpartition("@")[2]
    return f"{scheme}://***@{host}" if sep else f"***@{host}"


def _when(seconds: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(seconds, tz).isoformat(timespec="seconds")


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _status_text(config: HallConfig, stats: OutboxStats, now: float, tz: ZoneInfo) -> str:
    lines = [f"hall {config.hall.id}: back-office outbox"]
    if config.portal is None:
        lines.append("  no [portal] in the configuration: nothing is relayed")
    else:
        lines.append(f"  back office: {config.portal.url}")
    being_sent = f" ({stats.pending} being sent)" if stats.pending else ""
    lines.append(f"  backlog: {stats.backlog} not yet accepted{being_sent}")
    if stats.oldest_ms is not None:
        added = stats.oldest_ms / 1000
        lines.append(f"  oldest: {_age(now - added)} old (added {_when(added, tz)})")
    else:
        lines.append("  oldest: -")
    hint = " (see `hall outbox dead`)" if stats.dead else ""
    lines.append(f"  dead letters: {stats.dead}{hint}")
    return "\n".join(lines)


def _dead_json(entry: DeadEntry) -> dict[str, Any]:
    try:
        body = json.loads(entry.entry).get("body")
    except (ValueError, AttributeError):
        body = None
    return {
        "id": entry.stream_id,
        "kind": entry.kind,
        "key": entry.key,
        "reason": entry.reason,
        "status": entry.status,
        "attempts": entry.attempts,
        "at": entry.at,
        "body": body,
    }


def _dead_text(entries: list[DeadEntry], tz: ZoneInfo) -> str:
    if not entries:
        return "no dead letters"
    lines = []
    for e in entries:
        status = f"HTTP {e.status}" if e.status is not None else "no HTTP status"
        lines.append(
            f"{_when(e.at, tz)}  {e.kind or '-'} {e.key or '-'}  attempts {e.attempts}, "
            f"{status}: {e.reason}"
        )
    lines.append(f"{len(entries)} dead letters; `hall outbox retry [--key CASE_ID]` sends again")
    return "\n".join(lines)


async def outbox_command(
    config: HallConfig,
    action: str,
    *,
    key: str | None = None,
    as_json: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Carry out one ``hall outbox`` action; returns the exit status."""
    tz = ZoneInfo(config.hall.timezone)
    async with _outbox(config) as outbox:
        now = await outbox.server_time()
        if action == "status":
            stats = await outbox.stats()
            if as_json:
                age = None if stats.oldest_ms is None else max(0.0, now - stats.oldest_ms / 1000)
                data = {**stats.__dict__, "oldest_age_s": age}
                print(json.dumps(data), file=out)
            else:
                print(_status_text(config, stats, now, tz), file=out)
            return 0
        if action == "dead":
            entries = await outbox.dead_entries(key)
            if as_json:
                print(json.dumps([_dead_json(e) for e in entries], ensure_ascii=False), file=out)
            else:
                print(_dead_text(entries, tz), file=out)
            return 0
        if action == "retry":
            moved = await outbox.retry(key)
            if as_json:
                print(json.dumps({"retried": moved}), file=out)
            elif moved:
                print(f"put {moved} entries back into the outbox; the hub sends them", file=out)
            else:
                which = f" of case {key}" if key else ""
                print(f"no dead letters{which} to retry", file=out)
            return 0 if moved or key is None else 1
    raise AdminError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")


def run_outbox_command(
    config: HallConfig, action: str, *, key: str | None = None, as_json: bool = False
) -> int:
    """The ``hall outbox`` command: runs the action, reports problems as one line."""
    try:
        return asyncio.run(outbox_command(config, action, key=key, as_json=as_json))
    except AdminError as exc:
        print(f"hall outbox: {exc}", file=sys.stderr)
        return 1
    except (StoreUnavailable, OSError) as exc:
        where = _safe_url(config.store.url) if config.store.url else "the embedded Redis"
        print(f"hall outbox: cannot reach Redis ({where}): {exc}", file=sys.stderr)
        return 1
