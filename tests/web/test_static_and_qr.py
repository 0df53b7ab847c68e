"""The pages' files through aiohttp's static handler and the tickets' QR codes as SVG, over
HTTP against the page routes alone (no hub needed for either)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest
import segno
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hall.web import pages
from hall.web.qr import qr_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    pages.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def modules_of(svg: bytes) -> list[list[bool]]:
    """The dark modules the SVG draws: segno's path is one horizontal stroke per run of dark
    modules ("M x y.5 h n" to start, then "m dx dy h n"), relative to the previous run's end."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(v) for v in root.attrib["viewBox"].split())
    grid = [[False] * width for _ in range(height)]
    dark = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#000"]
    assert len(dark) == 1
    tokens = dark[0].attrib["d"].replace("h", " h ").replace("m", " m ").replace("M", " M ")
    words = tokens.split()
    x = y = 0.0
    i = 0
    while i < len(words):
        op = words[i]
        if op in ("M", "m"):
            dx, dy = (float(v) for v in words[i + 1 : i + 3])
            x, y = (dx, dy) if op == "M" else (x + dx, y + dy)
            i += 3
        else:
            run = int(words[i + 1])
            for column in range(int(x), int(x) + run):
                grid[int(y)][column] = True
            x += run
            i += 2
    return grid


async def test_the_qr_of_a_ticket_is_the_qr_of_its_page_at_the_requested_origin(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/t/A001/qr.svg", headers={"Host": "hall.example:8080"})
    assert response.status == 200
    assert response.content_type == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    body = await response.read()
    url = "http://hall.example:8080/t/A001"
    root = ET.fromstring(body)
    assert root.findtext(f"{SVG}title") == url
    assert "width" not in root.attrib and "height" not in root.attrib  # sized by the page
    expected = segno.make(url, error="m", micro=False, boost_error=False)
    assert modules_of(body) == [[bool(m) for m in row] for row in expected.matrix_iter(border=4)]
    assert body == qr_svg(url)


# "A١٢٣" and "A１２３" (Arabic-Indic and full-width digits) are no ticket number either.
@pytest.mark.parametrize(
    "no",
    [
        "a001",
        "A01",
        "A0011",
        "AB01",
        "%3Cb%3E",
        "A%D9%A1%D9%A2%D9%A3",
        "A%EF%BC%91%EF%BC%92%EF%BC%93",
    ],
)
async def test_only_ticket_numbers_have_a_qr(
    client: TestClient[web.Request, web.Application], no: str
) -> None:
    response = await client.get(f"/t/{no}/qr.svg")
    assert response.status == 404, no


async def test_the_pages_files_are_revalidated_and_never_sniffed(
    client: TestClient[web.Request, web.Application],
) -> None:
    for path in ("/static/app.css", "/static/static/app.css", "/static/static/kiosk.js"):
        response = await client.get(path)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "no-cache", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        etag = response.headers["ETag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status == 304, path
    css = await client.get("/static/app.css")
    assert css.content_type == "text/css"
    assert await css.read() == (pages.STATIC_DIR / "static" / "app.css").read_bytes()


async def test_only_the_static_folder_is_served_under_static(
    client: TestClient[web.Request, web.Application],
) -> None:
    for path in (
        "/static/kiosk.html",  # the pages are served at their routes only
        "/static/static/../kiosk.html",
        "/static/%2e%2e/kiosk.html",  # files that exist, outside the folder
        "/static/%2e%2e/%2e%2e/qr.py",
        "/static/static/%2e%2e/%2e%2e/qr.py",
        "/static/nothing.js",
        "/static/qr.js",
    ):
        response = await client.get(path)
        assert response.status == 404, path
