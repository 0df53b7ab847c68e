"""The OpenAPI document matches the server, and schemathesis fuzzes the server against it."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from hall.hub.runtime import Running
from hall.web.openapi import OPENAPI
from hall.web.sessions import hash_password
from tests.support import missing

from .conftest import running_hub

TOKEN = "fuzz-token-0123456789"
PASSWORD = "fuzz-password"


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    from hall.web import (
        documents,
        hall_settings,
        live_ticket,
        live_ws,
        pages,
        reports,
        staff_admin,
        staff_users,
        staffing,
    )
    from hall.web.api import add_routes

    app = web.Application()
    add_routes(app)
    documents.add_routes(app)
    hall_settings.add_routes(app)
    pages.add_routes(app)
    reports.add_routes(app)
    live_ws.add_routes(app)
    live_ticket.add_routes(app)
    staff_admin.add_routes(app)
    staff_users.add_routes(app)
    staffing.add_routes(app)

    async def nothing(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/healthz", nothing)
    app.router.add_get("/metrics", nothing)
    served = {
        (resource.canonical, route.method.lower())
        for resource in app.router.resources()
        for route in resource
        if route.method != "HEAD"
    }
    api = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    # The HTML pages, form posts and WebSocket upgrades are listed apart, under x-pages.
    page_routes = {(path, method) for path, item in OPENAPI["x-pages"].items() for method in item}
    assert not api & page_routes
    assert served == api | page_routes


async def test_the_served_document_is_this_one(hub: Running) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(hub.http_url + "/api/openapi.json") as response:
            assert response.status == 200
            assert await response.json() == OPENAPI


async def _signed_in_cookie(url: str) -> str:
    """A manager's session cookie (`hall_session=...`), checked to open the staff section."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = {"name": "fuzzer", "password": PASSWORD}
        async with http.post(url + "/login", data=form, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            cookie = f"hall_session={response.cookies['hall_session'].value}"
        async with http.get(url + "/dashboard/staff/sessions") as response:
            assert response.status == 200, await response.text()
    return cookie


def _statuses(har: Path) -> dict[tuple[str, str], set[int]]:
    """(method, path) -> the statuses the fuzzer got, from its HAR record."""
    seen: dict[tuple[str, str], set[int]] = {}
    for entry in json.loads(har.read_text())["log"]["entries"]:
        request = entry["request"]
        key = (request["method"], urlsplit(request["url"]).path)
        seen.setdefault(key, set()).add(entry["response"]["status"])
    return seen


async def test_schemathesis_finds_no_server_error_or_schema_violation(
    hall_file: Callable[..., Path], tmp_path: Path
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis", path=str(Path(sys.executable).parent)
    )
    if st is None:
        missing("schemathesis is not installed (pip install -e '.[test]')")
    path = hall_file(
        users=[{"name": "fuzzer", "password_hash": hash_password(PASSWORD), "role": "manager"}],
        api_clients=[{"id": "fuzz", "token": TOKEN}],
        appointments={"id_hash_key": "fuzz-hash-key-0123456"},
        # Rate limits above the fuzzer's pace, so that every operation's logic is reached
        # (429 itself is documented and checked in tests/web/test_api_limits.py).
        http={"api_rate_per_s": 1000, "api_burst": 2000},
    )
    har = tmp_path / "schemathesis.har"
    async with running_hub(path) as running:
        # Signed in: the staff section and the reports are fuzzed past their sign-in check.
        cookie = await _signed_in_cookie(running.http_url)
        process = await asyncio.create_subprocess_exec(
            st,
            "run",
            f"{running.http_url}/api/openapi.json",
            "--url",
            running.http_url,
            "--checks",
            "all",
            "--exclude-checks",
            "ignored_auth,positive_data_acceptance,negative_data_rejection,unsupported_method",
            "--max-examples",
            "40",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--header",
            f"Cookie: {cookie}",
            "--report",
            "har",
            "--report-har-path",
            str(har),
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 300)
    text = output.decode(errors="replace")
    (tmp_path / "schemathesis.txt").write_text(text)
    assert process.returncode == 0, text[-4000:]
    seen = _statuses(har)
    for operation in (
        ("GET", "/dashboard/staff/sessions"),
        ("GET", "/dashboard/staff/users"),
        ("POST", "/dashboard/staff/unlock"),
        ("GET", "/api/reports"),
    ):
        assert 200 in seen.get(operation, set()), (operation, seen.get(operation))
    # Ending sessions got past the sign-in check: not found, or ended (the fuzzer finds its
    # own session's id in the list; once it ended it, it is refused with 401 as documented).
    ended = set().union(*(s for (method, route), s in seen.items() if method == "DELETE" and
                          route.startswith("/dashboard/staff/sessions/")))  # fmt: skip
    assert ended & {200, 404}, ended
