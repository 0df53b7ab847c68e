"""The reference back office on its own: signatures, replays, duplicates, modes, pages."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from portal_link.reference import BackOffice, make_app
from portal_link.webhooks import signed_headers
from tests.support import eventually, free_port, wait_for_port

from .conftest import SECRET

CASE: dict[str, Any] = {
    "case_id": "demo-2024-05-01-A001",
    "hall": "demo",
    "ticket": "A001",
    "service": "A",
    "window": "1",
    "staff": "S001",
    "outcome": "done",
    "issued_at": "2024-05-01T09:00:00+08:00",
    "called_at": "2024-05-01T09:05:00+08:00",
    "started_at": "2024-05-01T09:05:30+08:00",
    "finished_at": "2024-05-01T09:12:00+08:00",
    "wait_s": 300,
    "service_s": 390,
}
EVALUATION: dict[str, Any] = {
    "case_id": "demo-2024-05-01-A001",
    "hall": "demo",
    "ticket": "A001",
    "window": "1",
    "staff": "S001",
    "level": 5,
    "at": "2024-05-01T09:12:30+08:00",
}


def signed(
    msg_id: str, data: dict[str, Any], timestamp: int | None = None, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data, ensure_ascii=False).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    headers = signed_headers(secret, msg_id, ts, body)
    headers["Content-Type"] = "application/json"
    return body, headers


@pytest.fixture
async def office_client() -> AsyncIterator[tuple[BackOffice, TestClient[Any, Any]]]:
    office = BackOffice(SECRET)
    async with TestClient(TestServer(make_app(office))) as client:
        yield office, client


async def post(
    client: TestClient[Any, Any], path: str, msg_id: str, data: dict[str, Any], **kw: Any
) -> tuple[int, dict[str, Any]]:
    body, headers = signed(msg_id, data, **kw)
    response = await client.post(path, data=body, headers=headers)
    return response.status, await response.json()


async def test_a_signed_case_and_evaluation_are_stored_once(
    office_client: tuple[BackOffice, TestClient[Any, Any]],
) -> None:
    _office, client = office_client
    assert await post(client, "/hall-api/cases", "msg_c1", CASE) == (
        200,
        {"ok": True, "duplicate": False},
    )
    assert (await post(client, "/hall-api/evaluations", "msg_e1", EVALUATION))[0] == 200
    # The same webhook-id again (a retry whose answer was lost): 200, nothing new.
    assert await post(client, "/hall-api/cases", "msg_c1", CASE) == (
        200,
        {"ok": True, "duplicate": True},
    )
    cases = await (await client.get("/api/cases")).json()
    assert [(c["webhook_id"], c["ticket"], c["wait_s"]) for c in cases] == [("msg_c1", "A001", 300)]
    evaluations = await (await client.get("/api/evaluations")).json()
    assert [(e["webhook_id"], e["level"]) for e in evaluations] == [("msg_e1", 5)]
    assert cases[0]["seq"] < evaluations[0]["seq"]
    stats = await (await client.get("/api/stats")).json()
    assert stats == {**stats, "received": 3, "stored": 2, "duplicates": 1, "rejected": 0}
    requests = await (await client.get("/api/requests")).json()
    assert [(r["webhook_id"], r["status"], r["outcome"]) for r in requests] == [
        ("msg_c1", 200, "stored"),
        ("msg_e1", 200, "stored"),
        ("msg_c1", 200, "duplicate"),
    ]
    # Any path prefix works, and none.
    assert (await post(client, "/cases", "msg_c2", {**CASE, "ticket": "A002"}))[0] == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timestamp": -301}, "too old"),  # seconds from now
        ({"timestamp": +400}, "future"),
        ({"secret": "whsec_" + "A" * 43 + "="}, "no valid v1 signature"),
    ],
)
async def test_bad_signatures_and_replays_are_refused_with_401(
    office_client: tuple[BackOffice, TestClient[Any, Any]], change: dict[str, Any], message: str
) -> None:
    office, client = office_client
    if "timestamp" in change:
        change = {"timestamp": int(time.time()) + change["timestamp"]}
    status, answer = await post(client, "/hall-api/cases", "msg_c1", CASE, **change)
    assert status == 401 and message in answer["error"], answer
    assert office.store.list("case") == [] and office.stats.rejected == 1


async def test_a_tampered_body_or_missing_headers_are_refused(
    office_client: tuple[BackOffice, TestClient[Any, Any]],
) -> None:
    office, client = office_client
    body, headers = signed("msg_c1", CASE)
    tampered = body.replace(b"A001", b"A999")
    response = await client.post("/hall-api/cases", data=tampered, headers=headers)
    assert response.status == 401
    del headers["webhook-signature"]
    response = await client.post("/hall-api/cases", data=body, headers=headers)
    assert response.status == 401
    assert "missing header webhook-signature" in (await response.json())["error"]
    assert office.store.list("case") == []


async def test_a_signed_request_that_is_not_a_case_is_a_400(
    office_client: tuple[BackOffice, TestClient[Any, Any]],
) -> None:
    _office, client = office_client
    status, answer = await post(client, "/hall-api/cases", "msg_x", {"case_id": "x"})
    assert status == 400 and "missing hall, ticket, service, outcome" in answer["error"]
    response = await client.post("/hall-api/invoices", data=b"{}")
    assert response.status == 404


async def test_the_modes_switched_at_run_time(
    office_client: tuple[BackOffice, TestClient[Any, Any]],
) -> None:
    office, client = office_client

    async def control(body: dict[str, Any]) -> int:
        return (await client.post("/_control", json=body)).status

    assert await control({"mode": "503", "retry_after": 7}) == 200
    body, headers = signed("msg_c1", CASE)
    response = await client.post("/hall-api/cases", data=body, headers=headers)
    assert response.status == 503 and response.headers["Retry-After"] == "7"

    assert await control({"mode": "400"}) == 200
    assert (await post(client, "/hall-api/cases", "msg_c1", CASE))[0] == 400

    # timeout: no answer until the mode changes.
    assert await control({"mode": "timeout"}) == 200
    waiting = asyncio.create_task(post(client, "/hall-api/cases", "msg_c1", CASE))
    await eventually(lambda: office.stats.timeouts == 1, "the request is kept waiting")
    assert not waiting.done()
    assert await control({"mode": "ok"}) == 200
    assert (await asyncio.wait_for(waiting, 5))[0] == 504
    assert office.store.list("case") == []

    # hold: stored at once, answered when the mode changes.
    assert await control({"mode": "hold"}) == 200
    held = asyncio.create_task(post(client, "/hall-api/cases", "msg_c1", CASE))
    await eventually(lambda: office.stats.held == 1, "the request is stored and held")
    assert len(office.store.list("case")) == 1 and not held.done()
    assert await control({"mode": "none"}) == 200
    assert await asyncio.wait_for(held, 5) == (200, {"ok": True, "duplicate": False})

    assert await control({"mode": "sometimes"}) == 400
    assert await control({}) == 400
    stats = await (await client.get("/api/stats")).json()
    assert stats["mode"] == "ok" and stats["unavailable"] == 1 and stats["refused"] == 1


async def test_the_page_lists_what_arrived_with_staff_masked(
    office_client: tuple[BackOffice, TestClient[Any, Any]],
) -> None:
    _office, client = office_client
    await post(client, "/hall-api/cases", "msg_c1", {**CASE, "service": "<b>A</b>"})
    await post(client, "/hall-api/evaluations", "msg_e1", EVALUATION)
    response = await client.get("/")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "demo-2024-05-01-A001" in page and "Cases (1)" in page and "Evaluations (1)" in page
    assert "&lt;b&gt;A&lt;/b&gt;" in page and "<b>A</b>" not in page
    assert "S001" not in page and "S0**" in page


async def test_run_as_a_program_with_a_database_file(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "office.sqlite"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal_link.reference",
        "--port",
        str(port),
        "--secret",
        SECRET,
        "--db",
        str(db),
        "--fail-mode",
        "503",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 10.0)
        url = f"http://127.0.0.1:{port}"
        body, headers = signed("msg_c1", CASE)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.post(url + "/hall-api/cases", data=body, headers=headers) as r:
                assert r.status == 503
            async with session.post(url + "/_control", json={"mode": "ok"}) as r:
                assert r.status == 200
            async with session.post(url + "/hall-api/cases", data=body, headers=headers) as r:
                assert r.status == 200
            async with session.get(url + "/api/cases") as r:
                assert [c["case_id"] for c in await r.json()] == [CASE["case_id"]]
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), 10)
    assert b"reference back office on http://127.0.0.1:" in output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT webhook_id, kind FROM deliveries").fetchall() == [
            ("msg_c1", "case")
        ]


async def test_a_malformed_secret_stops_the_program() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal_link.reference",
        "--secret",
        "whsec_not base64",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 2 and b"whsec_" in err
