"""The dashboard on a phone (Chromium at 390×844): every figure whole, and no table wider than
the screen pushing the page sideways (it scrolls inside its panel)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.integration.halls import online_client

from .conftest import PHONE, HallFactory, chromium, login, open_page, shot


async def test_the_dashboard_on_a_phone_shows_every_figure_whole(
    tmp_path: Path, hall: HallFactory, hall_id: str, artifacts: Path
) -> None:
    running = await hall()
    async with online_client(running, hall_id) as c:
        await c.ok("pad-1", "window.open", {"staff": "S001"})
        for _ in range(12):
            await c.ok("kiosk-1", "ticket.take", {"service": "A"})
        await c.ok("pad-1", "call.next")

    async with chromium(tmp_path) as context:
        page = await open_page(context, PHONE)
        await login(page, running.http_url)
        await expect(page.locator('#kpis [data-kpi="arrivals"] .value')).to_have_text("12")
        await expect(page.locator("#queues tbody tr").first).to_be_visible()
        clipped = await page.evaluate(
            """[...document.querySelectorAll('#kpis .tile .value')]
                 .filter(v => v.scrollWidth > v.clientWidth + 1)
                 .map(v => v.closest('.tile').dataset.kpi)"""
        )
        assert clipped == []
        widths = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        await shot(page, artifacts, "dashboard-390-phone")
