"""A reference back office: what a hall's hub talks to, for trying the portal link and for tests.

    python -m portal_link.reference --port 9000 --secret whsec_... [--db cases.sqlite]

and in the hall file ``[portal] url = "http://127.0.0.1:9000/hall-api"`` with the same secret
(any path prefix works: it answers ``POST <anything>/cases`` and ``<anything>/evaluations``).

It does what a real back office must: checks every request's Standard Webhooks signature and
timestamp (401 with the reason otherwise, so a replayed old request is refused), stores each
``webhook-id`` once (a repeat answers 200 and stores nothing new), and keeps cases and
evaluations in SQLite. It shows them at ``/`` (an HTML table, staff ids masked) and as JSON at
``/api/cases`` and ``/api/evaluations``; ``/api/stats`` counts requests by what became of them,
``/api/requests`` lists the latest requests in arrival order.

A case that carries `documents` (pages captured at the window) has each page fetched once
from its signed link, its SHA-256 checked against the case's, and its receipt confirmed (a
DELETE on the same link, after which the hub deletes the page); what became of each is
listed at ``/api/documents`` (`received_sha256`, `verified`, `confirmed`), never the content.

For tests and demonstrations it can misbehave (``--fail-mode``, or at run time
``POST /_control {"mode": ...}``): ``503`` answers Service Unavailable (with ``Retry-After``
when ``--retry-after``/``"retry_after"`` is set), ``timeout`` answers nothing until the mode
changes, ``400`` refuses every valid request, ``hold`` stores a request and then answers only
when the mode changes (a back office that is slow to confirm), ``ok`` (or ``none``) behaves.
The control endpoint has no authentication: keep the server on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from portal_link.webhooks import DEFAULT_TOLERANCE_S, SignatureError, secret_key, verify

__all__ = ["MODES", "BackOffice", "main", "make_app"]

MODES = ("ok", "503", "timeout", "400", "hold")
REQUIRED = {
    "cases": ("case_id", "hall", "ticket", "service", "outcome"),
    "evaluations": ("case_id", "hall", "ticket", "level"),
}
KINDS = {"cases": "case", "evaluations": "evaluation"}
LOG_SIZE = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_kind ON deliveries (kind, seq);
"""


@dataclass
class Stats:
    received: int = 0  # every POST to /cases or /evaluations
    stored: int = 0  # new webhook-ids stored
    duplicates: int = 0  # repeated webhook-ids (answered 200, nothing stored)
    rejected: int = 0  # bad or missing signature, or a timestamp out of tolerance (401)
    invalid: int = 0  # signed, but not a usable case or evaluation (400)
    refused: int = 0  # refused on purpose in mode 400
    unavailable: int = 0  # answered 503 on purpose
    timeouts: int = 0  # left unanswered on purpose (mode timeout)
    held: int = 0  # stored, answer held back (mode hold)


@dataclass
class Store:
    """The SQLite file; one connection, used from worker threads one at a time."""

    path: str
    conn: sqlite3.Connection = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.conn = sqlite3.connect(self.path, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.executescript(_SCHEMA)

    def add(self, webhook_id: str, kind: str, case_id: str, body: str, at: float) -> bool:
        """Store a delivery; False when its webhook-id was stored before."""
        with self.lock, self.conn:
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO deliveries (webhook_id, kind, case_id, received_at, body)"
                " VALUES (?, ?, ?, ?, ?)",
                (webhook_id, kind, case_id, at, body),
            )
            return cursor.rowcount == 1

    def list(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT seq, webhook_id, received_at, body FROM deliveries"
                " WHERE kind = ? ORDER BY seq",
                (kind,),
            ).fetchall()
        return [
            {
                "seq": row["seq"],
                "webhook_id": row["webhook_id"],
                "received_at": row["received_at"],
                **json.loads(row["body"]),
            }
            for row in rows
        ]

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class BackOffice:
    def __init__(
        self,
        secret: str,
        db_path: str = ":memory:",
        *,
        mode: str = "ok",
        retry_after: str | None = None,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        wait_cap_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        secret_key(secret)  # refuse a malformed secret at start
        self.secret = secret
        self.store = Store(db_path)
        self.mode = _mode(mode)
        self.retry_after = retry_after
        self.tolerance_s = tolerance_s
        self.wait_cap_s = wait_cap_s  # longest a timeout or hold answer is kept back
        self.clock = clock
        self.stats = Stats()
        self.requests: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._changed = asyncio.Event()
        self.documents: list[dict[str, Any]] = []  # each page of a case, as it was fetched
        self.documents_changed = asyncio.Event()  # set on every page fetched
        self._fetches: set[asyncio.Task[None]] = set()

    # ----- the pages a case links ----------------------------------------------------------
    def _fetch_documents(self, case_id: str, documents: object) -> None:
        """Fetch a new case's pages beside the answer (the hub waits for no page)."""
        if not isinstance(documents, list) or not documents:
            return
        task = asyncio.create_task(self._fetch_all(case_id, documents))
        self._fetches.add(task)
        task.add_done_callback(self._fetches.discard)

    async def _fetch_all(self, case_id: str, documents: list[Any]) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for document in documents:
                record = await _fetch_one(session, case_id, document)
                self.documents.append(record)
                changed, self.documents_changed = self.documents_changed, asyncio.Event()
                changed.set()

    async def close(self) -> None:
        for task in list(self._fetches):
            task.cancel()
        await asyncio.gather(*self._fetches, return_exceptions=True)

    def set_mode(self, mode: str, retry_after: str | None = None) -> None:
        self.mode = _mode(mode)
        self.retry_after = retry_after
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # wake the requests kept waiting by `timeout` and `hold`

    async def _wait_while(self, mode: str) -> None:
        deadline = time.monotonic() + self.wait_cap_s
        while self.mode == mode and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                return

    def _log(self, request: web.Request, status: int, outcome: str) -> None:
        self.requests.append(
            {
                "at": self.clock(),
                "path": request.path,
                "webhook_id": request.headers.get("webhook-id"),
                "status": status,
                "outcome": outcome,
            }
        )

    # ----- the hall API --------------------------------------------------------------------
    async def receive(self, request: web.Request) -> web.StreamResponse:
        resource = request.path.rstrip("/").rpartition("/")[2]
        if resource not in KINDS:
            raise web.HTTPNotFound(text="POST <prefix>/cases or <prefix>/evaluations\n")
        body = await request.read()
        self.stats.received += 1
        mode = self.mode
        if mode == "503":
            self.stats.unavailable += 1
            self._log(request, 503, "unavailable")
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return _error(503, "back office unavailable (mode 503)", headers)
        if mode == "timeout":
            self.stats.timeouts += 1
            self._log(request, 504, "timeout")
            await self._wait_while("timeout")
            return _error(504, "no answer in time (mode timeout)")
        try:
            webhook_id = verify(
                self.secret, request.headers, body, self.tolerance_s, now=self.clock()
            )
        except SignatureError as exc:
            self.stats.rejected += 1
            self._log(request, 401, "rejected")
            return _error(401, f"signature refused: {exc}")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        missing = [k for k in REQUIRED[resource] if not isinstance(data, dict) or k not in data]
        if missing:
            self.stats.invalid += 1
            self._log(request, 400, "invalid")
            return _error(400, f"not a usable {KINDS[resource]}: missing {', '.join(missing)}")
        if mode == "400":
            self.stats.refused += 1
            self._log(request, 400, "refused")
            return _error(400, "refused (mode 400)")
        assert isinstance(data, dict)
        stored = await asyncio.to_thread(
            self.store.add,
            webhook_id,
            KINDS[resource],
            str(data["case_id"]),
            json.dumps(data, ensure_ascii=False),
            self.clock(),
        )
        if stored:
            self.stats.stored += 1
            if resource == "cases":
                self._fetch_documents(str(data["case_id"]), data.get("documents"))
        else:
            self.stats.duplicates += 1
        outcome = "stored" if stored else "duplicate"
        if mode == "hold":
            self.stats.held += 1
            self._log(request, 200, f"{outcome}, held")
            await self._wait_while("hold")
        else:
            self._log(request, 200, outcome)
        return web.json_response({"ok": True, "duplicate": not stored})

    # ----- looking at what arrived ---------------------------------------------------------
    async def api_list(self, request: web.Request) -> web.Response:
        kind = KINDS[request.match_info["resource"]]
        rows = await asyncio.to_thread(self.store.list, kind)
        return web.json_response(rows, dumps=_dumps)

    async def api_documents(self, request: web.Request) -> web.Response:
        return web.json_response(self.documents, dumps=_dumps)

    async def api_stats(self, request: web.Request) -> web.Response:
        return web.json_response({**self.stats.__dict__, "mode": self.mode})

    async def api_requests(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.requests), dumps=_dumps)

    async def control(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            mode = str(data["mode"])
            retry_after = data.get("retry_after")
            self.set_mode(mode, None if retry_after is None else str(retry_after))
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, f'expected {{"mode": one of {", ".join(MODES)}}}: {exc}')
        return web.json_response({"mode": self.mode, "retry_after": self.retry_after})

    async def page(self, request: web.Request) -> web.Response:
        cases = await asyncio.to_thread(self.store.list, "case")
        evaluations = await asyncio.to_thread(self.store.list, "evaluation")
        return web.Response(text=_page(cases, evaluations, self.stats), content_type="text/html")


def make_app(office: BackOffice) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)
    app.router.add_get("/", office.page)
    app.router.add_get("/api/stats", office.api_stats)
    app.router.add_get("/api/requests", office.api_requests)
    app.router.add_get("/api/{resource:cases|evaluations}", office.api_list)
    app.router.add_get("/api/documents", office.api_documents)
    app.router.add_post("/_control", office.control)
    app.router.add_post("/{path:.*}", office.receive)

    async def release(_app: web.Application) -> None:
        office.set_mode("ok")  # answer the requests still kept waiting, then stop

    async def close(_app: web.Application) -> None:
        await office.close()
        office.store.close()

    app.on_shutdown.append(release)
    app.on_cleanup.append(close)
    return app


async def _fetch_one(
    session: aiohttp.ClientSession, case_id: str, document: object
) -> dict[str, Any]:
    """Fetch one linked page, check its hash, confirm its receipt; what happened."""
    if not isinstance(document, dict) or not isinstance(document.get("url"), str):
        return {"case_id": case_id, "error": "a document without a url"}
    record: dict[str, Any] = {
        "case_id": case_id,
        **{k: document.get(k) for k in ("page", "name", "type", "size", "sha256")},
        "received_sha256": None,
        "verified": False,
        "confirmed": False,
        "status": None,
        "error": None,
    }
    url = document["url"]
    try:
        async with session.get(url) as response:
            record["status"] = response.status
            if response.status != 200:
                record["error"] = (await response.text())[:300]
                return record
            content = await response.read()
        record["received_sha256"] = hashlib.sha256(content).hexdigest()
        record["verified"] = record["received_sha256"] == document.get("sha256")
        if record["verified"]:  # only a page that arrived whole is confirmed
            async with session.delete(url) as response:
                record["confirmed"] = response.status == 204
    except (aiohttp.ClientError, TimeoutError) as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
    return record


def _mode(mode: str) -> str:
    mode = "ok" if mode == "none" else mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of none, {', '.join(MODES)})")
    return mode


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, headers=headers)


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _mask(value: object) -> str:
    text = "" if value is None else str(value)
    return text[:2] + "*" * max(0, len(text) - 2)


def _cell(value: object) -> str:
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def _page(cases: list[dict[str, Any]], evaluations: list[dict[str, Any]], stats: Stats) -> str:
    case_rows = "".join(
        "<tr>"
        + "".join(
            _cell(c.get(k)) for k in ("seq", "case_id", "ticket", "service", "window", "outcome")
        )
        + _cell(_mask(c.get("staff")))
        + "".join(_cell(c.get(k)) for k in ("finished_at", "wait_s", "service_s"))
        + "</tr>"
        for c in cases
    )
    evaluation_rows = "".join(
        "<tr>"
        + "".join(_cell(e.get(k)) for k in ("seq", "case_id", "ticket", "window"))
        + _cell(_mask(e.get("staff")))
        + "".join(_cell(e.get(k)) for k in ("level", "at"))
        + "</tr>"
        for e in evaluations
    )
    counts = ", ".join(f"{k} {v}" for k, v in stats.__dict__.items())
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Back office (reference)</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:2px 6px}}</style></head><body>
<h1>Back office (reference)</h1>
<p>Requests: {html.escape(counts)}</p>
<h2>Cases ({len(cases)})</h2>
<table><tr><th>#</th><th>case</th><th>ticket</th><th>service</th><th>window</th>
<th>outcome</th><th>staff</th><th>finished</th><th>wait s</th><th>service s</th></tr>
{case_rows}</table>
<h2>Evaluations ({len(evaluations)})</h2>
<table><tr><th>#</th><th>case</th><th>ticket</th><th>window</th><th>staff</th><th>level</th>
<th>at</th></tr>
{evaluation_rows}</table>
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal_link.reference",
        description="A reference back office that receives a hall's cases and evaluations.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="default 9000")
    parser.add_argument("--secret", required=True, help='the hall\'s [portal] secret, "whsec_..."')
    parser.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    parser.add_argument(
        "--fail-mode", default="none", choices=("none", *MODES), help="misbehave from the start"
    )
    parser.add_argument("--retry-after", help="Retry-After sent with 503 (seconds or HTTP date)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE_S,
        help=f"accepted clock difference in seconds (default {DEFAULT_TOLERANCE_S})",
    )
    args = parser.parse_args(argv)
    try:
        office = BackOffice(
            args.secret,
            args.db,
            mode=args.fail_mode,
            retry_after=args.retry_after,
            tolerance_s=args.tolerance,
        )
    except (ValueError, sqlite3.Error) as exc:
        print(f"reference back office: {exc}", file=sys.stderr)
        return 2

    def banner(*_args: object, **_kw: object) -> None:
        print(
            f"reference back office on http://{args.host}:{args.port}/ (mode {office.mode})",
            flush=True,
        )

    web.run_app(make_app(office), host=args.host, port=args.port, print=banner, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
