"""The OpenAPI document matches the server, and schemathesis fuzzes the server against it."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from hall.openapi import OPENAPI
from hall.runtime import Running
from tests.support import write_hall_config

from .conftest import running_hub

TOKEN = "fuzz-token-0123456789"


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    from hall import live, pages
    from hall.api import add_routes

    app = web.Application()
    add_routes(app, None)  # type: ignore[arg-type]
    pages.add_routes(app)
    live.add_routes(app)

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


async def test_schemathesis_finds_no_server_error_or_schema_violation(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis", path=str(Path(sys.executable).parent)
    )
    if st is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("schemathesis is not installed (pip install -e '.[test]')")
        pytest.skip("schemathesis is not installed")
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        api_clients=[{"id": "fuzz", "token": TOKEN}],
        appointments={"id_hash_key": "fuzz-hash-key-0123456"},
    )
    async with running_hub(path) as running:
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
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 300)
    text = output.decode(errors="replace")
    (tmp_path / "schemathesis.txt").write_text(text)
    assert process.returncode == 0, text[-4000:]
