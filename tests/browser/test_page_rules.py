"""What the pages refuse and guard, in a real browser: the dashboard's socket needs a session
and the hub's origin, the kiosk explains refusals in plain Chinese and passes its token, and
every asset a page names is served by the hub itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import expect

from hall.web.pages import STATIC_DIR
from tests.support import DEMO_HALL, free_port

from .conftest import (
    TABLET,
    HallFactory,
    login,
    open_page,
    shot,
    signed_in_dashboard,
    take_ticket,
)


async def _socket_outcome(page: Any, url: str) -> str:
    """Open a WebSocket from the page's own context: "open", or how it failed."""
    outcome: str = await page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            const timer = setTimeout(() => resolve("timeout"), 8000);
            ws.onopen = () => { clearTimeout(timer); ws.close(); resolve("open"); };
            ws.onclose = (e) => { clearTimeout(timer); resolve("closed:" + e.code); };
        })""",
        url,
    )
    return outcome


async def test_dashboard_socket_needs_a_session_and_the_hubs_origin(
    context: Any, base: str
) -> None:
    ws_url = base.replace("http://", "ws://") + "/ws/dashboard"

    # Another site on another port: a blank page.
    async def blank(_request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>other</title><p>other</p>", content_type="text/html"
        )

    other_app = web.Application()
    other_app.router.add_get("/", blank)
    runner = web.AppRunner(other_app)
    await runner.setup()
    other_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", other_port).start()
    try:
        page = await open_page(context, TABLET)

        # No session: refused, from the hub's own origin too; the page redirects to /login.
        await page.goto(f"{base}/login")
        assert await _socket_outcome(page, ws_url) == "closed:1006"
        await page.goto(f"{base}/dashboard")
        await expect(page).to_have_url(re.compile(r"/login$"))

        # Signed in: the hub's own origin may open it, another origin may not (the session
        # cookie is sent to 127.0.0.1 whatever the port: only the Origin check refuses it).
        await login(page, base)
        assert await _socket_outcome(page, ws_url) == "open"
        await page.goto(f"http://127.0.0.1:{other_port}/")
        assert await _socket_outcome(page, ws_url) == "closed:1006"

        # Signed out: refused again.
        await page.goto(f"{base}/dashboard")
        await expect(page.locator('#queues tr[data-service="A"]')).to_be_visible()
        await page.get_by_role("button", name="退出登录").click()
        await expect(page).to_have_url(re.compile(r"/login$"))
        assert await _socket_outcome(page, ws_url) == "closed:1006"
    finally:
        await runner.cleanup()


async def test_kiosk_refusals_in_plain_chinese(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    hub = await hall(
        services=[
            {"code": "A", "name": "社保医保", "daily_cap": 1},
            {"code": "B", "name": "不动产登记"},
            {"code": "C", "name": "企业开办"},
        ]
    )
    base = hub.http_url
    dashboard = await signed_in_dashboard(context, base)
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")

    # The green channel, then the daily cap.
    await kiosk.get_by_role("button", name=re.compile("绿色通道")).click()
    await expect(kiosk.locator("#green")).to_have_attribute("aria-pressed", "true")
    await take_ticket(kiosk, "A", "A001")
    await expect(kiosk.locator("#ticket-tags")).to_have_text("绿色通道")
    await kiosk.locator("#ticket-done").click()
    await expect(kiosk.locator("#green")).to_have_attribute("aria-pressed", "false")
    # The cap reached, the kiosk shows A full before anyone taps it.
    service_a = kiosk.locator('button.service-btn[data-service="A"]')
    await expect(service_a).to_be_disabled()
    await expect(service_a).to_contain_text("今日已满")
    await shot(kiosk, artifacts, "kiosk-full")

    # The manager suspends B: the kiosk greys it out.
    await dashboard.locator('#queues button[data-service="B"]').click()
    await expect(dashboard.locator('#queues tr[data-service="B"]')).to_contain_text("已暂停受理")
    service_b = kiosk.locator('button.service-btn[data-service="B"]')
    await expect(service_b).to_be_disabled()
    await expect(service_b).to_contain_text("暂停办理")
    await dashboard.locator('#queues button[data-service="B"]').click()
    await expect(service_b).to_be_enabled()

    # An unknown appointment code.
    await kiosk.get_by_role("button", name=re.compile("预约取号")).click()
    for key in "123456":
        await kiosk.locator(f'#keypad [data-key="{key}"]').click()
    await expect(kiosk.locator("#appointment-code")).to_have_value("123456")
    await shot(kiosk, artifacts, "kiosk-appointment")
    await kiosk.locator("#appointment-submit").click()
    await expect(kiosk.locator("#error-text")).to_contain_text("未找到")

    # An ID number typed where the code goes is refused on the page: it is never sent.
    def ticket_takes() -> list[str]:
        lines = hub.hub.render_metrics().splitlines()
        return [line for line in lines if 'op="ticket.take"' in line]

    takes = ticket_takes()
    await kiosk.get_by_role("button", name="返回").click()
    await kiosk.get_by_role("button", name=re.compile("预约取号")).click()
    for key in "110105194912310021":
        await kiosk.locator(f'#keypad [data-key="{key}"]').click()
    await kiosk.locator("#appointment-submit").click()
    await expect(kiosk.locator("#error-text")).to_contain_text("身份证号码")
    await expect(kiosk.locator("#appointment-code")).to_have_value("")
    assert ticket_takes() == takes


async def test_kiosk_page_passes_its_token(
    context: Any, hall: HallFactory, artifacts: Path
) -> None:
    with DEMO_HALL.open("rb") as f:
        devices = tomllib.load(f)["devices"]
    token = "kiosk-token-0123456789"
    for device in devices:
        if device["id"] == "kiosk-1":
            device["token"] = token
    hub = await hall(devices=devices)
    base = hub.http_url
    refused = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1")
    await expect(refused.locator("#banner")).to_be_visible()
    await expect(refused.locator("button.service-btn")).to_have_count(0)
    kiosk = await open_page(context, TABLET, f"{base}/kiosk/kiosk-1?token={token}")
    await take_ticket(kiosk, "C", "C001")
    await expect(refused.locator("#banner")).to_be_visible()


async def test_every_asset_a_page_names_is_served(hall: HallFactory) -> None:
    hub = await hall()
    pages = sorted(STATIC_DIR.glob("*.html"))
    assert {p.name for p in pages} >= {
        "dashboard.html",
        "screen.html",
        "kiosk.html",
        "pad.html",
        "ticket.html",
        "login.html",
    }
    async with aiohttp.ClientSession() as session:
        for page in pages:
            html = page.read_text(encoding="utf-8")
            assets = re.findall(r'(?:href|src)="(/[^"]+)"', html)
            assert assets, page.name
            for asset in assets:
                assert "//" not in asset[1:] and not asset.startswith("http")
                async with session.get(hub.http_url + asset) as response:
                    assert response.status == 200, (page.name, asset)
            # Nothing from elsewhere: no CDN, no external fonts.
            assert not re.search(r'(?:href|src)="(?:https?:)?//', html), page.name
