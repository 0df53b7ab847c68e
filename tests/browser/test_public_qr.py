"""Every QR code points at `[http] public_url`, never at the address the hub listens on: the
printed ticket's print job, the kiosk's on-screen ticket, `/t/<no>/qr.svg`; and a phone that
reads the code opens the ticket's live page there.

The public address here is ``http://localhost:<port>``: another name for the same hub than
the ``http://127.0.0.1:<port>`` it listens on, so a phone (Chromium at 390×844) can open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.integration.halls import online_client
from tests.support import free_port

from .conftest import PHONE, TABLET, HallFactory, decoded_qr, open_page, shot, take_ticket


async def test_every_qr_code_is_the_public_address_and_a_phone_follows_it(
    context: Any, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    port = free_port()
    public = f"http://localhost:{port}"
    hub = await hall(http_port=port, http={"public_url": public})
    listen = hub.http_url
    assert listen == f"http://127.0.0.1:{port}"

    async with online_client(hub, hall_id) as c:
        # The kiosk page is opened at the listen address, as a kiosk on the hall's LAN is.
        kiosk = await open_page(context, TABLET, f"{listen}/kiosk/kiosk-1")
        await take_ticket(kiosk, "A", "A001")
        on_kiosk = kiosk.locator("#ticket-qr img")
        await expect(on_kiosk).to_have_attribute("data-url", f"{public}/t/A001")
        assert await decoded_qr(on_kiosk) == [f"{public}/t/A001"]
        await shot(kiosk, artifacts, "public-qr-kiosk")

        # The printer's job (kiosk-1 prints on printer-1) carries the same address.
        job = await c.wait_for(c.topic("cmd", "printer-1"), lambda d: d["ticket"]["no"] == "A001")
        assert job["qr_url"] == f"{public}/t/A001"

        # The SVG alone, asked for at the listen address, encodes the public one too.
        svg = await open_page(context, PHONE)
        response = await svg.goto(f"{listen}/t/A001/qr.svg")
        assert response is not None and response.status == 200
        scanned = await decoded_qr(svg.locator("svg"))
        assert scanned == [f"{public}/t/A001"]

        # A phone opens what it scanned and sees the ticket, live: called, it says where to go.
        requested: list[str] = []
        phone = await open_page(context, PHONE)
        phone.on("request", lambda request: requested.append(request.url))
        await phone.goto(scanned[0])
        await expect(phone.locator("#t-no")).to_have_text("A001")
        await expect(phone.locator("#t-state")).to_have_text("等候中")
        await expect(phone.locator("#t-qr-img")).to_have_attribute("data-url", f"{public}/t/A001")
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        await c.ok("pad-1", "call.next")
        await expect(phone.locator("#t-state")).to_have_text("请到1号窗口")
        await shot(phone, artifacts, "public-qr-phone-called")
        assert f"{public}/t/A001" in requested
        assert not [url for url in requested if "127.0.0.1" in url]
        assert not [url for url in requested if "/api/" in url]  # live, not polled
