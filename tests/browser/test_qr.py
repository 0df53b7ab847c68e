"""The QR codes the pages show are drawn by the hub (GET /t/<no>/qr.svg) and read, from a
screenshot, as the ticket page's address; no page runs a QR encoder of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import expect

from hall.web.pages import STATIC_DIR

from .conftest import PHONE, TABLET, HallFactory, decoded_qr, open_page, shot, take_ticket


async def test_kiosk_and_ticket_page_show_the_hubs_qr_of_the_ticket_page(
    context: Any, base: str, artifacts: Path
) -> None:
    requested: list[str] = []
    kiosk = await open_page(context, TABLET)
    kiosk.on("request", lambda request: requested.append(request.url))
    await kiosk.goto(f"{base}/kiosk/kiosk-1")
    await take_ticket(kiosk, "B", "B001")
    on_kiosk = kiosk.locator("#ticket-qr img")
    await expect(on_kiosk).to_have_attribute("src", "/t/B001/qr.svg")
    await expect(on_kiosk).to_have_attribute("data-url", f"{base}/t/B001")
    assert await decoded_qr(on_kiosk) == [f"{base}/t/B001"]
    await shot(kiosk, artifacts, "kiosk-ticket-qr")

    phone = await open_page(context, PHONE)
    phone.on("request", lambda request: requested.append(request.url))
    await phone.goto(f"{base}/t/B001")
    await expect(phone.locator("#t-no")).to_have_text("B001")
    own = phone.locator("#t-qr img")
    await expect(own).to_be_visible()
    assert await decoded_qr(own) == [f"{base}/t/B001"]
    await shot(phone, artifacts, "ticket-qr")

    # A number the hall never gave: no code to pass on.
    await phone.goto(f"{base}/t/Z999")
    await expect(phone.locator("#problem")).to_contain_text("未找到")
    await expect(phone.locator("#t-qr")).to_be_hidden()

    assert f"{base}/t/B001/qr.svg" in requested
    assert not [url for url in requested if url.endswith("qr.js")]


async def test_the_svg_alone_reads_as_the_address_it_was_asked_at(context: Any, base: str) -> None:
    page = await open_page(context, PHONE)
    response = await page.goto(f"{base}/t/A123/qr.svg")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert await decoded_qr(page.locator("svg")) == [f"{base}/t/A123"]


async def test_no_page_loads_a_qr_encoder(hall: HallFactory) -> None:
    hub = await hall()
    for page in STATIC_DIR.glob("*.html"):
        assert "qr.js" not in page.read_text(encoding="utf-8"), page.name
    assert not (STATIC_DIR / "static" / "qr.js").exists()
    async with aiohttp.ClientSession() as http:
        for path in ("/static/qr.js", "/static/static/qr.js"):
            async with http.get(hub.http_url + path) as response:
                assert response.status == 404, path
