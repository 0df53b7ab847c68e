"""A window printer's copies: the ESC/POS driver fetches the raster over real HTTP, checks it
and prints it as GS v 0 images on a fake printer on a pseudo-terminal; a copy that does not
check out prints nothing."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from devices.codecs import escpos
from devices.drivers.base import Binding, DriverEnv
from devices.drivers.escpos import EscPosDriver
from hall.domain.copies import Raster, pbm
from tests.support import eventually

from .conftest import make_driver, running
from .fakes import FakeLink, FakePrinter
from .ptys import Pty


def raster(width: int, height: int, seed: int = 1) -> Raster:
    """A raster whose dots are random but whose unused bits at the end of a row are 0."""
    rng = random.Random(seed)
    row_bytes = (width + 7) // 8
    pad = row_bytes * 8 - width
    rows = bytearray(rng.randbytes(row_bytes * height))
    for r in range(height):
        rows[(r + 1) * row_bytes - 1] &= (0xFF << pad) & 0xFF
    return Raster(width, height, bytes(rows))


@pytest.fixture
async def hub_files() -> AsyncIterator[tuple[TestServer, dict[str, bytes], list[str]]]:
    """A small HTTP server standing for the hub: each name served once, then 410."""
    files: dict[str, bytes] = {}
    served: list[str] = []

    async def get(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in served or name not in files:
            return web.Response(status=410, text="this link was fetched already")
        served.append(name)
        return web.Response(body=files[name], content_type="image/x-portable-bitmap")

    app = web.Application()
    app.router.add_get("/copies/{name}", get)
    server = TestServer(app)
    await server.start_server()
    try:
        yield server, files, served
    finally:
        await server.close()


def job(server: TestServer, name: str, data: bytes, r: Raster, **changes: Any) -> dict[str, Any]:
    return {
        "job": "print_copy",
        "url": str(server.make_url(f"/copies/{name}")),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": r.width,
        "height": r.height,
        **changes,
    }


def make(port: str, link: FakeLink, env: DriverEnv, **options: object) -> EscPosDriver:
    return make_driver(EscPosDriver, "escpos", port, Binding({link.device_id: link}), env, options)


async def test_a_copy_is_fetched_checked_and_printed_in_bands(
    env: DriverEnv, hub_files: tuple[TestServer, dict[str, bytes], list[str]]
) -> None:
    server, files, served = hub_files
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-2")
    driver = make(pty.name, link, env, dots=384, feed_lines=2)
    page = raster(384, 600)
    files["one"] = pbm(page)
    async with running(driver):
        await eventually(lambda: link.status.get("dots") == 384, news=link.changed)
        await link.push("cmd", job(server, "one", files["one"], page))
        await eventually(lambda: driver.copies_printed == 1, news=driver.news)
        await printer.wait_for(lambda: sum(y for _x, y, _d in printer.images) == 600)
    assert served == ["one"]
    # The dots arrive as drawn, in bands of at most 255 rows, then the paper is cut.
    assert [(x, y) for x, y, _d in printer.images] == [(48, 255), (48, 255), (48, 90)]
    assert printer.raster() == (48, page.rows)
    # Byte for byte: initialise, centre, the three images, feed and cut (the status requests
    # between jobs are not printed).
    assert bytes(printer.printed) == escpos.render_copy(384, 600, page.rows, feed_lines=2)
    pty.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sha256": "0" * 64}, "does not match its sha256"),
        ({"width": 576}, "576 dots wide; this printer prints 384"),
        ({"height": 599}, "the job says 384 x 599"),
        ({"url": "ftp://hub/copies/x"}, "no http(s) url"),
    ],
)
async def test_a_copy_that_does_not_check_out_prints_nothing(
    env: DriverEnv,
    hub_files: tuple[TestServer, dict[str, bytes], list[str]],
    change: dict[str, Any],
    reason: str,
) -> None:
    server, files, _served = hub_files
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-2")
    driver = make(pty.name, link, env, dots=384)
    page = raster(384, 600, seed=2)
    files["two"] = pbm(page)
    async with running(driver):
        await link.push("cmd", job(server, "two", files["two"], page, **change))
        await eventually(lambda: len(driver.refused_copies) == 1, news=driver.news)
    assert reason in driver.refused_copies[0]
    assert printer.images == [] and driver.copies_printed == 0
    pty.close()


async def test_a_link_fetched_before_prints_nothing_and_says_why(
    env: DriverEnv, hub_files: tuple[TestServer, dict[str, bytes], list[str]]
) -> None:
    server, files, served = hub_files
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-2")
    driver = make(pty.name, link, env, dots=384)
    page = raster(384, 10, seed=3)
    files["three"] = pbm(page)
    served.append("three")  # someone fetched it first
    async with running(driver):
        await link.push("cmd", job(server, "three", files["three"], page))
        await eventually(lambda: len(driver.refused_copies) == 1, news=driver.news)
    assert "the hub answered 410: this link was fetched already" in driver.refused_copies[0]
    assert printer.images == []
    pty.close()


async def test_a_copy_larger_than_the_printer_takes_is_not_read_whole(
    env: DriverEnv, hub_files: tuple[TestServer, dict[str, bytes], list[str]]
) -> None:
    server, files, _served = hub_files
    pty = Pty()
    FakePrinter(pty)
    link = FakeLink("printer-2")
    driver = make(pty.name, link, env, dots=64)
    page = raster(64, 10, seed=4)
    files["big"] = pbm(page) + bytes(8 * 4000 + 100)  # past 4000 rows of 8 bytes
    async with running(driver):
        await link.push("cmd", job(server, "big", files["big"], page))
        await eventually(lambda: len(driver.refused_copies) == 1, news=driver.news)
    assert "the copy is over 32064 bytes" in driver.refused_copies[0]
    pty.close()


async def test_a_large_copy_prints_whole_and_leaves_the_loop_quiet(
    env: DriverEnv,
    hub_files: tuple[TestServer, dict[str, bytes], list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A copy of 57 KB (more than a pseudo-terminal takes in one write) is written in pieces:
    it prints byte for byte, and no write callback is left behind to fail on every turn of
    the loop afterwards."""
    server, files, served = hub_files
    pty = Pty()
    printer = FakePrinter(pty)
    link = FakeLink("printer-2")
    driver = make(pty.name, link, env, dots=576, feed_lines=2)
    page = raster(576, 800, seed=5)
    files["large"] = pbm(page)
    assert len(files["large"]) > 50_000
    caplog.set_level(logging.ERROR, logger="asyncio")
    async with running(driver):
        await link.push("cmd", job(server, "large", files["large"], page))
        await eventually(lambda: driver.copies_printed == 1, news=driver.news, timeout=20)
        await printer.wait_for(lambda: sum(y for _x, y, _d in printer.images) == 800)
        # A quiet loop: over half a second the process spends little CPU and logs nothing.
        wall, cpu = time.monotonic(), time.process_time()
        await asyncio.sleep(0.5)
        busy = (time.process_time() - cpu) / (time.monotonic() - wall)
    assert served == ["large"]
    assert bytes(printer.printed) == escpos.render_copy(576, 800, page.rows, feed_lines=2)
    errors = [r for r in caplog.records if r.name == "asyncio"]
    assert errors == [], errors[0].getMessage() if errors else ""
    assert busy < 0.5, f"the loop kept {busy:.0%} of a CPU busy after printing"
    pty.close()
